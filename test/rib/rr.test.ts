// Our speaker as a Calico route reflector (Node routeReflectorClusterID 244.0.0.1) on one L2 segment
// with three real bird2 iBGP peers: two clients (BGPPeer by peerIP) and one non-client (a Calico node
// of the same cluster, selected by label). RFC 4456 as bird sees it (`birdc show route all`): a
// client's routes reach everyone with ORIGINATOR_ID and CLUSTER_LIST, the non-client's reach the
// clients only, next hops are kept; a route carrying our cluster id in its CLUSTER_LIST is dropped;
// Calico's export policy holds back routes outside the IP pools; our own block goes out with our
// address as next hop.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nsExec, Topology, waitFor } from '../helpers/netns.js';
import type { CalicoResource } from '../../config/datastore.js';
import type { Speaker } from '../../bgpd/speaker.js';
import { Bird, birdConfig, type BirdPeerSpec } from '../session/daemons/bird.js';
import { enterNetns, model, res, testSpeaker } from '../session/harness.js';

const AS = 65000;
const CLUSTER = '244.0.0.1';
const US = '10.0.9.1';
const C1 = '10.0.9.2';
const C2 = '10.0.9.3';
const NC = '10.0.9.4';
const topo = new Topology('rrib');
let leave: (() => void) | null = null;
let speaker: Speaker;
const birds: Record<'c1' | 'c2' | 'nc', Bird> = {} as never;

const v3 = (kind: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): CalicoResource => ({
  apiVersion: 'projectcalico.org/v3',
  kind,
  metadata: { name, ...(labels ? { labels } : {}) },
  spec,
});

const resources = (): CalicoResource[] => [
  res.config({ nodeToNodeMeshEnabled: false, asNumber: AS }),
  v3('Node', 'us', { bgp: { ipv4Address: `${US}/24`, asNumber: AS, routeReflectorClusterID: CLUSTER } }),
  // The non-client: a Calico node of our cluster (same routeReflectorClusterID), chosen by label.
  v3('Node', 'nc', { bgp: { ipv4Address: `${NC}/24`, asNumber: AS, routeReflectorClusterID: CLUSTER } }, { 'route-reflector': 'true' }),
  res.peer('rr-mesh', { peerSelector: "route-reflector == 'true'" }),
  res.peer('client-1', { peerIP: C1, asNumber: AS }),
  res.peer('client-2', { peerIP: C2, asNumber: AS }),
  res.pool('pods', '100.64.0.0/16'),
  res.block('us', '100.64.200.0/26'),
];
const S_C1 = 'Global_10_0_9_2';
const S_C2 = 'Global_10_0_9_3';
const S_NC = 'Global_10_0_9_4';

/** bird's configuration: one iBGP session to us, a direct protocol so next hops on the LAN resolve. */
function configure(b: Bird, routerId: string, announce: string[], exportFilter?: string): void {
  const spec: BirdPeerSpec = { routerId, localAs: AS, neighbors: [{ name: 'toRr', address: US, localAddress: routerId, as: AS }], announce };
  let conf = `${birdConfig(spec, `${b.conf}.log`)}protocol direct { ipv4; }\n`;
  if (exportFilter) conf = conf.replace('export where proto = "announce4"', `export filter { ${exportFilter} }`);
  writeFileSync(b.conf, conf);
}

beforeAll(async () => {
  const lan = topo.netns('lan');
  nsExec(lan, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
  nsExec(lan, 'ip', ['link', 'set', 'br0', 'up']);
  const join = (ns: string, addr: string): void => {
    const [, lanSide] = topo.link(ns, `${addr}/24`, lan, []);
    nsExec(lan, 'ip', ['link', 'set', lanSide, 'master', 'br0']);
  };
  const us = topo.netns('us');
  join(us, US);
  for (const [name, addr] of [['c1', C1], ['c2', C2], ['nc', NC]] as const) {
    const ns = topo.netns(name);
    join(ns, addr);
    birds[name] = new Bird(topo, ns, name);
  }
  configure(birds.c1, C1, ['100.64.1.0/24', '198.51.100.0/24']);
  configure(birds.c2, C2, ['100.64.2.0/24']);
  // The non-client sends one route that has been through our cluster already.
  configure(birds.nc, NC, ['100.64.3.0/24', '100.64.9.0/24'], `if proto != "announce4" then reject; if net = 100.64.9.0/24 then bgp_cluster_list.add(${CLUSTER}); accept;`);
  for (const b of Object.values(birds)) await b.start();
  leave = enterNetns(us);
  speaker = testSpeaker();
  await speaker.apply(model('us', resources()));
}, 60_000);

afterAll(async () => {
  await speaker?.stop({ graceful: false });
  leave?.();
  await topo.destroy();
});

/** `show route PREFIX all` of a prefix bird holds (birdc fails on "Network not found"). */
const route = (b: Bird, prefix: string): string => b.birdc(`show route ${prefix} all`);
/** Whether bird's table holds the prefix: the whole (small) table, so a dead bird fails the test. */
const has = (b: Bird, prefix: string): boolean => b.birdc('show route').split('\n').some((l) => l.startsWith(`${prefix} `));

describe('route reflector with bird2 clients and a non-client', () => {
  it('reflects to clients and the non-client as RFC 4456 says', { timeout: 60_000 }, async () => {
    for (const s of [S_C1, S_C2, S_NC]) await waitFor(`${s} established`, () => speaker.session(s)?.state === 'Established', 30_000);
    const peers = speaker.status().map((s) => s.name).sort();
    expect(peers).toEqual([S_C1, S_C2, S_NC]);
    // Everything in before looking at what was held back.
    await waitFor('converged', () => speaker.converged(), 30_000);
    // client → the other client and the non-client, never back to itself.
    await waitFor('c1 route at c2', () => has(birds.c2, '100.64.1.0/24'));
    await waitFor('c1 route at nc', () => has(birds.nc, '100.64.1.0/24'));
    // non-client → clients.
    await waitFor('nc route at c1', () => has(birds.c1, '100.64.3.0/24'));
    await waitFor('nc route at c2', () => has(birds.c2, '100.64.3.0/24'));
    await waitFor('c2 route at c1', () => has(birds.c1, '100.64.2.0/24'));
    expect(speaker.routesOf('100.64.1.0/24')).toMatchObject([{ session: S_C1, peerAddress: C1, best: true, nextHops: [C1] }]);
    expect(speaker.peerCounts(S_C1)).toMatchObject({ received: 2, imported: 2, filtered: 0, preferred: 2 });
  });

  it('bird sees ORIGINATOR_ID of the client, our cluster id in CLUSTER_LIST and the next hop kept', () => {
    for (const b of [birds.c2, birds.nc]) {
      const r = route(b, '100.64.1.0/24');
      expect(r).toMatch(/BGP\.originator_id: 10\.0\.9\.2\b/);
      expect(r).toMatch(/BGP\.cluster_list: 244\.0\.0\.1\s*$/m);
      expect(r).toMatch(/BGP\.next_hop: 10\.0\.9\.2\b/);
      expect(r).toMatch(/BGP\.local_pref: 100\b/);
    }
    const fromNc = route(birds.c1, '100.64.3.0/24');
    expect(fromNc).toMatch(/BGP\.originator_id: 10\.0\.9\.4\b/);
    expect(fromNc).toMatch(/BGP\.cluster_list: 244\.0\.0\.1\s*$/m);
    expect(fromNc).toMatch(/BGP\.next_hop: 10\.0\.9\.4\b/);
  });

  it('a peer gets none of its own routes back', () => {
    expect(route(birds.c1, '100.64.1.0/24')).not.toMatch(/\[toRr /);
    expect(route(birds.nc, '100.64.3.0/24')).not.toMatch(/\[toRr /);
    expect(speaker.rib!.advertised(S_C1, '100.64.1.0/24')).toBeNull();
  });

  it('a route with our cluster id in its CLUSTER_LIST is dropped (RFC 4456 §8)', () => {
    // bird did send it, with the cluster id in place.
    expect(birds.nc.birdc('show route export toRr 100.64.9.0/24 all')).toMatch(/100\.64\.9\.0\/24[\s\S]*BGP\.cluster_list: 244\.0\.0\.1/);
    expect(speaker.routesOf('100.64.9.0/24')).toEqual([]);
    expect(speaker.adjRibIn(S_NC)!.get('100.64.9.0/24')).toBeUndefined();
    expect(speaker.adjRibIn(S_NC)!.get('100.64.3.0/24')).toBeDefined();
    expect(has(birds.c1, '100.64.9.0/24')).toBe(false);
    expect(has(birds.c2, '100.64.9.0/24')).toBe(false);
  });

  it("Calico's export policy holds back routes outside the IP pools, and our block goes out with our address", async () => {
    expect(speaker.routesOf('198.51.100.0/24')).toHaveLength(1);
    expect(has(birds.c2, '198.51.100.0/24')).toBe(false);
    expect(has(birds.nc, '198.51.100.0/24')).toBe(false);
    for (const b of Object.values(birds)) {
      await waitFor('our block', () => has(b, '100.64.200.0/26'));
      const r = route(b, '100.64.200.0/26');
      expect(r).toMatch(/BGP\.next_hop: 10\.0\.9\.1\b/);
      expect(r).not.toMatch(/originator_id/);
    }
  });

  it('a client withdrawing takes its route away from everyone', async () => {
    birds.c1.birdc('disable announce4');
    await waitFor('gone at c2', () => !has(birds.c2, '100.64.1.0/24'), 30_000);
    await waitFor('gone at nc', () => !has(birds.nc, '100.64.1.0/24'), 30_000);
    expect(speaker.routesOf('100.64.1.0/24')).toEqual([]);
    birds.c1.birdc('enable announce4');
    await waitFor('back at nc', () => has(birds.nc, '100.64.1.0/24'), 30_000);
  });
});
