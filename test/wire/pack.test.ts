// The Adj-RIB-Out packer: UPDATEs filled to the size limit, every prefix exactly once, attributes
// identical in each, IPv4 in the NLRI field, IPv6 and RFC 8950 IPv4 in MP_REACH_NLRI.
import { describe, expect, it } from 'vitest';
import {
  BgpWireError,
  decodeMessage,
  encodeAttributesForPacking,
  packUpdates,
  packWithdrawals,
  PrefixListBuilder,
  prefixList,
  prefixListToStrings,
  type CodecContext,
  type PathAttributes,
  type PrefixList,
  type UpdateMessage,
} from '../../bgpd/wire/index.js';
import { CTX2, CTX4, CTX_ADDPATH, CTX_EXT } from './bytes.js';

function v4Table(n: number, addPath = false): PrefixList {
  const b = new PrefixListBuilder(1, addPath, n);
  for (let i = 0; i < n; i++) b.addV4((0x0a000000 + i * 256) >>> 0, 24, i + 1);
  return b.finish();
}

function v6Table(n: number): PrefixList {
  const b = new PrefixListBuilder(2, false, n);
  for (let i = 0; i < n; i++) b.addV6([0x20010db8, i, 0, 0], 64);
  return b.finish();
}

const ATTRS: PathAttributes = {
  origin: 0,
  asPath: [{ type: 2, asns: [65001, 4200000000] }],
  nextHop: '10.0.0.1',
  communities: [1, 2, 3],
};

function decodeAll(msgs: Buffer[], ctx: CodecContext): UpdateMessage[] {
  return msgs.map((b) => decodeMessage(b, ctx) as UpdateMessage);
}

describe('packUpdates', () => {
  it('fills 4096-octet UPDATEs with IPv4 prefixes, each once, attributes the same', () => {
    const list = v4Table(5000);
    const msgs = packUpdates(ATTRS, list, CTX4);
    for (const b of msgs.slice(0, -1)) {
      expect(b.length).toBeLessThanOrEqual(4096);
      expect(b.length).toBeGreaterThan(4096 - 4); // no room left for another /24
    }
    const ms = decodeAll(msgs, CTX4);
    for (const m of ms) {
      expect(m.attributes).toEqual(ATTRS);
      expect(m.treatAsWithdraw).toBeUndefined();
    }
    expect(ms.flatMap((m) => prefixListToStrings(m.nlri))).toEqual(prefixListToStrings(list));
  });

  it('honours a smaller limit, the extended message limit, and ADD-PATH', () => {
    const list = v4Table(3000, true);
    const small = packUpdates(ATTRS, list, CTX_ADDPATH, 512);
    expect(small.every((b) => b.length <= 512)).toBe(true);
    expect(decodeAll(small, CTX_ADDPATH).flatMap((m) => prefixListToStrings(m.nlri))).toEqual(prefixListToStrings(list));
    const big = packUpdates(ATTRS, list, CTX_EXT);
    expect(big.length).toBe(1);
    expect(big[0].length).toBeLessThanOrEqual(65535);
  });

  it('writes AS_TRANS and AS4_PATH on 2-octet sessions', () => {
    const [b] = packUpdates(ATTRS, v4Table(1), CTX2);
    expect((decodeMessage(b, CTX2) as UpdateMessage).attributes.asPath).toEqual(ATTRS.asPath);
  });

  it('puts IPv6 prefixes in MP_REACH_NLRI, first among the attributes, up to the limit', () => {
    const list = v6Table(2000);
    const attrs: PathAttributes = { origin: 0, asPath: [], localPref: 100, mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1', 'fe80::1'], nlri: prefixList(2, []) } };
    const msgs = packUpdates(attrs, list, CTX4);
    expect(msgs.length).toBeGreaterThan(1);
    for (const b of msgs) {
      expect(b.length).toBeLessThanOrEqual(4096);
      expect(b[23 + 1]).toBe(14); // the first attribute's type code
    }
    const ms = decodeAll(msgs, CTX4);
    expect(ms.flatMap((m) => prefixListToStrings(m.attributes.mpReach!.nlri))).toEqual(prefixListToStrings(list));
    for (const m of ms) {
      expect(m.attributes.mpReach!.nextHops).toEqual(['2001:db8::1', 'fe80::1']);
      expect(m.attributes.localPref).toBe(100);
      expect(m.nlri.count).toBe(0);
    }
  });

  it('a small MP_REACH_NLRI uses the one-octet length, a large one the Extended Length flag', () => {
    const attrs: PathAttributes = { origin: 0, asPath: [], mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: prefixList(2, []) } };
    const [one] = packUpdates(attrs, v6Table(1), CTX4);
    expect(one[23]).toBe(0x80);
    const [many] = packUpdates(attrs, v6Table(100), CTX4);
    expect(many[23]).toBe(0x90);
  });

  it('sends IPv4 over an IPv6 next hop in MP_REACH_NLRI (RFC 8950)', () => {
    const attrs: PathAttributes = { origin: 0, asPath: [], mpReach: { afi: 1, safi: 1, nextHops: ['fd00::45'], nlri: prefixList(1, []) } };
    const [b] = packUpdates(attrs, v4Table(3), CTX4);
    const m = decodeMessage(b, CTX4) as UpdateMessage;
    expect(m.nlri.count).toBe(0);
    expect(m.attributes.mpReach?.nextHops).toEqual(['fd00::45']);
    expect(prefixListToStrings(m.attributes.mpReach!.nlri)).toEqual(['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24']);
  });

  it('returns nothing for no prefixes and refuses impossible requests', () => {
    expect(packUpdates(ATTRS, v4Table(0), CTX4)).toEqual([]);
    expect(() => packUpdates({ origin: 0 }, v6Table(1), CTX4)).toThrow(BgpWireError);
    expect(() => packUpdates(ATTRS, v4Table(1), CTX4, 30)).toThrow(BgpWireError);
  });
});

describe('attributes encoded once', () => {
  it('pack to the same bytes as plain attributes, IPv4 and IPv6', () => {
    const list = v4Table(1500);
    expect(packUpdates(encodeAttributesForPacking(ATTRS, CTX4), list, CTX4)).toEqual(packUpdates(ATTRS, list, CTX4));
    const attrs6: PathAttributes = { origin: 0, asPath: [], mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: prefixList(2, []) } };
    const six = v6Table(700);
    expect(packUpdates(encodeAttributesForPacking(attrs6, CTX4), six, CTX4)).toEqual(packUpdates(attrs6, six, CTX4));
  });

  it('refuse a session of the other AS number width', () => {
    expect(() => packUpdates(encodeAttributesForPacking(ATTRS, CTX4), v4Table(1), CTX2)).toThrow(BgpWireError);
  });
});

describe('packWithdrawals', () => {
  it('IPv4 in the withdrawn routes field', () => {
    const list = v4Table(2500);
    const msgs = packWithdrawals(list, CTX4);
    expect(msgs.length).toBe(3);
    const ms = decodeAll(msgs, CTX4);
    expect(ms.flatMap((m) => prefixListToStrings(m.withdrawn))).toEqual(prefixListToStrings(list));
    expect(ms.every((m) => Object.keys(m.attributes).length === 0)).toBe(true);
  });

  it('IPv6 in MP_UNREACH_NLRI', () => {
    const list = v6Table(1000);
    const ms = decodeAll(packWithdrawals(list, CTX4), CTX4);
    expect(ms.flatMap((m) => prefixListToStrings(m.attributes.mpUnreach!.nlri))).toEqual(prefixListToStrings(list));
  });

  it('IPv4 with ADD-PATH path ids', () => {
    const list = v4Table(10, true);
    const ms = decodeAll(packWithdrawals(list, CTX_ADDPATH, 60), CTX_ADDPATH);
    expect(ms.length).toBeGreaterThan(1);
    expect(ms.flatMap((m) => prefixListToStrings(m.withdrawn))).toEqual(prefixListToStrings(list));
  });
});

describe('encoder refusals', () => {
  it('refuses a PrefixList that breaks its contract instead of sending corrupt NLRI', () => {
    const bad: PrefixList = { afi: 1, count: 1, addrs: new Uint32Array([0x0a000000]), lens: new Uint8Array([40]), pathIds: null };
    expect(() => packUpdates(ATTRS, bad, CTX4)).toThrow(BgpWireError);
    const short: PrefixList = { afi: 2, count: 1, addrs: new Uint32Array(2), lens: new Uint8Array([64]), pathIds: null };
    expect(() => packWithdrawals(short, CTX4)).toThrow(BgpWireError);
  });
});
