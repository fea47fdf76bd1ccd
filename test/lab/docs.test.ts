// The docs against the code: every field the validator knows is documented under its resource and
// nothing else is; documented command-line flags are accepted by the real parsers; the deploy recipe
// parses and fits together (the service script's command line is evaluated by a real shell and
// given to the daemon's own argument parser; the Dockerfile copies what the script runs).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../bgpd/main.js';
import { projectRoot } from './lab.js';
import { parseLabArgs } from './run.js';

const ROOT = projectRoot();
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const CONFIG = read('docs/configuration.md');
const OPERATIONS = read('docs/operations.md');
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
    const needsValue: Record<string, string> = { '--config': 'x.yaml', '--node': 'n', '--socket': '/tmp/s', '--log-level': 'debug', '--port': '1179', '--process-title': 'bird' };
    for (const f of flags) {
      const args = ['--config', 'x.yaml', f, ...(needsValue[f] ? [needsValue[f]] : [])];
      expect(() => parseArgs(args, {}), f).not.toThrow();
    }
    expect(parseArgs(['--config', 'x.yaml'], {}).socket).toBe('/var/run/calico/bird.ctl');
  });

  it('every lab invocation shown is accepted by the lab', () => {
    const shown = [...OPERATIONS.matchAll(/npm run lab -- ([^`\n]+)/g)].map((m) => m[1].trim());
    expect(shown.length).toBeGreaterThan(2);
    for (const s of shown) {
      const argv = s.replace(/\[|\]/g, '').split(/\s+/).filter((w) => w && w !== '|' && w !== 'ID' && w !== 'N');
      // Usage lines list alternatives: try each `a|b|c` choice.
      const expanded = argv.map((w) => w.split('|')[0]).map((w, i, a) => (a[i - 1] === '--nodes' ? '3' : w));
      expect(() => parseLabArgs(expanded), s).not.toThrow();
    }
  });
});

describe('docs/deploy', () => {
  it('the DaemonSet patch names the calico-node container, an image and Felix-only probes', () => {
    const patch = parse(readFileSync(join(DEPLOY, 'calico-node-patch.yaml'), 'utf8')) as {
      spec: { template: { spec: { containers: { name: string; image: string; livenessProbe: { exec: { command: string[] } }; readinessProbe: { exec: { command: string[] } } }[] } } };
    };
    const [c] = patch.spec.template.spec.containers;
    expect(c.name).toBe('calico-node');
    expect(c.image).toMatch(/^[\w.-]+(\/[\w.-]+)+:[\w.-]+$/);
    expect(c.livenessProbe.exec.command).toEqual(['/bin/calico-node', '-felix-live']);
    expect(c.readinessProbe.exec.command).toEqual(['/bin/calico-node', '-felix-ready']);
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

  /** The exec line of the bird service, evaluated by sh with `exec CMD` turned into printing CMD's words. */
  function birdServiceArgs(env: Record<string, string>): string[] {
    const script = readFileSync(join(DEPLOY, 'bird.run'), 'utf8').replace(/^exec \/usr\/local\/bin\/node /m, "printf '%s\\n' ");
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    return out.split('\n').filter(Boolean);
  }

  it('the bird service runs the daemon the Dockerfile installs, on BIRD\'s socket, with arguments the daemon accepts', () => {
    const withFile = birdServiceArgs({ NODENAME: 'k8s-w0', BGPD_CONFIG: '/etc/calico/bgpd' });
    expect(withFile[0]).toBe('/usr/lib/calico-bgpd/dist/bgpd/main.js');
    const a = parseArgs(withFile.slice(1), {});
    expect(a).toMatchObject({ config: ['/etc/calico/bgpd'], node: 'k8s-w0', socket: '/var/run/calico/bird.ctl', logLevel: 'info', processTitle: 'bird' });

    // Without BGPD_CONFIG it asks for the Kubernetes datastore: accepted, or refused only with
    // the documented "not available in this build".
    const k8s = birdServiceArgs({ NODENAME: 'k8s-w0' }).slice(1);
    expect(k8s).toContain('kubernetes');
    try {
      parseArgs(k8s, {});
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as Error).message).toMatch(/^datastore kubernetes is not available in this build/);
      expect(CONFIG).toContain('datastore kubernetes is not available in this build');
    }
  });

  it('the bird6 service starts no second daemon', () => {
    const s = readFileSync(join(DEPLOY, 'bird6.run'), 'utf8');
    expect(s).toMatch(/^exec sleep infinity$/m);
    expect(s).not.toMatch(/main\.js|bird -/);
  });
});
