// The docs against the code: every field the validator knows is documented under its resource and
// nothing else is; every daemon flag is documented and every documented flag, lab invocation and
// bgpctl invocation is accepted by the real parsers; every log message the troubleshooting table
// explains is one the code logs, and every metric is documented; the deploy recipe parses and fits
// together (the service script's command line is evaluated by a real shell and given to the
// daemon's own argument parser; the Dockerfile copies what the script runs; the probes are
// calico-node's own, on the sockets the service serves).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../bgpd/main.js';
import { runBgpctl } from '../../bgpd/control/cli.js';
import { launchFlags } from '../helpers/daemon.js';
import { projectRoot } from './lab.js';
import { parseLabArgs } from './run.js';

const ROOT = projectRoot();
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const CONFIG = read('docs/configuration.md');
const OPERATIONS = read('docs/operations.md');
const TROUBLESHOOTING = read('docs/troubleshooting.md');
const README = read('README.md');
const ALL_DOCS = [README, OPERATIONS, TROUBLESHOOTING, CONFIG, read('docs/architecture.md')];
const DEPLOY = join(ROOT, 'docs', 'deploy');

function section(doc: string, title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`no section "## ${title}"`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** Top-level field names the validator of a kind accepts (spec, spec.bgp, filter rules), read from config/resources.ts. */
function knownFields(fn: string): string[] {
  const src = read('config/resources.ts');
  const start = src.indexOf(`function ${fn}(`);
  const body = src.slice(start, src.indexOf('\nfunction ', start + 1));
  const lists = [...body.matchAll(/c\.unknown\('spec(?:\.bgp)?',\s*\w+,\s*\[([^\]]*)\]/g), ...body.matchAll(/const known = \[([^\]]*)\]/g)];
  return lists.flatMap((m) => [...m[1].matchAll(/'([^']+)'/g)].map((x) => x[1]));
}

/** Backticked names in the first column of a section's tables. */
function documentedFields(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...l.split('|')[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]))
    .filter((f) => !f.startsWith('metadata.'))
    .map((f) => f.replace(/^spec\./, '').replace(/^bgp\./, ''));
}

const KINDS: [string, string, string[]][] = [
  ['Node', 'validateNode', []],
  ['BGPConfiguration', 'validateBGPConfiguration', []],
  ['BGPPeer', 'validateBGPPeer', []],
  ['IPPool', 'validateIPPool', []],
  ['BlockAffinity', 'validateBlockAffinity', []],
  ['BGPFilter', 'filterRules', ['exportV4', 'importV4', 'exportV6', 'importV6']],
];


describe('docs/configuration.md', () => {
  it.each(KINDS)('documents every %s field the validator knows', (kind, fn, extra) => {
    const text = section(CONFIG, kind);
    const fields = [...knownFields(fn), ...extra];
    expect(fields.length).toBeGreaterThan(3);
    const missing = fields.filter((f) => !new RegExp('`(spec\\.)?(bgp\\.)?' + f.replace(/[-.]/g, '\\$&') + '[`.]').test(text));
    expect(missing).toEqual([]);
  });

  it.each(KINDS)('documents no %s field the validator does not know', (kind, fn, extra) => {
    const known = new Set([...knownFields(fn), ...extra]);
    const unknown = documentedFields(section(CONFIG, kind)).filter((f) => !known.has(f));
    expect(unknown).toEqual([]);
  });
});

describe('docs/operations.md', () => {
  it('every bgpd flag in the table is accepted by the daemon', () => {
    const table = OPERATIONS.slice(OPERATIONS.indexOf('| flag | default | meaning |'), OPERATIONS.indexOf('Exit codes'));
    const flags = [...table.matchAll(/^\| `(--[a-z-]+)`/gm)].map((m) => m[1]);
    expect(flags).toContain('--socket');
    const needsValue: Record<string, string> = {
      '--config': 'x.yaml',
      '--node': 'n',
      '--socket': '/tmp/s',
      '--socket6': '/tmp/s6',
      '--metrics': '127.0.0.1:9900',
      '--log-level': 'debug',
      '--port': '1179',
      '--process-title': 'bird',
      '--datastore': 'file',
      '--kubeconfig': '/tmp/kubeconfig',
    };
    for (const f of flags) {
      const args = ['--config', 'x.yaml', f, ...(needsValue[f] ? [needsValue[f]] : [])];
      expect(() => parseArgs(args, {}), f).not.toThrow();
    }
    expect(parseArgs(['--config', 'x.yaml'], {}).socket).toBe('/var/run/calico/bird.ctl');
    expect(parseArgs(['--datastore', 'kubernetes', '--kubeconfig', '/tmp/k'], {})).toMatchObject({ datastore: 'kubernetes', kubeconfig: '/tmp/k', config: [] });
  });

  it('the flag table lists every flag the daemon accepts', () => {
    const table = OPERATIONS.slice(OPERATIONS.indexOf('| flag | default | meaning |'), OPERATIONS.indexOf('Exit codes'));
    const documented = new Set([...table.matchAll(/^\| `(--[a-z0-9-]+)`/gm)].map((m) => m[1]));
    const accepted = [...read('bgpd/main.ts').matchAll(/case '(--[a-z0-9-]+)':/g)].map((m) => m[1]).filter((f) => f !== '--help');
    expect(accepted.length).toBeGreaterThan(10);
    expect(accepted.filter((f) => !documented.has(f))).toEqual([]);
  });

  it('every lab invocation shown is accepted by the lab', () => {
    const shown = [OPERATIONS, TROUBLESHOOTING, README].flatMap((doc) => [...doc.matchAll(/npm run lab -- ([^`\n]+)/g)].map((m) => m[1].trim()));
    expect(shown.length).toBeGreaterThan(2);
    for (const s of shown) {
      const argv = s.replace(/\[|\]/g, '').split(/\s+/).filter((w) => w && w !== '|' && w !== 'ID' && w !== 'N');
      // Usage lines list alternatives: try each `a|b|c` choice.
      const expanded = argv.map((w) => w.split('|')[0]).map((w, i, a) => (a[i - 1] === '--nodes' ? '3' : w));
      expect(() => parseLabArgs(expanded), s).not.toThrow();
    }
  });
});

/** `bgpctl …` invocations in the docs: backticked spans and code lines, placeholders filled in. */
function bgpctlInvocations(): string[][] {
  const found: string[] = [];
  for (const doc of ALL_DOCS) {
    for (const m of doc.matchAll(/`(bgpctl [^`]+)`/g)) found.push(m[1]);
    // Commands in ```sh blocks, and `$ bgpctl …` prompts in pasted sessions.
    for (const block of doc.matchAll(/^```sh\n([\s\S]*?)^```/gm)) for (const m of block[1].matchAll(/^(bgpctl .*)$/gm)) found.push(m[1]);
    for (const m of doc.matchAll(/^\$ (bgpctl .*)$/gm)) found.push(m[1]);
  }
  return [...new Set(found)]
    .map((t) => t.replace(/\s+#.*$/, '').trim())
    // Usage summaries with alternatives (`a | b`, `--live|--ready`, `…`) are not single invocations.
    .filter((t) => !/[|…]/.test(t))
    .map((t) =>
      t
        .replace(/[[\]]/g, '')
        .split(/\s+/)
        .slice(1)
        .map((w) => ({ PREFIX: '10.0.0.0/24', SOCKET: '/tmp/x.ctl' })[w] ?? w),
    );
}

describe('docs/troubleshooting.md', () => {
  it('every log message it explains is logged by the code', () => {
    const table = TROUBLESHOOTING.slice(TROUBLESHOOTING.indexOf('| message | fields | meaning |'), TROUBLESHOOTING.indexOf('**Metrics.**'));
    const messages = [...table.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]);
    expect(messages.length).toBeGreaterThan(10);
    const files = execFileSync('find', ['bgpd', 'fib', 'config', 'peers', '-name', '*.ts'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    const source = files.map((f) => read(f)).join('\n');
    // `…` stands for a value the code puts in; each literal piece must be there.
    const missing = messages.filter((msg) => !msg.split('…').map((x) => x.trim()).filter(Boolean).every((piece) => source.includes(piece)));
    expect(missing).toEqual([]);
  });

  it('documents every metric the daemon exports, and no other', () => {
    const exported = [...read('bgpd/control/metrics.ts').matchAll(/'(bgpd_[a-z_]+)'/g)].map((m) => m[1]);
    expect(exported.length).toBeGreaterThan(8);
    const documented = new Set([...TROUBLESHOOTING.matchAll(/`(bgpd_[a-z_]+)[`{]/g)].map((m) => m[1]));
    expect(exported.filter((n) => !documented.has(n))).toEqual([]);
    expect([...documented].filter((n) => !exported.includes(n))).toEqual([]);
  });

  it('every bgpctl invocation shown is accepted by bgpctl (it fails to connect, never with a usage error)', async () => {
    const shown = bgpctlInvocations();
    expect(shown.length).toBeGreaterThan(5);
    for (const argv of shown) {
      const err: string[] = [];
      const code = await runBgpctl([...argv, '-s', join(ROOT, 'no-such-dir', 'bird.ctl'), '--timeout', '200'], { out: () => {}, err: (t) => err.push(t) });
      expect(code, `bgpctl ${argv.join(' ')}: ${err.join('')}`).toBe(1);
    }
  });
});

describe('docs/deploy', () => {
  it('the DaemonSet patch names the calico-node container, an image and calico-node\'s own Felix and BIRD probes', () => {
    const patch = parse(readFileSync(join(DEPLOY, 'calico-node-patch.yaml'), 'utf8')) as {
      spec: { template: { spec: { containers: { name: string; image: string; livenessProbe: { exec: { command: string[] } }; readinessProbe: { exec: { command: string[] } } }[] } } };
    };
    const [c] = patch.spec.template.spec.containers;
    expect(c.name).toBe('calico-node');
    expect(c.image).toMatch(/^[\w.-]+(\/[\w.-]+)+:[\w.-]+$/);
    // -bird-live asks runit about the "bird" service the Dockerfile installs; -bird-ready reads
    // /var/run/calico/bird.ctl, which the service's daemon serves (checked below).
    expect(c.livenessProbe.exec.command).toEqual(['/bin/calico-node', '-felix-live', '-bird-live']);
    expect(c.readinessProbe.exec.command).toEqual(['/bin/calico-node', '-felix-ready', '-bird-ready']);
  });

  function dockerfile(): { instr: string; args: string }[] {
    return readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8')
      .replace(/\\\n/g, ' ')
      .split('\n')
      .filter((l) => l.trim() && !l.trimStart().startsWith('#'))
      .map((l) => {
        const [instr, ...rest] = l.trim().split(/\s+/);
        return { instr: instr.toUpperCase(), args: rest.join(' ') };
      });
  }

  it('the Dockerfile builds on Node 20 and layers onto calico/node, installing the runit services', () => {
    const d = dockerfile();
    const froms = d.filter((x) => x.instr === 'FROM').map((x) => x.args);
    expect(froms[0]).toMatch(/node:20\b.* AS build$/);
    expect(froms[1]).toBe('${CALICO_NODE_IMAGE}');
    expect(d.find((x) => x.instr === 'ARG')?.args).toMatch(/^CALICO_NODE_IMAGE=[\w./-]*calico\/node:v\d+\.\d+\.\d+$/);
    const copies = d.filter((x) => x.instr === 'COPY').map((x) => x.args.split(/\s+/));
    const into = (dest: string) => copies.find((c) => c[c.length - 1] === dest);
    expect(into('/etc/service/available/bird/run')?.[0]).toBe('docs/deploy/bird.run');
    expect(into('/etc/service/available/bird6/run')?.[0]).toBe('docs/deploy/bird6.run');
    for (const c of copies.filter((x) => !x[0].startsWith('--from'))) {
      for (const src of c.slice(0, -1)) if (src !== '.' && !src.endsWith('.json')) expect(existsSync(join(ROOT, src)), src).toBe(true);
    }
    expect(into('/usr/lib/calico-bgpd/dist')).toEqual(['--from=build', '/src/dist', '/usr/lib/calico-bgpd/dist']);
    expect(into('/usr/local/bin/node')).toBeDefined();
    for (const s of ['bird.run', 'bird6.run']) expect(statSync(join(DEPLOY, s)).mode & 0o111).not.toBe(0);
  });

  const SOURCE = join(ROOT, 'bgpd', 'main.ts');

  /**
   * The exec line of the bird service, evaluated by sh with `exec CMD` turned into printing CMD's words,
   * with the daemon it names read from the source (whose first line, with node's flags, the build keeps):
   * node's flags, the installed script, the daemon's arguments.
   */
  function birdService(env: Record<string, string>): { flags: string[]; script: string | undefined; args: string[] } {
    const text = readFileSync(join(DEPLOY, 'bird.run'), 'utf8');
    const script = text
      .replace(/^main=.*$/m, `main=${SOURCE}`)
      .replace(/^exec \/usr\/local\/bin\/node /m, "printf '%s\\n' ");
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    const words = out.split('\n').filter(Boolean);
    const at = words.indexOf(SOURCE);
    return { flags: words.slice(0, at), script: /^main=(\S+)$/m.exec(text)?.[1], args: at < 0 ? [] : words.slice(at + 1) };
  }
  const birdServiceArgs = (env: Record<string, string>): string[] => birdService(env).args;

  it('the bird service runs the daemon the Dockerfile installs, on BIRD\'s socket, with arguments the daemon accepts', () => {
    const service = birdService({ NODENAME: 'k8s-w0', BGPD_CONFIG: '/etc/calico/bgpd' });
    expect(service.script).toBe('/usr/lib/calico-bgpd/dist/bgpd/main.js');
    // With node's flags from the daemon's first line, as the `bgpd` binary and the benchmarks run it.
    expect(service.flags).toEqual(launchFlags(SOURCE));
    expect(service.flags.length).toBeGreaterThan(0);
    const a = parseArgs(service.args, {});
    // The sockets calico-node's -bird-ready / -bird6-ready and calicoctl read.
    expect(a).toMatchObject({ datastore: 'file', config: ['/etc/calico/bgpd'], node: 'k8s-w0', socket: '/var/run/calico/bird.ctl', socket6: '/var/run/calico/bird6.ctl', logLevel: 'info', processTitle: 'bird', metrics: null });
    // No BGPD_LOG_LEVEL: the level is left to BGPConfiguration logSeverityScreen.
    expect(a.logLevelSet).toBe(false);

    // Without BGPD_CONFIG it runs on the Kubernetes datastore, which this build has.
    const k8s = parseArgs(birdServiceArgs({ NODENAME: 'k8s-w0' }), {});
    expect(k8s).toMatchObject({ datastore: 'kubernetes', config: [], node: 'k8s-w0', socket: '/var/run/calico/bird.ctl', socket6: '/var/run/calico/bird6.ctl' });
    expect(ALL_DOCS.join('\n')).not.toContain('not available in this build');

    // The optional knobs the operations page names.
    const tuned = parseArgs(birdServiceArgs({ NODENAME: 'k8s-w0', BGPD_LOG_LEVEL: 'debug', BGPD_METRICS: '0.0.0.0:9900' }), {});
    expect(tuned).toMatchObject({ logLevel: 'debug', logLevelSet: true, metrics: '0.0.0.0:9900' });
    for (const v of ['BGPD_CONFIG', 'BGPD_LOG_LEVEL', 'BGPD_METRICS']) expect(OPERATIONS).toContain(v);
  });

  it('the bird6 service starts no second daemon', () => {
    const s = readFileSync(join(DEPLOY, 'bird6.run'), 'utf8');
    expect(s).toMatch(/^exec sleep infinity$/m);
    expect(s).not.toMatch(/main\.js|bird -/);
  });
});
