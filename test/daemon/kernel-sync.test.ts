// bgpd/kernel.ts against the real kernel in a network namespace: best routes from the RIB become
// the routes calico-node's BIRD would program, decided from a real NodeModel — VXLAN pools through
// vxlan.calico with the peer's neighbour and fdb entries, routes outside every pool as plain routes,
// service CIDRs kept out (calico_kernel_programming), this node's block blackholed, BGPPeer
// reachableBy as a static route — and VXLAN left to Felix when asked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalicoResource } from '../../config/datastore.js';
import { KernelSync } from '../../bgpd/kernel.js';
import { compilePolicy } from '../../bgpd/policy/index.js';
import { EventLog } from '../../bgpd/control/index.js';
import type { Fib } from '../../fib/index.js';
import { Topology, nsExec } from '../helpers/netns.js';
import { ipRoutes, openFib } from '../fib/fib-helpers.js';
import { model, quietLog, res } from '../session/harness.js';

const topo = new Topology('ksy');
let ns: string;
const fibs: Fib[] = [];

const vxlanNode = (name: string, ip: string, vtep: string, mac: string): CalicoResource => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'Node',
  metadata: { name },
  spec: { bgp: { ipv4Address: `${ip}/24` }, ipv4VXLANTunnelAddr: vtep, vxlanTunnelMACAddr: mac },
});

const resources: CalicoResource[] = [
  vxlanNode('me', '10.0.5.1', '10.245.0.0', '66:00:00:00:00:01'),
  vxlanNode('peer', '10.0.5.2', '10.245.0.64', '66:00:00:00:00:02'),
  { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name: 'vx' }, spec: { cidr: '10.245.0.0/16', vxlanMode: 'Always', ipipMode: 'Never' } },
  res.block('me', '10.245.0.0/26'),
  res.block('peer', '10.245.0.64/26'),
  res.config({ serviceClusterIPs: [{ cidr: '10.96.0.0/12' }] }),
  res.peer('tor', { peerIP: '10.0.6.9', asNumber: 65000, reachableBy: '10.0.5.254' }),
];

async function sync(opts: { leaveVxlanToFelix?: boolean } = {}): Promise<{ k: KernelSync; fib: Fib; events: EventLog }> {
  let k: KernelSync | null = null;
  const fib = await openFib(ns, { onRouteResult: (dst, r) => k?.routeResult(dst, r), retryBaseMs: 60_000 });
  fibs.push(fib);
  await fib.reconcile();
  const events = new EventLog();
  k = new KernelSync(fib, quietLog, events, opts);
  return { k, fib, events };
}

const route = (dst: string) => ipRoutes(ns, 4, 'bird').find((r) => r.dst === dst);

beforeAll(() => {
  ns = topo.netns('n');
  topo.link(ns, '10.0.5.1/24', topo.netns('p'), '10.0.5.2/24');
  nsExec(ns, 'ip', ['link', 'add', 'vxlan.calico', 'type', 'vxlan', 'id', '4096', 'dstport', '4789', 'local', '10.0.5.1', 'nolearning']);
  nsExec(ns, 'ip', ['link', 'set', 'vxlan.calico', 'address', '66:00:00:00:00:01', 'up']);
});

afterAll(async () => {
  for (const f of fibs) f.close();
  await topo.destroy();
});

describe('KernelSync on a real kernel', () => {
  it('programs Calico’s routes from a model and the RIB’s best routes', async () => {
    const { k, fib, events } = await sync();
    const m = model('me', resources);
    k.setModel(m, compilePolicy(m));
    k.setStatics(new Map([['10.0.6.9', '10.0.5.254']]));
    k.bestChanged([
      { prefix: '10.245.0.64/26', afi: 1, nextHops: ['10.0.5.2'], session: 'Mesh_10_0_5_2' },
      { prefix: '192.0.2.0/24', afi: 1, nextHops: ['10.0.5.2'], session: 'Mesh_10_0_5_2' },
      { prefix: '10.96.0.0/12', afi: 1, nextHops: ['10.0.5.2'], session: 'Mesh_10_0_5_2' },
    ]);
    await fib.settled();
    expect(route('10.245.0.0/26')?.type).toBe('blackhole');
    expect(route('10.245.0.64/26')).toMatchObject({ gateway: '10.245.0.64', dev: 'vxlan.calico' });
    expect(route('10.245.0.64/26')?.flags).toContain('onlink');
    expect(nsExec(ns, 'ip', ['neigh', 'show', 'dev', 'vxlan.calico'])).toMatch(/10\.245\.0\.64 lladdr 66:00:00:00:00:02 PERMANENT/);
    expect(nsExec(ns, 'bridge', ['fdb', 'show', 'dev', 'vxlan.calico'])).toMatch(/66:00:00:00:00:02 dst 10\.0\.5\.2/);
    expect(route('192.0.2.0/24')?.gateway).toBe('10.0.5.2');
    // Service CIDRs are advertised, never programmed.
    expect(route('10.96.0.0/12')).toBeUndefined();
    expect(route('10.0.6.9')).toMatchObject({ gateway: '10.0.5.254' });
    expect(k.installedBy('Mesh_10_0_5_2')).toBe(2);
    expect(events.history('10.245.0.64/26').map((e) => e.type)).toEqual(['selected', 'installed']);

    // A withdrawal takes the route out; a changed reachableBy moves the static route.
    k.bestChanged([{ prefix: '192.0.2.0/24', afi: 1, nextHops: [], session: 'Mesh_10_0_5_2' }]);
    k.setStatics(new Map());
    await fib.settled();
    expect(route('192.0.2.0/24')).toBeUndefined();
    expect(route('10.0.6.9')).toBeUndefined();
    expect(k.installedBy('Mesh_10_0_5_2')).toBe(1);
    expect(events.history('192.0.2.0/24').map((e) => e.type)).toEqual(['selected', 'installed', 'removed']);

    // A next hop the kernel cannot reach: the trace says the install failed and why, not that it went in.
    k.bestChanged([{ prefix: '198.51.100.0/24', afi: 1, nextHops: ['10.9.9.9'], session: 'Mesh_10_0_5_2' }]);
    await fib.settled();
    expect(route('198.51.100.0/24')).toBeUndefined();
    const failed = events.history('198.51.100.0/24');
    expect(failed.map((e) => e.type)).toEqual(['selected', 'install-failed']);
    expect(failed[1]).toMatchObject({ error: expect.stringMatching(/^ENETUNREACH/) });
    k.bestChanged([{ prefix: '198.51.100.0/24', afi: 1, nextHops: [], session: 'Mesh_10_0_5_2' }]);

    // The block goes away from the model: its blackhole goes too.
    const without = model('me', resources.filter((r) => r.metadata.name !== 'me-10-245-0-0-26'));
    k.setModel(without, compilePolicy(without));
    await fib.settled();
    expect(route('10.245.0.0/26')).toBeUndefined();
    fib.close();
  });

  it('leaves VXLAN pool routes to Felix when asked, and still programs the rest', async () => {
    // Start from an empty table of ours.
    for (const r of ipRoutes(ns, 4, 'bird')) nsExec(ns, 'ip', ['route', 'del', r.dst, 'proto', 'bird']);
    const { k, fib } = await sync({ leaveVxlanToFelix: true });
    const m = model('me', resources);
    k.setModel(m, compilePolicy(m));
    k.bestChanged([
      { prefix: '10.245.0.64/26', afi: 1, nextHops: ['10.0.5.2'], session: 'Mesh_10_0_5_2' },
      { prefix: '192.0.2.0/24', afi: 1, nextHops: ['10.0.5.2'], session: 'Mesh_10_0_5_2' },
    ]);
    await fib.settled();
    expect(route('10.245.0.64/26')).toBeUndefined();
    expect(route('192.0.2.0/24')?.gateway).toBe('10.0.5.2');
    // Our own block is still blackholed: that is how it is advertised.
    expect(route('10.245.0.0/26')?.type).toBe('blackhole');
  });
});
