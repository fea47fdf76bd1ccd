// decodeRoute and globToRegExp, pure: which kernel route messages are learned, and no input —
// truncated, bit-flipped or random — makes the decoder throw.
import { describe, expect, it } from 'vitest';
import { decodeRoute, globToRegExp } from '../../fib/index.js';
import { MessageWriter, writeNewRoute } from '../../fib/wire.js';

/** The payload (after the netlink header) of an RTM_NEWROUTE as the kernel would send it. */
function routeMsg(over: { protocol?: number; type?: 'unicast' | 'blackhole'; table?: number; dst?: number[]; dstLen?: number } = {}): Buffer {
  const w = new MessageWriter(256);
  writeNewRoute(w, 1, 0, {
    family: 4,
    dst: Uint8Array.from(over.dst ?? [10, 244, 1, 5]),
    dstLen: over.dstLen ?? 32,
    table: over.table ?? 254,
    protocol: over.protocol ?? 80,
    type: over.type ?? 'unicast',
    nextHops: over.type === 'blackhole' ? [] : [{ gateway: Uint8Array.from([10, 0, 0, 2]), ifindex: 7, onlink: false }],
  });
  return w.take().subarray(16);
}

describe('decodeRoute', () => {
  it('learns other protocols, not the kernel, unspec or our own', () => {
    expect(decodeRoute(routeMsg(), 12)).toMatchObject({ dst: '10.244.1.5/32', table: 254, entry: { protocol: 80, type: 'unicast', hops: [{ ifindex: 7, gateway: '10.0.0.2' }] } });
    expect(decodeRoute(routeMsg({ type: 'blackhole', protocol: 4, dst: [10, 244, 9, 0], dstLen: 26 }), 12)?.entry).toMatchObject({ dst: '10.244.9.0/26', type: 'blackhole', hops: [] });
    for (const protocol of [0, 2, 12]) expect(decodeRoute(routeMsg({ protocol }), 12)?.entry).toBeNull();
    expect(decodeRoute(routeMsg({ protocol: 12 }), 13)?.entry).not.toBeNull();
    expect(decodeRoute(routeMsg({ dst: [224, 0, 0, 0], dstLen: 4 }), 12)?.entry).toBeNull();
    expect(decodeRoute(routeMsg({ dst: [127, 0, 0, 0], dstLen: 8 }), 12)?.entry).toBeNull();
    expect(decodeRoute(routeMsg({ dst: [0, 0, 0, 0], dstLen: 0 }), 12)?.entry).toMatchObject({ dst: '0.0.0.0/0' });
    // Local / broadcast types are not learned.
    const local = Buffer.from(routeMsg());
    local[7] = 2;
    expect(decodeRoute(local, 12)?.entry).toBeNull();
  });

  it('never throws on truncated, corrupted or random input', () => {
    const good = routeMsg();
    for (let n = 0; n <= good.length; n++) expect(() => decodeRoute(good.subarray(0, n), 12)).not.toThrow();
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.from(good);
      for (let k = 0; k < 4; k++) b[rnd() % b.length] = rnd();
      expect(() => decodeRoute(b, 12)).not.toThrow();
      const r = Buffer.alloc(rnd() % 80, 0).map(() => rnd());
      expect(() => decodeRoute(Buffer.from(r), 12)).not.toThrow();
    }
  });
});

describe('globToRegExp', () => {
  it('matches whole names as BGPConfiguration ignoredInterfaces globs do', () => {
    expect(globToRegExp('cali*').test('cali12ab')).toBe(true);
    expect(globToRegExp('cali*').test('xcali1')).toBe(false);
    expect(globToRegExp('kube-ipvs?').test('kube-ipvs0')).toBe(true);
    expect(globToRegExp('eth[0-2]').test('eth1')).toBe(true);
    expect(globToRegExp('eth[!0-2]').test('eth1')).toBe(false);
    expect(globToRegExp('vxlan.calico').test('vxlanXcalico')).toBe(false);
  });
});
