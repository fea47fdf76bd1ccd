// The numeric prefix layer under every closure: parsing (host bits cleared, bad text refused),
// containment against a bitwise reference for IPv4 and IPv6, IPv6 words read from packed storage
// at an offset (as the RIB passes them), and compilePolicy on a model with nonsense in it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy, type PolicyRoute } from '../../bgpd/policy/index.js';
import { covers, parseRange, policyRoute, rangeText, sameNet } from '../../bgpd/policy/prefix.js';
import { AFI } from '../../bgpd/wire/types.js';
import { EBGP, IBGP, model, pool, block, route } from './helpers.js';

describe('parseRange', () => {
  it('parses IPv4 and IPv6 with host bits cleared', () => {
    expect(parseRange('10.244.1.77/24')).toMatchObject({ family: 4, len: 24, w0: 0x0af40100, w1: 0, w2: 0, w3: 0 });
    expect(parseRange('10.0.0.1')).toMatchObject({ family: 4, len: 32, w0: 0x0a000001 });
    expect(parseRange('0.0.0.0/0')).toMatchObject({ family: 4, len: 0, w0: 0 });
    expect(parseRange('fd00:1:2:3:4:5:6:7/100')).toMatchObject({ family: 6, len: 100, w0: 0xfd000001, w1: 0x00020003, w2: 0x00040005, w3: 0x00000000 });
    expect(parseRange('::/0')).toMatchObject({ family: 6, len: 0 });
    expect(parseRange('::ffff:10.0.0.1/128')).toMatchObject({ family: 6, len: 128, w2: 0xffff, w3: 0x0a000001 });
    // Masks: whole words of network bits are ~0, partial ones high bits, host-only words 0.
    expect(parseRange('fd00::/100')).toMatchObject({ m0: ~0, m1: ~0, m2: ~0, m3: ~0 << 28 });
    expect(parseRange('10.0.0.0/0')).toMatchObject({ m0: 0 });
  });

  it('refuses what is not a prefix', () => {
    for (const bad of ['', '10.1', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/-1', '10.0.0.0/', '10.0.0.0/1e1', 'x', '0x0a.0.0.0/8', '10.0.0.256/8', 'fd00::g/64'])
      expect(parseRange(bad), bad).toBeNull();
    expect(parseRange(undefined as unknown as string)).toBeNull();
  });

  it('prints back canonical text', () => {
    for (const t of ['10.244.1.0/26', '0.0.0.0/0', '255.255.255.255/32', 'fd00:244:0:1::/122', '::/0', '2001:db8::1/128']) expect(rangeText(parseRange(t)!)).toBe(t);
  });
});

/** Bit i (0 = most significant) of a prefix given as four words. */
const bit = (w: ArrayLike<number>, o: number, i: number) => (w[o + (i >> 5)] >>> (31 - (i & 31))) & 1;

describe('covers and sameNet against a bitwise reference', () => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });

  it('IPv6, with the route read from packed storage at an offset', () => {
    fc.assert(
      fc.property(fc.array(u32, { minLength: 4, maxLength: 4 }), fc.nat(128), fc.array(u32, { minLength: 4, maxLength: 4 }), fc.nat(128), fc.nat(5), (nw, nlen, rw, rlen, slot) => {
        // Make the route often fall inside the range: copy a random number of leading bits.
        const text = (w: number[], len: number) => {
          const hex = w.map((x) => x.toString(16).padStart(8, '0')).join('').match(/.{4}/g)!.join(':');
          return `${hex}/${len}`;
        };
        const rg = parseRange(text(nw, nlen))!;
        const r = policyRoute(text(rw.map((x, i) => (i < slot ? nw[i] : x)), rlen));
        const packed = new Uint32Array(4 * 6);
        packed.set(r.v6!, slot * 4);
        const atOffset: PolicyRoute = { ...r, v6: packed, v6Offset: slot * 4 };
        const rgw = [rg.w0, rg.w1, rg.w2, rg.w3];
        let inside = r.len >= rg.len;
        for (let i = 0; i < rg.len && inside; i++) if (bit(r.v6!, 0, i) !== bit(rgw, 0, i)) inside = false;
        expect(covers(rg, r)).toBe(inside);
        expect(covers(rg, atOffset)).toBe(inside);
        expect(sameNet(rg, atOffset)).toBe(inside && r.len === rg.len);
      }),
      { numRuns: 3000 },
    );
  });

  it('IPv4 at every length', () => {
    fc.assert(
      fc.property(u32, fc.nat(32), u32, fc.nat(32), (na, nlen, ra, rlen) => {
        const rg = parseRange(`${na >>> 24}.${(na >>> 16) & 255}.${(na >>> 8) & 255}.${na & 255}/${nlen}`)!;
        const r = policyRoute(`${ra >>> 24}.${(ra >>> 16) & 255}.${(ra >>> 8) & 255}.${ra & 255}/${rlen}`);
        let inside = r.len >= rg.len;
        for (let i = 0; i < rg.len && inside; i++) if (bit([r.v4], 0, i) !== bit([rg.w0], 0, i)) inside = false;
        expect(covers(rg, r)).toBe(inside);
      }),
      { numRuns: 3000 },
    );
  });

  it('the export filter reads IPv6 routes at an offset too', () => {
    const p = compilePolicy(model(pool('p6', 'fd00:244::/56') + block('b6', 'fd00:244:0:1::/122')));
    const pod = route('fd00:244:0:1::5/128');
    const packed = new Uint32Array(12);
    packed.set(route('2001:db8::/32').v6!, 0);
    packed.set(pod.v6!, 8);
    expect(p.exportFilter(EBGP)({ ...pod, v6: packed, v6Offset: 8 })).toBeNull();
    expect(p.exportFilter(EBGP)({ ...route('fd00:244:0:1::/122'), v6: (() => { const a = new Uint32Array(8); a.set(route('fd00:244:0:1::/122').v6!, 4); return a; })(), v6Offset: 4 })).not.toBeNull();
  });
});

describe('compilePolicy on a model with nonsense in it', () => {
  it('skips what cannot be parsed and never throws', () => {
    const m = model(pool('p4', '10.244.0.0/16') + block('b', '10.244.1.0/26'));
    const broken = {
      ...m,
      ipPools: [...m.ipPools, { ...m.ipPools[0], cidr: 'not-a-cidr' }],
      localBlocks: [...m.localBlocks, '300.0.0.0/8', ''],
      serviceClusterIPs: ['x/1'],
      prefixAdvertisements: [{ cidr: '10.244.0.0/16', communities: ['1:2:3:4', '70000:1', 'gold', '5:5'] }, { cidr: 'nope', communities: ['1:1'] }],
      filters: undefined as never,
    };
    const p = compilePolicy(broken);
    const peer = { ...IBGP, filters: ['whatever'] };
    expect(p.exportFilter(peer)(route('10.244.1.0/26'))).toEqual({ communities: [5 * 65536 + 5], largeCommunities: [] });
    expect(p.exportFilter(peer)(route('10.244.1.1/32'))).toBeNull();
    expect(p.importFilter(peer)(route('10.0.0.0/8'))).toBe(true);
    expect(p.originated()).toEqual([{ prefix: '10.244.1.0/26', kind: 'block', blackhole: true }]);
    expect(typeof p.key(peer)).toBe('string');
  });

  it('routes of an unknown address family are refused everywhere', () => {
    const p = compilePolicy(model(pool('p4', '10.244.0.0/16')));
    const r = { ...route('10.244.1.0/26'), afi: 3 as unknown as typeof AFI.IPv4 };
    expect(p.exportFilter(EBGP)(r)).toBeNull();
    expect(p.importFilter(EBGP)(r)).toBe(false);
    expect(p.kernelFilter(r)).toBe(false);
  });
});
