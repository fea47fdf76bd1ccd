// BGPFilter rules as confd renders them into BIRD functions: each field and match operator on
// its own, IPv4 and IPv6, first match wins across the peer's filters in order, no match falls
// through to Calico's export filter (export) or accept (import).
import { describe, expect, it } from 'vitest';
import type { PolicyPeer } from '../../bgpd/policy/index.js';
import { block, doc, EBGP, fromPeer, IBGP, policy, pool, route } from './helpers.js';

const BASE = pool('p4', '10.244.0.0/16') + pool('p6', 'fd00:244::/56') + block('b4', '10.244.1.0/26');

function filter(name: string, spec: string): string {
  return doc('BGPFilter', name, spec);
}

const peerWith = (filters: string[], ibgp = false): PolicyPeer => ({ ...(ibgp ? IBGP : EBGP), filters });

/** Export verdicts (true = accepted) of `prefixes` for a peer using the one filter `f`. */
function exportsOf(spec: string, prefixes: (string | ReturnType<typeof route>)[], ibgp = false): boolean[] {
  const f = policy(BASE + filter('f', spec)).exportFilter(peerWith(['f'], ibgp));
  return prefixes.map((x) => f(typeof x === 'string' ? route(x) : x) !== null);
}

function importsOf(spec: string, prefixes: (string | ReturnType<typeof route>)[], ibgp = false): boolean[] {
  const f = policy(BASE + filter('f', spec)).importFilter(peerWith(['f'], ibgp));
  return prefixes.map((x) => f(typeof x === 'string' ? route(x) : x));
}

// Candidates: 77.7.0.0/16 itself, a /24 inside, a /32 inside, one outside; none in a pool, so
// without a filter all four are rejected by Calico's export filter and accepted on import.
const V4 = ['77.7.0.0/16', '77.7.3.0/24', '77.7.3.3/32', '88.0.0.0/16'];
const V6 = ['7000:1::/64', '7000:1::/80', '7000:1::1/128', '7000:2::/64'];

describe('BGPFilter matchOperator on export (Accept), IPv4 and IPv6', () => {
  const rows: [string, boolean[]][] = [
    ['Equal', [true, false, false, false]],
    ['NotEqual', [false, true, true, true]],
    ['In', [true, true, true, false]],
    ['NotIn', [false, false, false, true]],
  ];
  for (const [op, want] of rows) {
    it(`${op} 77.7.0.0/16`, () => {
      expect(exportsOf(`{exportV4: [{action: Accept, matchOperator: ${op}, cidr: 77.7.0.0/16}]}`, V4)).toEqual(want);
    });
    it(`${op} 7000:1::/64`, () => {
      expect(exportsOf(`{exportV6: [{action: Accept, matchOperator: ${op}, cidr: "7000:1::/64"}]}`, V6)).toEqual(want);
    });
  }
});

describe('BGPFilter matchOperator on import (Reject), IPv4 and IPv6', () => {
  const rows: [string, boolean[]][] = [
    ['Equal', [false, true, true, true]],
    ['NotEqual', [true, false, false, false]],
    ['In', [false, false, false, true]],
    ['NotIn', [true, true, true, false]],
  ];
  for (const [op, want] of rows) {
    it(`${op} 77.7.0.0/16`, () => {
      expect(importsOf(`{importV4: [{action: Reject, matchOperator: ${op}, cidr: 77.7.0.0/16}]}`, V4)).toEqual(want);
    });
    it(`${op} 7000:1::/64`, () => {
      expect(importsOf(`{importV6: [{action: Reject, matchOperator: ${op}, cidr: "7000:1::/64"}]}`, V6)).toEqual(want);
    });
  }
});

describe('BGPFilter prefixLength: net ~ [cidr{max(len,min), min(familymax,max)}]', () => {
  it('min and max bound the lengths matched by In', () => {
    expect(exportsOf(`{exportV4: [{action: Accept, matchOperator: In, cidr: 77.7.0.0/16, prefixLength: {min: 20, max: 28}}]}`, ['77.7.0.0/16', '77.7.0.0/20', '77.7.3.0/24', '77.7.3.0/28', '77.7.3.0/29', '77.8.0.0/24'])).toEqual([
      false,
      true,
      true,
      true,
      false,
      false,
    ]);
  });
  it('a min below the cidr length is raised to it; max alone caps', () => {
    expect(exportsOf(`{exportV4: [{action: Accept, matchOperator: In, cidr: 77.7.0.0/16, prefixLength: {min: 8, max: 24}}]}`, ['77.0.0.0/8', '77.7.0.0/16', '77.7.3.0/24', '77.7.3.3/32'])).toEqual([false, true, true, false]);
    expect(exportsOf(`{exportV4: [{action: Accept, matchOperator: In, cidr: 77.7.0.0/16, prefixLength: {max: 17}}]}`, ['77.7.0.0/16', '77.7.128.0/17', '77.7.3.0/24'])).toEqual([true, true, false]);
  });
  it('NotIn negates the whole set', () => {
    expect(exportsOf(`{exportV4: [{action: Accept, matchOperator: NotIn, cidr: 77.7.0.0/16, prefixLength: {min: 24}}]}`, ['77.7.0.0/16', '77.7.3.0/24', '77.7.3.3/32', '88.0.0.0/16'])).toEqual([true, false, false, true]);
  });
  it('IPv6 lengths up to 128', () => {
    expect(importsOf(`{importV6: [{action: Reject, matchOperator: In, cidr: "7000:1::/64", prefixLength: {min: 65, max: 127}}]}`, ['7000:1::/64', '7000:1::/80', '7000:1::1/128', '7000:1::/127'])).toEqual([true, false, true, false]);
  });
});

describe('BGPFilter source, interface, peerType', () => {
  it('source RemotePeers matches routes learned over BGP only', () => {
    const spec = `{exportV4: [{action: Reject, source: RemotePeers}]}`;
    // A block we originate is still exported; the same prefix learned from a peer is not.
    expect(exportsOf(spec, ['10.244.1.0/26', route('10.244.1.0/26', { from: fromPeer() }), route('10.244.9.9/32', { from: fromPeer(false) }), '10.244.9.9/32'])).toEqual([true, false, false, true]);
  });

  it('interface is a BIRD glob on the route interface; routes without one never match', () => {
    const spec = `{exportV4: [{action: Accept, interface: "eth*"}, {action: Reject, interface: "*.calico"}, {action: Accept, interface: "ens?"}]}`;
    expect(
      exportsOf(spec, [
        route('192.0.2.0/24', { iface: 'eth0' }),
        route('192.0.2.0/24', { iface: 'xeth0' }),
        route('10.244.9.1/32', { iface: 'vxlan.calico' }),
        route('10.244.9.1/32', { iface: 'vxlan.calicox' }),
        route('192.0.2.0/24', { iface: 'ens3' }),
        route('192.0.2.0/24', { iface: 'ens33' }),
        route('192.0.2.0/24'),
      ]),
    ).toEqual([true, false, false, true, true, false, false]);
  });

  it('interface glob characters other than * and ? are literal', () => {
    expect(exportsOf(`{exportV4: [{action: Accept, interface: "a.b+(c)"}]}`, [route('192.0.2.0/24', { iface: 'a.b+(c)' }), route('192.0.2.0/24', { iface: 'aXbb(c)' })])).toEqual([true, false]);
  });

  it('peerType applies a rule only to sessions of that kind', () => {
    const spec = `{exportV4: [{action: Accept, peerType: iBGP, cidr: 88.0.0.0/16, matchOperator: Equal}, {action: Reject, peerType: eBGP, cidr: 10.244.1.0/26, matchOperator: Equal}]}`;
    expect(exportsOf(spec, ['88.0.0.0/16', '10.244.1.0/26'], true)).toEqual([true, true]);
    expect(exportsOf(spec, ['88.0.0.0/16', '10.244.1.0/26'], false)).toEqual([false, false]);
  });

  it('all conditions of a rule must hold (AND)', () => {
    const spec = `{exportV4: [{action: Accept, cidr: 77.7.0.0/16, matchOperator: In, source: RemotePeers, interface: "eth0"}]}`;
    expect(
      exportsOf(spec, [
        route('77.7.1.0/24', { from: fromPeer(), iface: 'eth0' }),
        route('77.7.1.0/24', { iface: 'eth0' }),
        route('77.7.1.0/24', { from: fromPeer() }),
        route('77.8.1.0/24', { from: fromPeer(), iface: 'eth0' }),
      ]),
    ).toEqual([true, false, false, false]);
  });

  it('a rule with only an action matches every route of its family', () => {
    expect(exportsOf(`{exportV4: [{action: Accept}]}`, ['8.8.8.0/24', '10.244.1.5/32', '7000:1::/64'])).toEqual([true, true, false]);
    expect(importsOf(`{importV6: [{action: Reject}]}`, ['8.8.8.0/24', '7000:1::/64'])).toEqual([true, false]);
  });
});

describe('BGPFilter order and fall-through', () => {
  it('first matching rule wins within a filter', () => {
    const spec = `{exportV4: [{action: Reject, cidr: 77.7.3.0/24, matchOperator: In}, {action: Accept, cidr: 77.7.0.0/16, matchOperator: In}]}`;
    expect(exportsOf(spec, ['77.7.3.1/32', '77.7.4.1/32'])).toEqual([false, true]);
    const swapped = `{exportV4: [{action: Accept, cidr: 77.7.0.0/16, matchOperator: In}, {action: Reject, cidr: 77.7.3.0/24, matchOperator: In}]}`;
    expect(exportsOf(swapped, ['77.7.3.1/32', '77.7.4.1/32'])).toEqual([true, true]);
  });

  it("filters run in the peer's order; the first filter with a matching rule decides", () => {
    const y = BASE + filter('acc', `{exportV4: [{action: Accept, cidr: 77.7.0.0/16, matchOperator: In}]}`) + filter('rej', `{exportV4: [{action: Reject, cidr: 77.7.0.0/16, matchOperator: In}, {action: Reject, cidr: 10.244.1.0/26, matchOperator: Equal}]}`);
    const p = policy(y);
    const r = route('77.7.1.0/24');
    expect(p.exportFilter(peerWith(['acc', 'rej']))(r)).not.toBeNull();
    expect(p.exportFilter(peerWith(['rej', 'acc']))(r)).toBeNull();
    // No rule of `acc` matches the block: `rej` decides.
    expect(p.exportFilter(peerWith(['acc', 'rej']))(route('10.244.1.0/26'))).toBeNull();
  });

  it('with no matching rule, export falls through to Calico (block in, pod out, outside out)', () => {
    const spec = `{exportV4: [{action: Accept, cidr: 77.7.0.0/16, matchOperator: In}]}`;
    expect(exportsOf(spec, ['10.244.1.0/26', '10.244.1.9/32', '88.0.0.0/16'])).toEqual([true, false, false]);
  });

  it('a BGPFilter Accept overrides Calico (a pod /32 can be let out) and adds no communities', () => {
    const y =
      BASE +
      doc('BGPConfiguration', 'default', `{prefixAdvertisements: [{cidr: 10.244.0.0/16, communities: ["65000:1"]}]}`) +
      filter('f', `{exportV4: [{action: Accept, cidr: 10.244.1.9/32, matchOperator: Equal}]}`);
    const f = policy(y).exportFilter(peerWith(['f']));
    expect(f(route('10.244.1.9/32'))).toEqual({ communities: [], largeCommunities: [] });
    expect(f(route('10.244.1.0/26'))).toEqual({ communities: [65000 * 65536 + 1], largeCommunities: [] });
  });

  it('with no matching rule, import accepts', () => {
    expect(importsOf(`{importV4: [{action: Reject, cidr: 77.7.0.0/16, matchOperator: In}]}`, ['0.0.0.0/0', '88.0.0.0/16', '77.7.0.0/16'])).toEqual([true, true, false]);
  });

  it('v4 rules never touch v6 routes and the reverse', () => {
    expect(importsOf(`{importV4: [{action: Reject}], exportV6: [{action: Accept}]}`, ['fd00::/64', '10.0.0.0/8'])).toEqual([true, false]);
    expect(exportsOf(`{importV4: [{action: Reject}], exportV6: [{action: Accept}]}`, ['2001:db8::/32', '88.0.0.0/16'])).toEqual([true, false]);
  });

  it("a filter the peer names but the model lacks is skipped, as confd skips it", () => {
    const p = policy(BASE + filter('rej', `{exportV4: [{action: Reject}]}`));
    expect(p.exportFilter(peerWith(['nope']))(route('10.244.1.0/26'))).not.toBeNull();
    expect(p.exportFilter(peerWith(['nope', 'rej']))(route('10.244.1.0/26'))).toBeNull();
  });

  it('a peer without filters gets Calico defaults: import everything', () => {
    const p = policy(BASE);
    expect(p.importFilter(EBGP)(route('0.0.0.0/0', { from: fromPeer(false) }))).toBe(true);
    expect(p.importFilter(IBGP)(route('fd00:244:0:5::/122', { from: fromPeer() }))).toBe(true);
  });
});
