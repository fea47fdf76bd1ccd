// NLRI encoding (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3) and the PrefixList tools.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  emptyPrefixList,
  encodeMessage,
  forEachPrefix,
  ipv6ToString,
  parseIpv4,
  parseIpv6,
  parsePrefix,
  PrefixListBuilder,
  prefixList,
  prefixListToStrings,
  prefixToString,
  slicePrefixList,
  type UpdateMessage,
} from '../../bgpd/wire/index.js';
import { CTX4, CTX_ADDPATH, hex, msg } from './bytes.js';

const withdrawal = (nlri: string): Buffer => {
  const w = hex(nlri);
  return msg(2, Buffer.concat([Buffer.from([w.length >> 8, w.length & 255]), w, hex('0000')]));
};

describe('IPv4 NLRI', () => {
  it('decodes each prefix length form into typed arrays, host bits cleared', () => {
    // /0, /8, /15 with a stray host bit, /24, /31, /32
    const m = decodeMessage(withdrawal('00  08 0a  0f ac11  18 c0a801  1f 0a000003  20 01020304'), CTX4) as UpdateMessage;
    const w = m.withdrawn;
    expect(w.afi).toBe(1);
    expect(w.count).toBe(6);
    expect(w.addrs).toBeInstanceOf(Uint32Array);
    expect(w.lens).toBeInstanceOf(Uint8Array);
    expect(w.pathIds).toBeNull();
    expect(Array.from(w.lens)).toEqual([0, 8, 15, 24, 31, 32]);
    expect(Array.from(w.addrs)).toEqual([0, 0x0a000000, 0xac100000, 0xc0a80100, 0x0a000002, 0x01020304]);
    expect(prefixListToStrings(w)).toEqual(['0.0.0.0/0', '10.0.0.0/8', '172.16.0.0/15', '192.168.1.0/24', '10.0.0.2/31', '1.2.3.4/32']);
  });

  it('reads ADD-PATH path identifiers before each prefix (RFC 7911 §3)', () => {
    const b = withdrawal('00000001 18 0a0001  ffffffff 20 0a000001  00000000 00');
    const m = decodeMessage(b, CTX_ADDPATH) as UpdateMessage;
    expect(prefixListToStrings(m.withdrawn)).toEqual(['10.0.1.0/24#1', '10.0.0.1/32#4294967295', '0.0.0.0/0#0']);
    expect(encodeMessage(m, CTX_ADDPATH)).toEqual(b);
    // The same bytes without ADD-PATH are not a valid NLRI field.
    expect(() => decodeMessage(b, CTX4)).toThrow();
  });

  it('encodes path id 0 when the session sends ADD-PATH but the list has no ids', () => {
    const m: UpdateMessage = { type: 'update', withdrawn: prefixList(1, ['10.0.0.0/8']), attributes: {}, nlri: emptyPrefixList(1) };
    expect(encodeMessage(m, CTX_ADDPATH)).toEqual(withdrawal('00000000 08 0a'));
  });
});

describe('IPv6 NLRI', () => {
  it('decodes lengths 0..128 across word boundaries', () => {
    const lens = [0, 1, 31, 32, 33, 64, 65, 96, 127, 128];
    const full = Buffer.alloc(16, 0xff);
    const parts = lens.map((l) => Buffer.concat([Buffer.from([l]), full.subarray(0, (l + 7) >> 3)]));
    const v = Buffer.concat([hex('0002 01'), ...parts]);
    const attr = Buffer.concat([hex('80 0f'), Buffer.from([v.length]), v]);
    const m = decodeMessage(msg(2, Buffer.concat([hex('0000'), Buffer.from([0, attr.length]), attr])), CTX4) as UpdateMessage;
    const l = m.attributes.mpUnreach!.nlri;
    expect(l.addrs.length).toBe(4 * lens.length);
    expect(prefixListToStrings(l)).toEqual([
      '::/0',
      '8000::/1',
      'ffff:fffe::/31',
      'ffff:ffff::/32',
      'ffff:ffff:8000::/33',
      'ffff:ffff:ffff:ffff::/64',
      'ffff:ffff:ffff:ffff:8000::/65',
      'ffff:ffff:ffff:ffff:ffff:ffff::/96',
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127',
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128',
    ]);
  });
});

describe('prefix tools', () => {
  it('parse and print prefixes, clearing host bits', () => {
    expect(parsePrefix('10.1.2.3/8')).toEqual({ afi: 1, addr: [0x0a000000], len: 8 });
    expect(parsePrefix('2001:db8::1/32')).toEqual({ afi: 2, addr: [0x20010db8, 0, 0, 0], len: 32 });
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0/8', '::/129', 'x/1', '1.2.3.4/-1', '1:2:3:4:5:6:7:8:9/64', '1::2::3/64']) {
      expect(parsePrefix(bad)).toBeNull();
    }
  });

  it('print IPv6 as RFC 5952 text', () => {
    const p = (s: string) => ipv6ToString(parseIpv6(s)!);
    expect(p('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(p('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(p('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1');
    expect(p('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(p('2001:db8:1:1:1:1:0:1')).toBe('2001:db8:1:1:1:1:0:1');
    expect(p('::')).toBe('::');
    expect(p('::ffff:10.0.0.1')).toBe('::ffff:a00:1');
    expect(parseIpv4('256.0.0.1')).toBeNull();
    expect(parseIpv4('1.2.3')).toBeNull();
  });

  it('build lists that grow, iterate and slice them', () => {
    const b = new PrefixListBuilder(1, true, 1);
    for (let i = 0; i < 100; i++) b.addV4(0x0a000000 + i * 256 + 7, 24, i);
    const l = b.finish();
    expect(l.count).toBe(100);
    expect(prefixToString(l, 99)).toBe('10.0.99.0/24');
    expect(l.pathIds![99]).toBe(99);
    let sum = 0;
    forEachPrefix(l, (_i, len, id) => (sum += len + id));
    expect(sum).toBe(100 * 24 + 4950);
    const s = slicePrefixList(l, 10, 12);
    expect(prefixListToStrings(s)).toEqual(['10.0.10.0/24#10', '10.0.11.0/24#11']);
    expect(() => b.add('2001:db8::/32')).toThrow(TypeError);
    const v6 = prefixList(2, ['2001:db8::1/127', 'fe80::/10']);
    expect(prefixListToStrings(v6)).toEqual(['2001:db8::/127', 'fe80::/10']);
  });
});

describe('prefix text round trips (property)', () => {
  it('IPv4: parsePrefix(prefixToString(p)) is p', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (a, len) => {
        const l = new PrefixListBuilder(1).addV4(a, len).finish();
        const text = prefixToString(l, 0);
        expect(parsePrefix(text)).toEqual({ afi: 1, addr: [l.addrs[0]], len });
        expect(prefixListToStrings(prefixList(1, [text]))).toEqual([text]);
      }),
    );
  });

  it('IPv6: parsePrefix(prefixToString(p)) is p, and the text is canonical', () => {
    const word = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff }));
    fc.assert(
      fc.property(fc.tuple(word, word, word, word), fc.integer({ min: 0, max: 128 }), (w, len) => {
        const l = new PrefixListBuilder(2).addV6(w, len).finish();
        const text = prefixToString(l, 0);
        expect(parsePrefix(text)).toEqual({ afi: 2, addr: Array.from(l.addrs), len });
        expect(text).toBe(text.toLowerCase());
        expect(text).not.toMatch(/(^|:)0[0-9a-f]/); // no leading zeros in a group (RFC 5952 §4.1)
        expect(text.split('::').length).toBeLessThanOrEqual(2);
      }),
    );
  });
});
