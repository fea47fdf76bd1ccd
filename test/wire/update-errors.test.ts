// UPDATE error handling: every malformation with its RFC 7606 verdict (treat-as-withdraw or
// attribute-discard, as values) or its session-reset NOTIFICATION code/subcode/data (RFC 4271 §6.3).
import { describe, expect, it } from 'vitest';
import { BgpWireError, decodeMessage, prefixListToStrings, type UpdateMessage } from '../../bgpd/wire/index.js';
import { CTX2, CTX4, CTX_ADDPATH, hex, msg } from './bytes.js';

function update(attrsHex: string, nlriHex = '', withdrawnHex = ''): Buffer {
  const a = hex(attrsHex);
  const w = hex(withdrawnHex);
  const wl = Buffer.alloc(2);
  wl.writeUInt16BE(w.length, 0);
  const al = Buffer.alloc(2);
  al.writeUInt16BE(a.length, 0);
  return msg(2, Buffer.concat([wl, w, al, a, hex(nlriHex)]));
}

const GOOD = '40 01 01 00  40 02 06 02 01 0000fde9  40 03 04 0a000001';
const NLRI = '18 0a0001';

function decodeErr(b: Buffer, ctx = CTX4): BgpWireError {
  try {
    decodeMessage(b, ctx);
  } catch (e) {
    if (e instanceof BgpWireError) return e;
    throw e;
  }
  throw new Error('decoded without error');
}

describe('treat-as-withdraw (RFC 7606)', () => {
  it.each([
    ['ORIGIN of length 2 (§7.1)', '40 01 02 0000', 1],
    ['ORIGIN value 3 (§7.1)', '40 01 01 03', 1],
    ['AS_PATH with segment type 5 (§7.2)', '40 02 06 05 01 0000fde9', 2],
    ['AS_PATH with a zero-length segment (§7.2)', '40 02 02 02 00', 2],
    ['AS_PATH segment overrun (§7.2)', '40 02 06 02 02 0000fde9', 2],
    ['AS_PATH one-octet underrun (§7.2)', '40 02 07 02 01 0000fde9 02', 2],
    ['NEXT_HOP of length 5 (§7.3)', '40 03 05 0a00000100', 3],
    ['MULTI_EXIT_DISC of length 3 (§7.4)', '80 04 03 000001', 4],
    ['LOCAL_PREF of length 8 (§7.5)', '40 05 08 0000000000000001', 5],
    ['COMMUNITIES of length 0 (§7.8)', 'c0 08 00', 8],
    ['COMMUNITIES of length 5 (§7.8)', 'c0 08 05 0000000001', 8],
    ['ORIGINATOR_ID of length 2 (§7.9)', '80 09 02 0001', 9],
    ['CLUSTER_LIST of length 6 (§7.10)', '80 0a 06 000000010000', 10],
    ['EXTENDED_COMMUNITIES of length 7 (§7.14)', 'c0 10 07 00000000000000', 16],
    ['LARGE_COMMUNITY of length 11 (RFC 8092 §6)', 'c0 20 0b 0000000000000000000000', 32],
    ['ORIGIN flagged optional (§3(c))', 'c0 01 01 00', 1],
    ['COMMUNITIES flagged well-known (§3(c))', '40 08 04 00000001', 8],
  ])('%s', (_n, bad, type) => {
    // The malformed attribute replaces its good twin (or joins the good ones).
    const goodWithout = GOOD.split('  ').filter((a) => !a.startsWith(`40 0${type} `)).join(' ');
    const m = decodeMessage(update(`${goodWithout} ${bad}`, NLRI), CTX4) as UpdateMessage;
    expect(m.treatAsWithdraw).toBe(true);
    expect(m.attrErrors).toContainEqual({ type, action: 'treat-as-withdraw', reason: expect.any(String) });
    // The NLRI is still there, to be withdrawn.
    expect(prefixListToStrings(m.nlri)).toEqual(['10.0.1.0/24']);
  });

  it.each([
    ['ORIGIN', '40 02 06 02 01 0000fde9  40 03 04 0a000001', 1],
    ['AS_PATH', '40 01 01 00  40 03 04 0a000001', 2],
    ['NEXT_HOP', '40 01 01 00  40 02 06 02 01 0000fde9', 3],
  ])('a missing %s with NLRI present (§3(d))', (_n, attrs, type) => {
    const m = decodeMessage(update(attrs, NLRI), CTX4) as UpdateMessage;
    expect(m.treatAsWithdraw).toBe(true);
    expect(m.attrErrors).toEqual([{ type, action: 'treat-as-withdraw', reason: expect.stringContaining('missing') }]);
  });

  it('missing attributes do not matter without NLRI', () => {
    const m = decodeMessage(update('c0 08 04 00000001', '', NLRI), CTX4) as UpdateMessage;
    expect(m.treatAsWithdraw).toBeUndefined();
    expect(prefixListToStrings(m.withdrawn)).toEqual(['10.0.1.0/24']);
  });

  it('NEXT_HOP is not needed when only MP_REACH_NLRI carries NLRI (RFC 4760 §3)', () => {
    const m = decodeMessage(update('80 0e 1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8  40 01 01 00  40 02 00'), CTX4) as UpdateMessage;
    expect(m.treatAsWithdraw).toBeUndefined();
    const missing = decodeMessage(update('80 0e 1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8  40 02 00'), CTX4) as UpdateMessage;
    expect(missing.treatAsWithdraw).toBe(true);
    expect(missing.attrErrors).toEqual([{ type: 1, action: 'treat-as-withdraw', reason: 'missing ORIGIN' }]);
    expect(prefixListToStrings(missing.attributes.mpReach!.nlri)).toEqual(['2001:db8::/32']);
  });

  it('MP_REACH_NLRI with wrong flags is still parsed so its NLRI can be withdrawn (§3(c))', () => {
    const m = decodeMessage(update('c0 0e 1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8  40 01 01 00  40 02 00'), CTX4) as UpdateMessage;
    expect(m.treatAsWithdraw).toBe(true);
    expect(prefixListToStrings(m.attributes.mpReach!.nlri)).toEqual(['2001:db8::/32']);
  });

  it('an attribute overrunning the list: treat-as-withdraw, NLRI found from the total length (§4)', () => {
    const m = decodeMessage(update('40 01 01 00  40 02 06 02 01 0000fde9  40 03 09 0a000001', NLRI), CTX4) as UpdateMessage;
    expect(m.treatAsWithdraw).toBe(true);
    expect(m.attrErrors?.[0]).toMatchObject({ type: 3, action: 'treat-as-withdraw' });
    expect(prefixListToStrings(m.nlri)).toEqual(['10.0.1.0/24']);
  });

  it.each(['0.0.0.0', '0.1.2.3', '127.0.0.1', '224.0.0.5', '239.1.1.1', '240.0.0.1', '255.255.255.255'])(
    'a NEXT_HOP of %s, which cannot be a host address (§7.3)',
    (nh) => {
      const hexNh = nh.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('');
      const m = decodeMessage(update(`40 01 01 00  40 02 00  40 03 04 ${hexNh}`, NLRI), CTX4) as UpdateMessage;
      expect(m.treatAsWithdraw).toBe(true);
      expect(m.attrErrors).toEqual([{ type: 3, action: 'treat-as-withdraw', reason: expect.stringContaining(nh) }]);
    },
  );

  it('a NEXT_HOP is not judged when only MP_REACH_NLRI carries routes (RFC 4760 §3)', () => {
    const m = decodeMessage(update('80 0e 1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8  40 01 01 00  40 02 00  40 03 04 00000000'), CTX4) as UpdateMessage;
    expect(m.treatAsWithdraw).toBeUndefined();
  });

  it('octets left over that cannot hold an attribute header: treat-as-withdraw (§4)', () => {
    const m = decodeMessage(update(`${GOOD} 40 01`, NLRI), CTX4) as UpdateMessage;
    expect(m.treatAsWithdraw).toBe(true);
    expect(m.attributes.origin).toBe(0);
  });
});

describe('attribute-discard (RFC 7606)', () => {
  it.each([
    ['ATOMIC_AGGREGATE of length 1 (§7.6)', '40 06 01 00', 6, 'atomicAggregate'],
    ['AGGREGATOR of length 7 (§7.7)', 'c0 07 07 00000001 0a0000', 7, 'aggregator'],
    ['AGGREGATOR of 2-octet form on a 4-octet session (§7.7)', 'c0 07 06 0001 0a000001', 7, 'aggregator'],
  ])('%s', (_n, bad, type, key) => {
    const m = decodeMessage(update(`${GOOD} ${bad}`, NLRI), CTX4) as UpdateMessage;
    expect(m.treatAsWithdraw).toBeUndefined();
    expect(m.attrErrors).toEqual([{ type, action: 'attribute-discard', reason: expect.any(String) }]);
    expect((m.attributes as Record<string, unknown>)[key]).toBeUndefined();
    expect(m.attributes.origin).toBe(0);
  });

  it('a repeated attribute keeps the first and discards the rest (§3(g))', () => {
    const m = decodeMessage(update(`${GOOD} 40 01 01 02`, NLRI), CTX4) as UpdateMessage;
    expect(m.attributes.origin).toBe(0);
    expect(m.attrErrors).toEqual([{ type: 1, action: 'attribute-discard', reason: 'repeated ORIGIN' }]);
    expect(m.treatAsWithdraw).toBeUndefined();
  });

  it('AS4_PATH with wrong flags is discarded, not withdrawn (RFC 6793 §6)', () => {
    const m = decodeMessage(update('40 02 04 02 01 5ba0  40 11 06 02 01 fa56ea00'), CTX2) as UpdateMessage;
    expect(m.attributes.asPath).toEqual([{ type: 2, asns: [23456] }]);
    expect(m.attrErrors).toEqual([{ type: 17, action: 'attribute-discard', reason: expect.any(String) }]);
  });
});

describe('session reset (RFC 4271 §6.3 as kept by RFC 7606)', () => {
  it.each([
    ['withdrawn routes length overrunning the message', msg(2, '0010 0000'), 'update-malformed-lengths', 1, ''],
    ['total attribute length overrunning the message', msg(2, '0000 0010 400101'), 'update-malformed-lengths', 1, ''],
    ['an NLRI prefix length of 33 (§5.3)', update(GOOD, '21 0a000001 00'), 'update-invalid-network-field', 10, ''],
    ['an NLRI prefix overrunning the message', update(GOOD, '18 0a00'), 'update-invalid-network-field', 10, ''],
    ['a withdrawn prefix length of 40', update('', '', '28 0a000001 00'), 'update-invalid-network-field', 10, ''],
    ['an unrecognized well-known attribute', update(`${GOOD} 40 61 02 abcd`, NLRI), 'update-unrecognized-well-known', 2, '40 61 02 abcd'],
    ['MP_REACH_NLRI twice (§3(g))', update('80 0f 03 000201  80 0f 03 000201'), 'update-malformed-attribute-list', 1, ''],
    ['MP_REACH_NLRI with a next hop length of 5', update('80 0e 0a 0002 01 05 0000000000 00'), 'update-malformed-mp-attribute', 9, '80 0e 0a 0002 01 05 0000000000 00'],
    ['MP_REACH_NLRI next hop overrunning it', update('80 0e 06 0002 01 10 0000'), 'update-malformed-mp-attribute', 9, '80 0e 06 0002 01 10 0000'],
    ['MP_REACH_NLRI shorter than 5', update('80 0e 03 000201'), 'update-malformed-mp-attribute', 9, '80 0e 03 000201'],
    ['MP_UNREACH_NLRI with an IPv6 prefix of 129', update('80 0f 05 0002 01 81 20'), 'update-malformed-mp-attribute', 9, '80 0f 05 0002 01 81 20'],
    ['MP_UNREACH_NLRI shorter than 3', update('80 0f 02 0002'), 'update-malformed-mp-attribute', 9, '80 0f 02 0002'],
    ['MP_REACH_NLRI overrunning the attribute list (§7.11)', update('80 0e 20 0002 01'), 'update-malformed-attribute-list', 1, ''],
  ])('%s', (_n, b, code, sub, data) => {
    const e = decodeErr(b);
    expect(e).toMatchObject({ code, notifyCode: 3, notifySubcode: sub });
    expect(e.resetsSession).toBe(true);
    expect(e.notifyData).toEqual(hex(data));
  });

  it('an ADD-PATH prefix cut inside its path identifier', () => {
    expect(decodeErr(update(GOOD, '00000001 18 0a0001 0000'), CTX_ADDPATH)).toMatchObject({ code: 'update-invalid-network-field', notifySubcode: 10 });
  });

  it('is a typed error whose text names the NOTIFICATION', () => {
    const e = decodeErr(update(GOOD, '21 0a000001 00'));
    expect(e.notificationText).toBe('UPDATE message error: Invalid network field');
    expect(e.name).toBe('BgpWireError');
  });
});
