// The per-peer Adj-RIB-In: announce, withdraw (both families), RFC 7606 treat-as-withdraw, ADD-PATH
// keys, and graceful-restart stale marking and sweeping.
import { describe, expect, it } from 'vitest';
import { AdjRibIn } from '../../bgpd/session/adj-rib-in.js';
import { AFI, SAFI, prefixList, type UpdateMessage } from '../../bgpd/wire/index.js';

const none4 = prefixList(AFI.IPv4, []);
const announce4 = (prefixes: string[], nextHop = '192.0.2.1'): UpdateMessage => ({
  type: 'update',
  withdrawn: none4,
  attributes: { origin: 0, asPath: [{ type: 2, asns: [65002] }], nextHop },
  nlri: prefixList(AFI.IPv4, prefixes),
});
const withdraw4 = (prefixes: string[]): UpdateMessage => ({ type: 'update', withdrawn: prefixList(AFI.IPv4, prefixes), attributes: {}, nlri: none4 });
const announce6 = (prefixes: string[]): UpdateMessage => ({
  type: 'update',
  withdrawn: none4,
  attributes: { origin: 0, asPath: [], mpReach: { afi: AFI.IPv6, safi: SAFI.Unicast, nextHops: ['2001:db8::1'], nlri: prefixList(AFI.IPv6, prefixes) } },
  nlri: none4,
});
const withdraw6 = (prefixes: string[]): UpdateMessage => ({
  type: 'update',
  withdrawn: none4,
  attributes: { mpUnreach: { afi: AFI.IPv6, safi: SAFI.Unicast, nlri: prefixList(AFI.IPv6, prefixes) } },
  nlri: none4,
});

describe('AdjRibIn', () => {
  it('keeps the last announcement per prefix and forgets withdrawn ones, per family', () => {
    const rib = new AdjRibIn();
    rib.apply(announce4(['10.0.0.0/24', '10.0.1.0/24']));
    rib.apply(announce4(['10.0.0.0/24'], '192.0.2.9'));
    rib.apply(announce6(['2001:db8:1::/48']));
    expect(rib.size).toBe(3);
    expect(rib.get('10.0.0.0/24')!.nextHop).toBe('192.0.2.9');
    expect(rib.get('2001:db8:1::/48')!.nextHop).toBe('2001:db8::1');
    expect(rib.get('2001:db8:1::/48')!.attributes.mpReach).toBeUndefined();
    rib.apply(withdraw4(['10.0.1.0/24', '10.9.9.0/24']));
    rib.apply(withdraw6(['2001:db8:1::/48']));
    expect([...rib.routes()].map((r) => r.prefix)).toEqual(['10.0.0.0/24']);
  });

  it('treat-as-withdraw (RFC 7606) removes every prefix of the UPDATE', () => {
    const rib = new AdjRibIn();
    rib.apply(announce4(['10.0.0.0/24', '10.0.1.0/24']));
    rib.apply({ ...announce4(['10.0.0.0/24']), treatAsWithdraw: true });
    expect(rib.get('10.0.0.0/24')).toBeUndefined();
    expect(rib.size).toBe(1);
  });

  it('keys ADD-PATH routes by path id', () => {
    const rib = new AdjRibIn();
    rib.apply({ ...announce4([]), nlri: prefixList(AFI.IPv4, ['10.0.0.0/24', '10.0.0.0/24'], [1, 2]) });
    expect(rib.size).toBe(2);
    rib.apply({ ...withdraw4([]), withdrawn: prefixList(AFI.IPv4, ['10.0.0.0/24'], [1]) });
    expect(rib.get('10.0.0.0/24', 2)).toBeDefined();
    expect(rib.get('10.0.0.0/24', 1)).toBeUndefined();
  });

  it('marks routes stale, refreshes the re-announced ones and sweeps the rest per family', () => {
    const rib = new AdjRibIn();
    rib.apply(announce4(['10.0.0.0/24', '10.0.1.0/24']));
    rib.apply(announce6(['2001:db8:1::/48']));
    rib.markStale();
    rib.apply(announce4(['10.0.0.0/24']));
    expect(rib.sweep(AFI.IPv4)).toBe(1);
    expect(rib.get('10.0.0.0/24')!.stale).toBe(false);
    expect(rib.count(AFI.IPv6)).toBe(1);
    expect(rib.sweep(null)).toBe(1);
    expect(rib.size).toBe(1);
  });
});
