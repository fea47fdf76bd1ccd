// The encapsulation decision, rule by rule (DESIGN.md §2 "Kernel", §3 "Import to kernel").
import { describe, expect, it } from 'vitest';
import { blackholeRoute, kernelRoute, type EncapContext, type PoolInfo } from '../../fib/index.js';

const pool = (cidr: string, ipipMode: PoolInfo['ipipMode'], vxlanMode: PoolInfo['vxlanMode'], disabled = false): PoolInfo => ({ cidr, ipipMode, vxlanMode, disabled });

const ctx: EncapContext = {
  pools: [
    pool('10.10.0.0/16', 'Never', 'Never'),
    pool('10.20.0.0/16', 'Always', 'Never'),
    pool('10.30.0.0/16', 'CrossSubnet', 'Never'),
    pool('10.40.0.0/16', 'Never', 'Always'),
    pool('10.50.0.0/16', 'Never', 'CrossSubnet'),
    pool('10.60.0.0/16', 'Always', 'Never', true),
    // A more specific pool inside a broader one wins.
    pool('10.20.128.0/20', 'Never', 'Never'),
    pool('fd10::/48', 'Never', 'Never'),
    pool('fd40::/48', 'Always', 'Always'),
    pool('fd50::/48', 'Never', 'CrossSubnet'),
  ],
  localSubnets: ['192.168.1.10/24', 'fd00:1::10/64'],
  vteps: [
    { nodeAddress: '192.168.1.11', vtepAddress: '10.40.1.0', mac: '66:00:00:00:00:11' },
    { nodeAddress: '192.168.2.20', vtepAddress: '10.40.2.0', mac: '66-00-00-00-00-20' },
    { nodeAddress: '192.168.2.20', vtepAddress: 'fd40:2::', mac: '66:00:00:00:06:20' },
    { nodeAddress: 'fd00:2::20', vtepAddress: 'fd40:2::', mac: '66:00:00:00:06:20' },
  ],
  tunnelDevice: 'tunl0',
  vxlanDevice: 'vxlan.calico',
  vxlanV6Device: 'vxlan-v6.calico',
};

const same = '192.168.1.11'; // inside this node's subnet
const other = '192.168.2.20'; // across a router

type Row = [name: string, prefix: string, nextHops: string[], expected: ReturnType<typeof kernelRoute>];
const plain = (dst: string, ...gws: string[]) => ({ dst, type: 'unicast' as const, nextHops: gws.map((gateway) => ({ gateway })), neighbours: [], fdb: [] });
const ipip = (dst: string, gw: string) => ({ dst, type: 'unicast' as const, nextHops: [{ gateway: gw, device: 'tunl0', onlink: true }], neighbours: [], fdb: [] });

const rows: Row[] = [
  ['no encapsulation → via NH', '10.10.1.0/26', [other], plain('10.10.1.0/26', other)],
  ['outside every pool (a ToR route) → plain via NH', '172.16.0.0/12', [other], plain('172.16.0.0/12', other)],
  ['default route from a ToR → plain', '0.0.0.0/0', [same], plain('0.0.0.0/0', same)],
  ['IPIP Always, same subnet → tunl0 onlink anyway', '10.20.1.0/26', [same], ipip('10.20.1.0/26', same)],
  ['IPIP Always, other subnet → tunl0 onlink', '10.20.1.0/26', [other], ipip('10.20.1.0/26', other)],
  ['IPIP CrossSubnet, same subnet → direct', '10.30.1.0/26', [same], plain('10.30.1.0/26', same)],
  ['IPIP CrossSubnet, other subnet → tunl0', '10.30.1.0/26', [other], ipip('10.30.1.0/26', other)],
  ['more specific pool without encapsulation wins over IPIP Always', '10.20.130.0/26', [other], plain('10.20.130.0/26', other)],
  ['disabled pool still routes its blocks as its mode says', '10.60.1.0/26', [other], ipip('10.60.1.0/26', other)],
  ['host bits of the prefix are cleared', '10.10.1.7/26', [other], plain('10.10.1.0/26', other)],
  [
    'VXLAN Always → via peer VTEP dev vxlan.calico onlink, with neighbour and fdb',
    '10.40.2.0/26',
    [other],
    {
      dst: '10.40.2.0/26',
      type: 'unicast',
      nextHops: [{ gateway: '10.40.2.0', device: 'vxlan.calico', onlink: true }],
      neighbours: [{ device: 'vxlan.calico', address: '10.40.2.0', mac: '66:00:00:00:00:20' }],
      fdb: [{ device: 'vxlan.calico', mac: '66:00:00:00:00:20', dst: other }],
    },
  ],
  [
    'VXLAN Always inside the subnet is still VXLAN',
    '10.40.1.0/26',
    [same],
    {
      dst: '10.40.1.0/26',
      type: 'unicast',
      nextHops: [{ gateway: '10.40.1.0', device: 'vxlan.calico', onlink: true }],
      neighbours: [{ device: 'vxlan.calico', address: '10.40.1.0', mac: '66:00:00:00:00:11' }],
      fdb: [{ device: 'vxlan.calico', mac: '66:00:00:00:00:11', dst: same }],
    },
  ],
  ['VXLAN CrossSubnet, same subnet → direct', '10.50.1.0/26', [same], plain('10.50.1.0/26', same)],
  [
    'VXLAN CrossSubnet, other subnet → VXLAN',
    '10.50.2.0/26',
    [other],
    {
      dst: '10.50.2.0/26',
      type: 'unicast',
      nextHops: [{ gateway: '10.40.2.0', device: 'vxlan.calico', onlink: true }],
      neighbours: [{ device: 'vxlan.calico', address: '10.40.2.0', mac: '66:00:00:00:00:20' }],
      fdb: [{ device: 'vxlan.calico', mac: '66:00:00:00:00:20', dst: other }],
    },
  ],
  ['VXLAN without the peer VTEP → nothing to program', '10.40.3.0/26', ['192.168.3.30'], null],
  ['ECMP: several next hops become a multipath route', '172.16.0.0/16', [same, other], plain('172.16.0.0/16', same, other)],
  ['ECMP: duplicate next hops collapse', '172.16.0.0/16', [same, same], plain('172.16.0.0/16', same)],
  [
    'ECMP in IPIP CrossSubnet: each next hop decided on its own',
    '10.30.1.0/26',
    [same, other],
    { dst: '10.30.1.0/26', type: 'unicast', nextHops: [{ gateway: same }, { gateway: other, device: 'tunl0', onlink: true }], neighbours: [], fdb: [] },
  ],
  ['ECMP: an unusable VXLAN next hop is left out', '10.40.2.0/26', ['192.168.3.30', other], kernelRoute({ prefix: '10.40.2.0/26', nextHops: [other] }, ctx)],
  ['IPv6 without encapsulation → via NH', 'fd10:0:0:1::/64', ['fd00:2::20'], plain('fd10:0:0:1::/64', 'fd00:2::20')],
  [
    'IPv6 never uses IPIP; its VXLAN goes through vxlan-v6.calico',
    'fd40:0:0:2::/64',
    ['fd00:2::20'],
    {
      dst: 'fd40:0:0:2::/64',
      type: 'unicast',
      nextHops: [{ gateway: 'fd40:2::', device: 'vxlan-v6.calico', onlink: true }],
      neighbours: [{ device: 'vxlan-v6.calico', address: 'fd40:2::', mac: '66:00:00:00:06:20' }],
      fdb: [{ device: 'vxlan-v6.calico', mac: '66:00:00:00:06:20', dst: 'fd00:2::20' }],
    },
  ],
  ['IPv6 VXLAN CrossSubnet inside the v6 subnet → direct', 'fd50:0:0:1::/64', ['fd00:1::11'], plain('fd50:0:0:1::/64', 'fd00:1::11')],
  ['IPv6 next hops are written canonically', 'fd10::/64', ['FD00:0002:0:0:0:0:0:0020'], plain('fd10::/64', 'fd00:2::20')],
  ['a next hop of the other family is not used', '10.10.1.0/26', ['fd00:2::20'], null],
  ['no next hop → nothing', '10.10.1.0/26', [], null],
  ['unparsable prefix → nothing', '10.10.1.0/33', [other], null],
  ['unparsable next hop is skipped', '10.10.1.0/26', ['not-an-ip', other], plain('10.10.1.0/26', other)],
];

describe('kernelRoute', () => {
  it.each(rows)('%s', (_name, prefix, nextHops, expected) => {
    expect(kernelRoute({ prefix, nextHops }, ctx)).toEqual(expected);
  });

  it('a context with no pools and no subnets programs plain routes', () => {
    const empty: EncapContext = { ...ctx, pools: [], localSubnets: [], vteps: [] };
    expect(kernelRoute({ prefix: '10.20.1.0/26', nextHops: [other] }, empty)).toEqual(plain('10.20.1.0/26', other));
  });

  it('garbage never throws', () => {
    const junk: unknown[] = [null, undefined, 42, '', '::/::', '1.2.3.4/', '1.2.3/8', '01.2.3.4/8', {}];
    for (const p of junk) {
      for (const nh of junk) {
        expect(() => kernelRoute({ prefix: p as string, nextHops: [nh as string] }, ctx)).not.toThrow();
      }
    }
    expect(kernelRoute({ prefix: '10.0.0.0/8', nextHops: null as unknown as string[] }, ctx)).toBeNull();
  });
});

describe('blackholeRoute', () => {
  it.each([
    ['10.244.1.64/26', { dst: '10.244.1.64/26', type: 'blackhole', nextHops: [], neighbours: [], fdb: [] }],
    ['fd10:0:0:1::/122', { dst: 'fd10:0:0:1::/122', type: 'blackhole', nextHops: [], neighbours: [], fdb: [] }],
    ['10.244.1.7/32', null],
    ['fd10::7/128', null],
    ['nonsense', null],
  ])('%s', (block, expected) => {
    expect(blackholeRoute(block)).toEqual(expected);
  });
});
