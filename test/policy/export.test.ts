// calico_export_to_bgp_peers rule by rule, IPv4 and IPv6, with the order of the rules checked
// where two of them meet (a disableBGPExport pool beats a block; a block's more-specifics are
// rejected even inside a pool; service CIDRs and pools accept anything inside them).
import { describe, expect, it } from 'vitest';
import { block, doc, EBGP, fromPeer, IBGP, policy, pool, route } from './helpers.js';

const CONFIG = doc(
  'BGPConfiguration',
  'default',
  `{serviceClusterIPs: [{cidr: 10.96.0.0/12}, {cidr: "fd00:96::/108"}], serviceExternalIPs: [{cidr: 203.0.113.0/24}], serviceLoadBalancerIPs: [{cidr: 198.51.100.7/32}, {cidr: "2001:db8:1b::/120"}],
  communities: [{name: gold, value: "65000:100"}],
  prefixAdvertisements: [{cidr: 10.244.0.0/16, communities: [gold, "65000:1:2"]}, {cidr: 10.244.1.0/24, communities: ["65000:200", "65000:100"]}, {cidr: "fd00:244::/56", communities: ["64512:6"]}, {cidr: 203.0.113.0/24, communities: ["65000:3:3"]}]}`,
);

const Y =
  CONFIG +
  pool('p4', '10.244.0.0/16') +
  pool('p6', 'fd00:244::/56') +
  pool('off4', '10.99.0.0/16', 'disableBGPExport: true') +
  pool('off6', 'fd00:99::/56', 'disableBGPExport: true') +
  pool('notalloc', '10.50.0.0/16', 'disabled: true') +
  block('b4', '10.244.1.0/26') +
  block('b4single', '10.244.3.9/32') +
  block('b6', 'fd00:244:0:1::/122') +
  block('off', '10.99.1.0/26') +
  block('pending', '10.244.2.0/26', 'n1', 'pending');

const p = policy(Y);
const e = p.exportFilter(EBGP);
const i = p.exportFilter(IBGP);
const C = (a: number, b: number) => a * 65536 + b;

describe('export: one row per rule of calico_export_to_bgp_peers', () => {
  const table: [string, string, { iface?: string; from?: boolean }, boolean, boolean][] = [
    // prefix, why, route details, exported to eBGP, exported to iBGP
    ['10.99.0.0/16', 'disableBGPExport pool itself', {}, false, false],
    ['10.99.1.0/26', 'our confirmed block inside a disableBGPExport pool', {}, false, false],
    ['10.99.200.1/32', 'anything inside a disableBGPExport pool', { from: true }, false, false],
    ['fd00:99::/64', 'IPv6 disableBGPExport pool', {}, false, false],
    ['10.244.5.5/32', 'borrowed /32 via Felix vxlan.calico: iBGP rejects tunnel routes', { iface: 'vxlan.calico' }, true, false],
    ['10.244.5.6/32', 'via wireguard.cali: iBGP rejects', { iface: 'wireguard.cali' }, true, false],
    ['10.244.5.7/32', 'via a pod veth cali…: not a tunnel device', { iface: 'cali0123456789a' }, true, true],
    ['10.244.5.8/32', 'via tunl0: not a Felix tunnel device', { iface: 'tunl0' }, true, true],
    ['fd00:244:0:9::1/128', 'IPv6 via vxlan-v6.calico: iBGP rejects', { iface: 'vxlan-v6.calico' }, true, false],
    ['10.244.1.0/26', 'our block', {}, true, true],
    ['10.244.1.0/27', 'inside our block', {}, false, false],
    ['10.244.1.17/32', 'pod inside our block', { iface: 'calixyz' }, false, false],
    ['10.244.1.17/32', 'a /32 inside our block even from a peer', { from: true }, false, false],
    ['10.244.3.9/32', 'a /32 block', {}, true, true],
    ['10.244.2.0/26', 'a pending block is not ours: accepted as a pool route', {}, true, true],
    ['10.244.2.5/32', 'inside a pending block: a pool route', {}, true, true],
    ['10.244.0.0/23', 'covers our block but is not inside it: pool route', {}, true, true],
    ['fd00:244:0:1::/122', 'IPv6 block', {}, true, true],
    ['fd00:244:0:1::3f/128', 'inside the IPv6 block', {}, false, false],
    ['fd00:244:0:7::1/128', 'IPv6 borrowed /128', {}, true, true],
    ['10.96.0.0/12', 'serviceClusterIPs', {}, true, true],
    ['10.96.0.10/32', 'inside serviceClusterIPs', {}, true, true],
    ['203.0.113.0/24', 'serviceExternalIPs', {}, true, true],
    ['198.51.100.7/32', 'serviceLoadBalancerIPs', {}, true, true],
    ['198.51.100.0/24', 'covering a LoadBalancer IP is not inside it', {}, false, false],
    ['fd00:96::/108', 'IPv6 cluster IPs', {}, true, true],
    ['2001:db8:1b::/120', 'IPv6 LoadBalancer IPs', {}, true, true],
    ['10.50.3.0/26', 'a pool disabled for allocation still exports (confd ignores `disabled`)', { from: true }, true, true],
    ['10.244.0.0/16', 'the pool itself', {}, true, true],
    ['10.0.0.0/8', 'covering the pool: not inside it', {}, false, false],
    ['0.0.0.0/0', 'a default route from a ToR', { from: true }, false, false],
    ['192.168.1.0/24', 'the node subnet', { iface: 'eth0' }, false, false],
    ['::/0', 'IPv6 default', { from: true }, false, false],
    ['fd00:245::/64', 'IPv6 outside every pool', {}, false, false],
  ];
  for (const [prefix, why, d, toE, toI] of table) {
    it(`${prefix} (${why}): eBGP ${toE ? 'accept' : 'reject'}, iBGP ${toI ? 'accept' : 'reject'}`, () => {
      const r = route(prefix, { iface: d.iface ?? null, from: d.from ? fromPeer() : null });
      expect(e(r) !== null).toBe(toE);
      expect(i(r) !== null).toBe(toI);
    });
  }
});

describe('export: prefixAdvertisements communities', () => {
  it('every matching advertisement adds its communities, standard and large, without duplicates', () => {
    const v = e(route('10.244.1.0/26'));
    expect(v).not.toBeNull();
    expect([...v!.communities].sort()).toEqual([C(65000, 100), C(65000, 200)].sort());
    expect(v!.largeCommunities).toEqual([[65000, 1, 2]]);
  });

  it('a route inside only the wider advertisement gets only its communities', () => {
    expect(e(route('10.244.9.1/32'))).toEqual({ communities: [C(65000, 100)], largeCommunities: [[65000, 1, 2]] });
  });

  it('service CIDRs get theirs; IPv6 routes match IPv6 advertisements only', () => {
    expect(e(route('203.0.113.0/24'))).toEqual({ communities: [], largeCommunities: [[65000, 3, 3]] });
    expect(e(route('fd00:244:0:1::/122'))).toEqual({ communities: [C(64512, 6)], largeCommunities: [] });
    expect(e(route('10.96.0.0/12'))).toEqual({ communities: [], largeCommunities: [] });
  });

  it('verdicts are shared constant objects, the same for every route and peer with the same matches', () => {
    const a = e(route('10.244.9.1/32'));
    const b = i(route('10.244.200.0/26'));
    expect(a).toBe(b);
    expect(e(route('10.96.0.0/12'))).toBe(i(route('fd00:96::/108')));
    expect(Object.isFrozen(a) && Object.isFrozen(a!.communities)).toBe(true);
  });

  it('a rejected route gets no communities lookup result at all', () => {
    expect(e(route('10.244.1.5/32'))).toBeNull();
  });

  it('a per-node prefixAdvertisements list replaces the global one', () => {
    const q = policy(CONFIG + doc('BGPConfiguration', 'node.n1', `{prefixAdvertisements: [{cidr: 10.244.0.0/16, communities: ["1:1"]}]}`) + pool('p4', '10.244.0.0/16'));
    expect(q.exportFilter(EBGP)(route('10.244.1.0/26'))).toEqual({ communities: [C(1, 1)], largeCommunities: [] });
  });
});

describe('export: without service CIDRs or blocks', () => {
  it('a node with nothing configured exports nothing', () => {
    const q = policy('');
    expect(q.exportFilter(EBGP)(route('10.244.1.0/26'))).toBeNull();
    expect(q.exportFilter(IBGP)(route('fd00::/64'))).toBeNull();
  });
});
