// Path attributes (RFC 4271 §4.3/§5 and the RFCs of each attribute): hand-assembled vectors decoded
// field by field and re-encoded to the same bytes, the RFC 6793 2-octet/4-octet AS handling, the
// Extended Length flag, unknown attributes, and the interning key.
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, prefixList, prefixListToStrings, type PathAttributes, type UpdateMessage } from '../../bgpd/wire/index.js';
import { CTX2, CTX4, CTX_ADDPATH, hex, msg } from './bytes.js';

/** An UPDATE with no withdrawals, the given attributes and NLRI (both hex). */
function update(attrsHex: string, nlriHex = ''): Buffer {
  const a = hex(attrsHex);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(a.length, 0);
  return msg(2, Buffer.concat([hex('0000'), len, a, hex(nlriHex)]));
}

const decode = (b: Buffer, ctx = CTX4): UpdateMessage => decodeMessage(b, ctx) as UpdateMessage;

const ALL_V4 = `
  40 01 01 00                                   # ORIGIN IGP
  40 02 0a 02 02 0000fde9 fa56ea00              # AS_PATH SEQUENCE 65001 4200000000
  40 03 04 0a000001                             # NEXT_HOP 10.0.0.1
  80 04 04 00000064                             # MULTI_EXIT_DISC 100
  40 05 04 000000c8                             # LOCAL_PREF 200
  40 06 00                                      # ATOMIC_AGGREGATE
  c0 07 08 0000fde9 0a000002                    # AGGREGATOR 65001 10.0.0.2
  c0 08 08 fde90064 fde900c8                    # COMMUNITIES 65001:100 65001:200
  80 09 04 0a000003                             # ORIGINATOR_ID 10.0.0.3
  80 0a 08 0a000004 0a000005                    # CLUSTER_LIST 10.0.0.4 10.0.0.5
  c0 10 08 0002fde900000064                     # EXTENDED_COMMUNITIES route target 65001:100
  c0 20 0c 00000b62 0000ff78 00009480           # LARGE_COMMUNITY 2914:65400:38016 (RFC 8092 §3: three u32)
`;

describe('every attribute on a 4-octet AS session', () => {
  it('decodes field by field and encodes back to the same bytes', () => {
    const b = update(ALL_V4, '18 0a0001  10 ac10');
    const m = decode(b);
    expect(m.attributes).toEqual({
      origin: 0,
      asPath: [{ type: 2, asns: [65001, 4200000000] }],
      nextHop: '10.0.0.1',
      med: 100,
      localPref: 200,
      atomicAggregate: true,
      aggregator: { asn: 65001, address: '10.0.0.2' },
      communities: [65001 * 65536 + 100, 65001 * 65536 + 200],
      originatorId: 0x0a000003,
      clusterList: [0x0a000004, 0x0a000005],
      extCommunities: [0x0002fde900000064n],
      largeCommunities: [[2914, 65400, 38016]],
    } satisfies PathAttributes);
    expect(prefixListToStrings(m.nlri)).toEqual(['10.0.1.0/24', '172.16.0.0/16']);
    expect(m.attrErrors).toBeUndefined();
    expect(m.treatAsWithdraw).toBeUndefined();
    expect(encodeMessage(m, CTX4)).toEqual(b);
  });

  it('AS_PATH: all four segment types (RFC 4271 §4.3, RFC 5065 §3) and the empty path', () => {
    const b = update('40 01 01 02  40 02 20 03 01 0000fde9 04 01 0000fdea 02 02 00000001 00000002 01 02 00000003 00000004  40 03 04 0a000001', '00');
    const m = decode(b);
    expect(m.attributes.origin).toBe(2);
    expect(m.attributes.asPath).toEqual([
      { type: 3, asns: [65001] },
      { type: 4, asns: [65002] },
      { type: 2, asns: [1, 2] },
      { type: 1, asns: [3, 4] },
    ]);
    expect(prefixListToStrings(m.nlri)).toEqual(['0.0.0.0/0']);
    expect(encodeMessage(m, CTX4)).toEqual(b);
    expect(decode(update('40 01 01 00 40 02 00 40 03 04 0a000001', '20 0a000001')).attributes.asPath).toEqual([]);
  });

  it('splits AS_SEQUENCEs longer than 255 on encode', () => {
    const asns = Array.from({ length: 300 }, (_, i) => i + 1);
    const m: UpdateMessage = { type: 'update', withdrawn: prefixList(1, []), nlri: prefixList(1, []), attributes: { asPath: [{ type: 2, asns }] } };
    const back = decode(encodeMessage(m, CTX4));
    expect(back.attributes.asPath).toEqual([{ type: 2, asns: asns.slice(0, 255) }, { type: 2, asns: asns.slice(255) }]);
  });

  it('uses the Extended Length flag exactly when a value exceeds 255 octets', () => {
    const communities = Array.from({ length: 70 }, (_, i) => i);
    const m: UpdateMessage = { type: 'update', withdrawn: prefixList(1, []), nlri: prefixList(1, []), attributes: { communities } };
    const b = encodeMessage(m, CTX4);
    expect(b.subarray(23, 27)).toEqual(hex('d0 08 0118'));
    expect(decode(b).attributes.communities).toEqual(communities);
    const small = encodeMessage({ ...m, attributes: { communities: [1] } }, CTX4);
    expect(small.subarray(23, 26)).toEqual(hex('c0 08 04'));
  });

  it('accepts the Extended Length flag on a short value (a peer may always use it)', () => {
    const m = decode(update('50 01 0001 00  50 02 0000  50 03 0004 0a000001', '18 0a0001'));
    expect(m.attributes).toEqual({ origin: 0, asPath: [], nextHop: '10.0.0.1' });
    expect(m.treatAsWithdraw).toBeUndefined();
  });
});

describe('MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760)', () => {
  it('IPv6 unicast with global and link-local next hops (RFC 2545 §3)', () => {
    const b = update(`
      80 0e 2f 0002 01 20
         20010db8000000000000000000000001   # global 2001:db8::1
         fe800000000000000000000000000001   # link-local fe80::1
         00                                 # reserved
         40 20010db800000001                # 2001:db8:0:1::/64
         00                                 # ::/0
      40 01 01 00  40 02 00`);
    const m = decode(b);
    expect(m.attributes.mpReach?.afi).toBe(2);
    expect(m.attributes.mpReach?.safi).toBe(1);
    expect(m.attributes.mpReach?.nextHops).toEqual(['2001:db8::1', 'fe80::1']);
    expect(prefixListToStrings(m.attributes.mpReach!.nlri)).toEqual(['2001:db8:0:1::/64', '::/0']);
    expect(encodeMessage(m, CTX4)).toEqual(b);
  });

  it('IPv4 NLRI over an IPv6 next hop (RFC 8950 §3)', () => {
    const b = update(`80 0e 19 0001 01 10 fd000000000000000000000000000045 00 18 0a0001  40 01 01 00  40 02 00`);
    const m = decode(b);
    expect(m.attributes.mpReach).toMatchObject({ afi: 1, safi: 1, nextHops: ['fd00::45'] });
    expect(prefixListToStrings(m.attributes.mpReach!.nlri)).toEqual(['10.0.1.0/24']);
    expect(encodeMessage(m, CTX4)).toEqual(b);
  });

  it('IPv4 NLRI with an IPv4 next hop in MP_REACH', () => {
    const b = update(`80 0e 0e 0001 01 04 0a000001 00 18 0a0001 00  40 01 01 00  40 02 00`);
    const m = decode(b);
    expect(m.attributes.mpReach?.nextHops).toEqual(['10.0.0.1']);
    expect(prefixListToStrings(m.attributes.mpReach!.nlri)).toEqual(['10.0.1.0/24', '0.0.0.0/0']);
    expect(encodeMessage(m, CTX4)).toEqual(b);
  });

  it('MP_UNREACH_NLRI with IPv6 prefixes, with and without ADD-PATH (RFC 7911 §3)', () => {
    const plain = update('80 0f 11 0002 01 40 20010db800000001 20 20010db8');
    expect(prefixListToStrings(decode(plain).attributes.mpUnreach!.nlri)).toEqual(['2001:db8:0:1::/64', '2001:db8::/32']);
    const ap = update('80 0f 0e 0002 01 00000007 30 20010db80001');
    const m = decode(ap, CTX_ADDPATH);
    expect(prefixListToStrings(m.attributes.mpUnreach!.nlri)).toEqual(['2001:db8:1::/48#7']);
    expect(encodeMessage(m, CTX_ADDPATH)).toEqual(ap);
  });

  it('discards MP attributes of families we do not speak, with a note', () => {
    const m = decode(update('80 0e 0a 0019 46 04 0a000001 00 00'));
    expect(m.attributes.mpReach).toBeUndefined();
    expect(m.attrErrors).toEqual([{ type: 14, action: 'attribute-discard', reason: expect.stringContaining('25/70') }]);
    expect(m.treatAsWithdraw).toBeUndefined();
  });
});

describe('2-octet AS sessions (RFC 6793)', () => {
  it('merges AS4_PATH into an AS_PATH that carries AS_TRANS', () => {
    const b = update(`
      40 01 01 00
      40 02 06 02 02 fde9 5ba0                 # AS_PATH 65001 AS_TRANS
      40 03 04 0a000001
      c0 11 0a 02 02 0000fde9 fa56ea00         # AS4_PATH 65001 4200000000`, '18 0a0001');
    const m = decode(b, CTX2);
    expect(m.attributes.asPath).toEqual([{ type: 2, asns: [65001, 4200000000] }]);
    expect(m.attrErrors).toBeUndefined();
    expect(encodeMessage(m, CTX2)).toEqual(b);
  });

  it('keeps the leading AS numbers an OLD speaker prepended (§4.2.3)', () => {
    const m = decode(update('40 02 08 02 03 0064 00c8 5ba0  c0 11 0a 02 02 000000c8 fa56ea00'), CTX2);
    expect(m.attributes.asPath).toEqual([{ type: 2, asns: [100] }, { type: 2, asns: [200, 4200000000] }]);
  });

  it('counts an AS_SET as one and keeps leading confederation segments', () => {
    const m = decode(update('40 02 0e 03 01 fde9 02 01 0064 01 02 5ba0 5ba0  c0 11 0a 01 02 fa56ea00 fa56ea01'), CTX2);
    expect(m.attributes.asPath).toEqual([{ type: 3, asns: [65001] }, { type: 2, asns: [100] }, { type: 1, asns: [4200000000, 4200000001] }]);
  });

  it('ignores an AS4_PATH longer than the AS_PATH', () => {
    const m = decode(update('40 02 04 02 01 5ba0  c0 11 0a 02 02 0000fde9 fa56ea00'), CTX2);
    expect(m.attributes.asPath).toEqual([{ type: 2, asns: [23456] }]);
  });

  it('ignores AS4_* when AGGREGATOR is not AS_TRANS (an OLD speaker aggregated)', () => {
    const m = decode(update('40 02 04 02 01 5ba0  c0 07 06 fde9 0a000002  c0 11 06 02 01 fa56ea00  c0 12 08 fa56ea01 0a000003'), CTX2);
    expect(m.attributes.asPath).toEqual([{ type: 2, asns: [23456] }]);
    expect(m.attributes.aggregator).toEqual({ asn: 65001, address: '10.0.0.2' });
  });

  it('takes AS4_AGGREGATOR when AGGREGATOR is AS_TRANS, and encodes both back', () => {
    const b = update('40 02 04 02 01 5ba0  c0 07 06 5ba0 0a000002  c0 11 06 02 01 fa56ea00  c0 12 08 fa56ea01 0a000002');
    const m = decode(b, CTX2);
    expect(m.attributes.asPath).toEqual([{ type: 2, asns: [4200000000] }]);
    expect(m.attributes.aggregator).toEqual({ asn: 4200000001, address: '10.0.0.2' });
    expect(encodeMessage(m, CTX2)).toEqual(b);
  });

  it('drops confederation segments from AS4_PATH with a note (§6)', () => {
    const m = decode(update('40 02 06 02 02 fde9 5ba0  c0 11 10 03 01 0000fde9 02 02 0000fde9 fa56ea00'), CTX2);
    expect(m.attributes.asPath).toEqual([{ type: 2, asns: [65001, 4200000000] }]);
    expect(m.attrErrors).toEqual([{ type: 17, action: 'attribute-discard', reason: expect.stringContaining('confederation') }]);
  });

  it('discards a malformed AS4_PATH and AS4_AGGREGATOR (§6)', () => {
    const m = decode(update('40 02 04 02 01 5ba0  c0 11 04 02 01 fa56  c0 12 04 00000001'), CTX2);
    expect(m.attributes.asPath).toEqual([{ type: 2, asns: [23456] }]);
    expect(m.attrErrors?.map((e) => [e.type, e.action])).toEqual([
      [17, 'attribute-discard'],
      [18, 'attribute-discard'],
    ]);
    expect(m.treatAsWithdraw).toBeUndefined();
  });

  it('discards AS4_* received on a 4-octet session (§6)', () => {
    const m = decode(update('40 02 06 02 01 fa56ea00  c0 11 06 02 01 00000001  c0 12 08 00000001 0a000001'));
    expect(m.attributes.asPath).toEqual([{ type: 2, asns: [4200000000] }]);
    expect(m.attributes.aggregator).toBeUndefined();
    expect(m.attrErrors?.map((e) => e.action)).toEqual(['attribute-discard', 'attribute-discard']);
  });

  it('encodes AS_TRANS + AS4_PATH only when an AS number needs 4 octets', () => {
    const small: UpdateMessage = { type: 'update', withdrawn: prefixList(1, []), nlri: prefixList(1, []), attributes: { asPath: [{ type: 2, asns: [65001, 65002] }] } };
    expect(encodeMessage(small, CTX2)).toEqual(update('40 02 06 02 02 fde9 fdea'));
    const big: UpdateMessage = { ...small, attributes: { asPath: [{ type: 3, asns: [65010] }, { type: 2, asns: [65001, 4200000000] }] } };
    // RFC 6793 §3: AS4_PATH never carries confederation segments.
    expect(encodeMessage(big, CTX2)).toEqual(update('40 02 0a 03 01 fdf2 02 02 fde9 5ba0  c0 11 0a 02 02 0000fde9 fa56ea00'));
    expect(decode(encodeMessage(big, CTX2), CTX2).attributes.asPath).toEqual(big.attributes.asPath);
  });
});

describe('unknown attributes (RFC 4271 §5)', () => {
  it('keeps optional transitive ones and passes them on with the Partial bit set', () => {
    const b = update('40 01 01 00  c0 63 03 010203');
    const m = decode(b);
    expect(m.attributes.unknown).toEqual([{ flags: 0xc0, type: 99, value: hex('010203') }]);
    expect(encodeMessage(m, CTX4)).toEqual(update('40 01 01 00  e0 63 03 010203'));
  });

  it('drops optional non-transitive ones quietly', () => {
    const m = decode(update('40 01 01 00  80 62 02 0102'));
    expect(m.attributes).toEqual({ origin: 0 });
    expect(m.attrErrors).toBeUndefined();
  });

  it('places unknown attributes in type order among the known ones', () => {
    const m: UpdateMessage = {
      type: 'update',
      withdrawn: prefixList(1, []),
      nlri: prefixList(1, []),
      attributes: { origin: 1, largeCommunities: [[1, 2, 3]], unknown: [{ flags: 0xe0, type: 40, value: hex('aa') }, { flags: 0xc0, type: 11, value: hex('bb') }] },
    };
    expect(encodeMessage(m, CTX4)).toEqual(update('40 01 01 01  e0 0b 01 bb  c0 20 0c 000000010000000200000003  e0 28 01 aa'));
  });

  it('copies unknown values out of the message buffer', () => {
    const b = update('c0 63 02 0102');
    const m = decode(b);
    b.fill(0);
    expect(m.attributes.unknown?.[0].value).toEqual(hex('0102'));
  });
});

describe('attrKey (interning key)', () => {
  it('is equal for UPDATEs that differ only in NLRI and MP attributes, and is a copy', () => {
    const a = update(ALL_V4, '18 0a0001');
    const b = update(`80 0e 0d 0001 01 04 0a000009 00 18 0a0009 ${ALL_V4}`, '18 0a0002 18 0a0003');
    const ka = (decodeMessage(a, CTX4, { attrKey: true }) as UpdateMessage).attrKey!;
    const kb = (decodeMessage(b, CTX4, { attrKey: true }) as UpdateMessage).attrKey!;
    expect(ka).toEqual(kb);
    expect(ka.length).toBe(hex(ALL_V4).length);
    a.fill(0);
    expect(ka).toEqual(kb);
    expect(decode(update(ALL_V4)).attrKey).toBeUndefined();
  });

  it('differs when any attribute differs', () => {
    const k = (h: string) => (decodeMessage(update(h), CTX4, { attrKey: true }) as UpdateMessage).attrKey!;
    expect(k('40 01 01 00')).not.toEqual(k('40 01 01 01'));
  });
});
