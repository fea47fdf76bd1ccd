// `npm run lab` for real, in each mode: namespaces, bird2 on the ToR, our built daemon on every
// node (dist/, so `npm run build` first, as CI does), real pings. Asserts the sessions, the ToR's
// table, the printout, pod plumbing on each node, cleanup, and the full ping matrix across nodes
// through the routes each daemon programs in its node's kernel.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCluster, type Mode } from './cluster.js';
import { IPIP_MISSING, projectRoot, runLab, type LabResult } from './lab.js';
import { downKept, NS_PREFIX, stateDir } from './netlab.js';

const ROOT = projectRoot();
const DAEMON = join(ROOT, 'dist', 'bgpd', 'main.js');

function namespacesOf(id: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`${NS_PREFIX}${id}-`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Can this kernel make an ipip device? Asked independently of the lab. */
function kernelHasIpip(): boolean {
  const ns = `${NS_PREFIX}probe-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['-n', ns, 'link', 'show', 'tunl0'], { stdio: 'ignore' });
    return true;
  } catch {
    try {
      execFileSync('ip', ['-n', ns, 'link', 'add', 'tunl0', 'type', 'ipip'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

beforeAll(() => {
  if (!existsSync(DAEMON)) throw new Error(`${DAEMON} is missing: the lab runs the built daemon; run "npm run build" first`);
});

const cases: { title: string; mode: Mode; routeReflector: boolean; slow?: boolean }[] = [
  { title: 'direct, full mesh', mode: 'direct', routeReflector: false },
  { title: 'vxlan', mode: 'vxlan', routeReflector: false },
  { title: 'crosssubnet (two subnets)', mode: 'crosssubnet', routeReflector: false },
  { title: 'route reflector', mode: 'direct', routeReflector: true },
];
const IPIP = kernelHasIpip();
// Where the host kernel lacks ipip this case runs under Debian's kernel in an emulated VM (.ci/run),
// several times slower: give sessions and routes more time (the waits end as soon as they hold).
if (IPIP) cases.push({ title: 'ipip', mode: 'ipip', routeReflector: false, slow: true });

describe.each(cases)('lab: $title', ({ mode, routeReflector, slow }) => {
  let result: LabResult;
  const lines: string[] = [];
  const plan = planCluster({ mode, nodes: 3, routeReflector }, 'x');

  beforeAll(async () => {
    result = await runLab({ mode, nodes: 3, routeReflector, keep: false, out: (l) => lines.push(l), ...(slow ? { sessionTimeoutMs: 180_000, routeWaitMs: 60_000 } : {}) });
  }, 400_000);

  it('builds and runs without error', () => {
    expect(result.error, lines.join('\n')).toBeUndefined();
  });

  it('every session of every daemon is Established', () => {
    expect(result.sessionsUp, lines.join('\n')).toBe(true);
    for (const n of result.nodes) {
      expect(n.status.sessions.length).toBeGreaterThan(0);
      for (const s of n.status.sessions) expect(s.state, `${n.name} ${s.name}`).toBe('Established');
    }
  });

  it('the daemons run the Calico sessions: ToR peering plus mesh, or route-reflector peerings', () => {
    const names = result.nodes.map((n) => n.status.sessions.map((s) => s.peer).sort());
    const ips = plan.nodes.map((n) => n.ip);
    plan.nodes.forEach((n, i) => {
      const others = routeReflector ? (i === 0 ? ips.slice(1) : [ips[0]]) : ips.filter((ip) => ip !== n.ip);
      expect(names[i]).toEqual(['192.168.100.1', ...others].sort());
    });
  });

  it('each daemon learned its BGP neighbours\' blocks from them (before their End-of-RIB)', () => {
    // Each node announces its one block, then End-of-RIB; the ToR announces nothing.
    result.nodes.forEach((n, i) => {
      const got = Object.fromEntries(n.logSessions.map((s) => [s.peer, s.routes]));
      expect(got['192.168.100.1'], n.name).toBe(0);
      const neighbours = routeReflector ? (i === 0 ? plan.nodes.slice(1) : [plan.nodes[0]]) : plan.nodes.filter((o) => o.name !== n.name);
      for (const o of neighbours) {
        // A route-reflector client may already hold routes the reflector passes on.
        if (routeReflector && i > 0) expect(got[o.ip], `${n.name} from ${o.name}`).toBeGreaterThanOrEqual(1);
        else expect(got[o.ip], `${n.name} from ${o.name}`).toBe(1);
      }
    });
  });

  it('the ToR has one Established session per node and learned every block from its node', () => {
    for (const n of plan.nodes) {
      const p = result.tor.protocols.find((x) => x.name === `k8s_${n.short}`);
      expect(p?.info, n.name).toBe('Established');
      // calico_export_to_bgp_peers accepts every route inside an enabled pool, so each node also
      // passes on the blocks it learned from the others (next hop self, as BIRD does for eBGP).
      const r = result.tor.routes.filter((x) => x.prefix === n.block);
      expect(r.map((x) => [x.via, x.protocol]), n.name).toContainEqual([n.ip, `k8s_${n.short}`]);
      for (const x of r) expect(plan.nodes.find((o) => `k8s_${o.short}` === x.protocol)?.ip, `${n.block} via ${x.protocol}`).toBe(x.via);
    }
  });

  it('pods on the same node reach each other (cali veth, proxy ARP, /32 route)', () => {
    for (const n of plan.nodes) {
      const [a, b] = n.pods;
      expect(result.pings.find((p) => p.from === a.name && p.to === b.name)?.ok, `${a.name} → ${b.name}`).toBe(true);
      expect(result.pings.find((p) => p.from === b.name && p.to === a.name)?.ok, `${b.name} → ${a.name}`).toBe(true);
    }
  });

  it('prints per node its sessions and kernel routes, the ToR, a ping matrix and a summary; exit code follows the pings', () => {
    const text = lines.join('\n');
    for (const n of plan.nodes) {
      expect(text).toContain(`== ${n.name}  ${n.ip}/24  block ${n.block}`);
      for (const p of n.pods) expect(text).toContain(`${p.name} ${p.ip}`);
    }
    expect(text).toMatch(/kernel routes \(ip route\):\n {2}default via 192\.168\.10[01]\.1 dev eth0/);
    expect(text).toContain('== ping matrix');
    expect(result.pings).toHaveLength(30);
    const failed = result.pings.filter((p) => !p.ok).length;
    expect(lines[lines.length - 1]).toMatch(failed ? new RegExp(`^✗ ${failed} of 30 pings failed`) : /^✓ all 30 pings between 6 pods succeeded/);
    expect(result.exitCode).toBe(failed === 0 && result.sessionsUp ? 0 : 1);
  });

  it('leaves nothing behind', () => {
    expect(namespacesOf(result.id)).toEqual([]);
    expect(existsSync(`/tmp/calico-bgpd-lab-${result.id}`)).toBe(false);
    expect(existsSync(join(stateDir(), `${result.id}.json`))).toBe(false);
  });

  // Pods on different nodes reach each other through the routes each daemon installs in its node's kernel.
  it('every pod reaches every pod on the other nodes, and the lab exits 0', () => {
    for (const n of result.nodes) expect(n.missingBlocks, n.name).toEqual([]);
    expect(result.pings.filter((p) => !p.ok)).toEqual([]);
    expect(result.exitCode).toBe(0);
  });
});

describe.skipIf(IPIP)('lab: ipip on a kernel without the ipip module', () => {
  it('says so plainly and fails, leaving nothing behind', async () => {
    const lines: string[] = [];
    const r = await runLab({ mode: 'ipip', nodes: 3, routeReflector: false, keep: false, out: (l) => lines.push(l) });
    expect(r.error).toBe(IPIP_MISSING);
    expect(r.exitCode).toBe(1);
    expect(lines[lines.length - 1]).toBe(`✗ lab failed: ${IPIP_MISSING}`);
    expect(namespacesOf(r.id)).toEqual([]);
  });
});

describe('lab: --keep, --down and Ctrl-C', () => {
  const kept: string[] = [];
  afterAll(() => {
    for (const id of kept) downKept(id);
  });

  it('--keep leaves the lab running and recorded; --down removes it', async () => {
    const r = await runLab({ mode: 'direct', nodes: 1, routeReflector: false, keep: true, out: () => {} });
    kept.push(r.id);
    expect(r.error).toBeUndefined();
    expect(r.kept?.howto).toContain(`npm run lab -- --down ${r.id}`);
    expect(namespacesOf(r.id).sort()).toEqual([`${NS_PREFIX}${r.id}-l2`, `${NS_PREFIX}${r.id}-tor`, `${NS_PREFIX}${r.id}-w0`, `${NS_PREFIX}${r.id}-w0-p0`, `${NS_PREFIX}${r.id}-w0-p1`]);
    const record = JSON.parse(readFileSync(r.kept!.stateFile, 'utf8')) as { pids: number[] };
    expect(record.pids.length).toBe(2);
    expect(record.pids.every(alive)).toBe(true);
    // Still answering after runLab returned: the pods' pings go through the kept node.
    execFileSync('ip', ['netns', 'exec', r.nodes[0].pods[0].ns, 'ping', '-c', '1', '-W', '2', r.nodes[0].pods[1].ip]);

    expect(downKept(r.id)).toEqual([r.id]);
    expect(namespacesOf(r.id)).toEqual([]);
    expect(existsSync(r.kept!.stateFile)).toBe(false);
    await new Promise((res) => setTimeout(res, 200));
    expect(record.pids.some(alive)).toBe(false);
  }, 60_000);

  /** Start the lab CLI with one node and wait until its daemons are starting; returns its id. */
  async function startCli(): Promise<{ child: ReturnType<typeof spawn>; id: string; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'test', 'lab', 'run.js'), '--nodes', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    for (let i = 0; i < 300 && !text.includes('• bgpd on'); i++) await new Promise((res) => setTimeout(res, 100));
    expect(text).toContain('• bgpd on');
    return { child, id: /calico-bgpd lab ([0-9a-f]{6})/.exec(text)![1], exited };
  }

  it('a run killed outright (SIGKILL) leaves a record that --down removes', async () => {
    const { child, id, exited } = await startCli();
    expect(namespacesOf(id).length).toBe(5);
    child.kill('SIGKILL');
    await exited;
    expect(namespacesOf(id).length).toBe(5);
    expect(downKept(id)).toEqual([id]);
    expect(namespacesOf(id)).toEqual([]);
  }, 60_000);

  it('Ctrl-C while it runs removes everything and exits 130', async () => {
    const { child, id, exited } = await startCli();
    try {
      expect(namespacesOf(id).length).toBe(5);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(namespacesOf(id)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
