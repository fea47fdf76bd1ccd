// calico_kernel_programming, what the node originates (blocks, service CIDRs), the structural
// key that lets a reload skip peers whose policy did not change, and robustness: no closure
// throws on any route.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy, type PolicyRoute } from '../../bgpd/policy/index.js';
import { AFI } from '../../bgpd/wire/types.js';
import { block, doc, EBGP, fromPeer, IBGP, model, policy, pool, route } from './helpers.js';

const SERVICES = doc('BGPConfiguration', 'default', `{serviceClusterIPs: [{cidr: 10.96.0.0/12}, {cidr: "fd00:96::/108"}], serviceExternalIPs: [{cidr: 203.0.113.0/24}, {cidr: 10.96.0.0/12}], serviceLoadBalancerIPs: [{cidr: 198.51.100.7/32}]}`);
const Y = SERVICES + pool('p4', '10.244.0.0/16', 'vxlanMode: Always, ipipMode: Never') + pool('p6', 'fd00:244::/56') + block('b1', '10.244.1.0/26') + block('b2', '10.244.3.9/32') + block('b6', 'fd00:244:0:1::/122') + block('b7', 'fd00:244:0:2::5/128');

describe('kernel filter (calico_kernel_programming)', () => {
  const k = policy(Y).kernelFilter;
  const rows: [string, boolean][] = [
    ['10.96.0.0/12', false],
    ['10.96.0.10/32', false],
    ['203.0.113.0/24', false],
    ['198.51.100.7/32', false],
    ['fd00:96::/108', false],
    ['fd00:96::1/128', false],
    ['10.244.7.0/26', true],
    ['10.244.1.0/26', true],
    ['0.0.0.0/0', true],
    ['10.0.0.0/8', true],
    ['fd00:244:0:9::/122', true],
    ['198.51.100.0/24', true],
  ];
  for (const [prefix, want] of rows) {
    it(`${prefix}: ${want ? 'programmed' : 'kept out of the kernel'}`, () => {
      expect(k(route(prefix, { from: fromPeer() }))).toBe(want);
    });
  }

  it('without service CIDRs everything is programmed', () => {
    expect(policy(pool('p4', '10.244.0.0/16')).kernelFilter(route('10.96.0.0/12'))).toBe(true);
  });
});

describe('originated routes', () => {
  it('confirmed local blocks (blackholed unless /32 or /128), then service CIDRs once each', () => {
    expect(policy(Y).originated()).toEqual([
      { prefix: '10.244.1.0/26', kind: 'block', blackhole: true },
      { prefix: '10.244.3.9/32', kind: 'block', blackhole: false },
      { prefix: 'fd00:244:0:1::/122', kind: 'block', blackhole: true },
      { prefix: 'fd00:244:0:2::5/128', kind: 'block', blackhole: false },
      { prefix: '10.96.0.0/12', kind: 'service', blackhole: true },
      { prefix: '203.0.113.0/24', kind: 'service', blackhole: true },
      { prefix: '198.51.100.7/32', kind: 'service', blackhole: true },
      { prefix: 'fd00:96::/108', kind: 'service', blackhole: true },
    ]);
  });

  it('no services unless the BGPConfiguration lists them; other nodes’ and pending blocks are not ours', () => {
    expect(policy(pool('p4', '10.244.0.0/16') + block('o', '10.244.5.0/26', 'n2') + block('p', '10.244.6.0/26', 'n1', 'pending')).originated()).toEqual([]);
  });

  it('what is originated is exported (blocks and services), the export filter agreeing with origination', () => {
    const p = policy(Y);
    for (const o of p.originated()) expect(p.exportFilter(EBGP)(route(o.prefix))).not.toBeNull();
  });
});

describe('key: equal exactly when the closures would decide the same', () => {
  const F = doc('BGPFilter', 'f', `{exportV4: [{action: Reject, cidr: 77.7.0.0/16, matchOperator: In}]}`);
  const base = policy(Y + F);
  const withF = { ...EBGP, filters: ['f'] };

  it('is stable across compilations and independent of the session name', () => {
    expect(policy(Y + F).key(withF)).toBe(base.key(withF));
    expect(base.key({ ...withF, session: 'Global_10_0_0_9' })).toBe(base.key(withF));
  });

  it('changes with the peer kind, its filters, and any filter content', () => {
    const k = base.key(withF);
    expect(base.key({ ...withF, ibgp: true })).not.toBe(k);
    expect(base.key(EBGP)).not.toBe(k);
    expect(policy(Y + doc('BGPFilter', 'f', `{exportV4: [{action: Accept, cidr: 77.7.0.0/16, matchOperator: In}]}`)).key(withF)).not.toBe(k);
  });

  it('changes with pools, blocks, services and prefixAdvertisements', () => {
    const k = base.key(withF);
    expect(policy(Y + F + pool('x', '10.50.0.0/16')).key(withF)).not.toBe(k);
    expect(policy(Y + F + block('b9', '10.244.9.0/26')).key(withF)).not.toBe(k);
    const m = model(Y + F);
    expect(compilePolicy({ ...m, serviceExternalIPs: [] }).key(withF)).not.toBe(k);
    expect(compilePolicy({ ...m, prefixAdvertisements: [{ cidr: '10.244.0.0/16', communities: ['1:1'] }] }).key(withF)).not.toBe(k);
    expect(compilePolicy({ ...m, ipPools: m.ipPools.map((p) => ({ ...p, disableBGPExport: true })) }).key(withF)).not.toBe(k);
  });

  it('a filter the peer does not use does not change its key', () => {
    expect(policy(Y + F + doc('BGPFilter', 'g', `{exportV4: [{action: Reject}]}`)).key(withF)).toBe(base.key(withF));
  });
});

describe('closures never throw', () => {
  const p = policy(
    Y +
      doc('BGPConfiguration', 'node.n1', `{prefixAdvertisements: [{cidr: 10.244.0.0/16, communities: ["1:1", "2:2:2"]}, {cidr: "fd00:244::/56", communities: ["3:3"]}]}`) +
      doc('BGPFilter', 'f', `{exportV4: [{action: Reject, interface: "eth*"}, {action: Accept, source: RemotePeers, cidr: 77.0.0.0/8, matchOperator: NotIn, prefixLength: {min: 9}}], importV6: [{action: Reject, cidr: "2001:db8::/32", matchOperator: Equal}], exportV6: [{action: Accept, peerType: iBGP}]}`),
  );
  const peers = [EBGP, IBGP, { ...EBGP, filters: ['f'] }, { ...IBGP, filters: ['f', 'missing'], family: 6 as const }];
  const closures = peers.flatMap((peer) => [p.exportFilter(peer), p.importFilter(peer)]).concat([p.kernelFilter]);

  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const arbRoute: fc.Arbitrary<PolicyRoute> = fc.record({
    afi: fc.oneof(fc.constantFrom(AFI.IPv4, AFI.IPv6), fc.integer()) as fc.Arbitrary<PolicyRoute['afi']>,
    v4: fc.oneof(u32, fc.integer(), fc.double()),
    v6: fc.oneof(fc.constant(null), fc.array(u32, { maxLength: 9 }).map((a) => Uint32Array.from(a))),
    v6Offset: fc.oneof(fc.nat(8), fc.integer()),
    len: fc.oneof(fc.nat(128), fc.integer(), fc.double()),
    attrs: fc.constant({}),
    from: fc.oneof(fc.constant(null), fc.record({ session: fc.string(), ibgp: fc.boolean(), peerAddress: fc.string() })),
    iface: fc.oneof(fc.constant(null), fc.string(), fc.constantFrom('eth0', 'vxlan.calico', 'wg.cali', 'cali123')),
  });

  it('on arbitrary routes (any afi, lengths, words, offsets, interfaces)', () => {
    fc.assert(
      fc.property(arbRoute, (r) => {
        for (const c of closures) {
          const v = c(r);
          expect(v === null || typeof v === 'boolean' || (Array.isArray(v.communities) && Array.isArray(v.largeCommunities))).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('export verdicts on well-formed arbitrary routes agree with a textbook prefix comparison', () => {
    // Reference: string-free bit-by-bit containment against the /16 pool, on valid IPv4 routes.
    const q = policy(pool('p4', '10.244.0.0/16'));
    const f = q.exportFilter(EBGP);
    fc.assert(
      fc.property(u32, fc.nat(32), (addr, len) => {
        const net = len === 0 ? 0 : (addr & (~0 << (32 - len))) >>> 0;
        const r: PolicyRoute = { afi: AFI.IPv4, v4: net, v6: null, v6Offset: 0, len, attrs: {}, from: null, iface: null };
        let inside = len >= 16;
        for (let b = 31; b >= 16 && inside; b--) if (((net >>> b) & 1) !== (((0x0af40000 >>> b) & 1))) inside = false;
        expect(f(r) !== null).toBe(inside);
      }),
      { numRuns: 3000 },
    );
  });
});
