// Header checks (RFC 4271 §6.1), KEEPALIVE, NOTIFICATION with RFC 9003 shutdown communication,
// ROUTE-REFRESH with RFC 7313 subtypes, and End-of-RIB for IPv4 and IPv6 (RFC 4724 §2).
import { describe, expect, it } from 'vitest';
import {
  BgpWireError,
  CEASE,
  decodeMessage,
  encodeMessage,
  endOfRib,
  ERR,
  isEndOfRib,
  notificationName,
  shutdownNotification,
  type NotificationMessage,
  type UpdateMessage,
} from '../../bgpd/wire/index.js';
import { CTX4, CTX_EXT, hex, msg } from './bytes.js';

function decodeErr(b: Buffer, ctx = CTX4): BgpWireError {
  try {
    decodeMessage(b, ctx);
  } catch (e) {
    if (e instanceof BgpWireError) return e;
    throw e;
  }
  throw new Error('decoded without error');
}

describe('header', () => {
  it('KEEPALIVE is exactly the 19-octet header (RFC 4271 §4.4)', () => {
    const b = encodeMessage({ type: 'keepalive' }, CTX4);
    expect(b).toEqual(hex('ffffffffffffffffffffffffffffffff 0013 04'));
    expect(decodeMessage(b, CTX4)).toEqual({ type: 'keepalive' });
  });

  it.each([
    ['KEEPALIVE with a body', msg(4, '00'), 20],
    ['OPEN shorter than 29', msg(1, '04 fde9 00b4 0a00'), 26],
    ['UPDATE shorter than 23', msg(2, '0000'), 21],
    ['NOTIFICATION shorter than 21', msg(3, '06'), 20],
  ])('%s is Bad Message Length with the length as data', (_n, b, len) => {
    const e = decodeErr(b);
    // RFC 4271 §6.4: a broken NOTIFICATION gets its own code, since it must not be answered.
    expect(e).toMatchObject({ code: b[18] === 3 ? 'notification-malformed' : 'bad-length', notifyCode: 1, notifySubcode: 2 });
    expect(e.notifyData).toEqual(Buffer.from([len >> 8, len & 255]));
  });

  it('a length field that disagrees with the frame is Bad Message Length', () => {
    const b = msg(4, '');
    expect(decodeErr(Buffer.concat([b, Buffer.from([0])]))).toMatchObject({ code: 'bad-length' });
  });

  it('an unknown type is Bad Message Type with the type as data', () => {
    const e = decodeErr(msg(9, ''));
    expect(e).toMatchObject({ code: 'bad-type', notifyCode: 1, notifySubcode: 3 });
    expect(e.notifyData).toEqual(Buffer.from([9]));
  });

  it('a bad marker is Connection Not Synchronized', () => {
    const b = msg(4, '');
    b[0] = 0xfe;
    expect(decodeErr(b)).toMatchObject({ code: 'bad-marker', notifyCode: 1, notifySubcode: 1 });
  });

  it('UPDATEs above 4096 octets need extended messages; OPEN never gets them (RFC 8654 §3)', () => {
    const bigUpdate = msg(2, Buffer.concat([hex('0000'), Buffer.from([0x13, 0x88]), Buffer.alloc(5000, 0)]).subarray(0, 5000));
    expect(decodeErr(bigUpdate)).toMatchObject({ code: 'bad-length' });
    const bigOpen = msg(1, Buffer.alloc(5000, 0));
    expect(decodeErr(bigOpen, CTX_EXT)).toMatchObject({ code: 'bad-length' });
  });

  it('decodes a 65535-octet UPDATE on an extended-message session', () => {
    // Fill 65535 − 23 − attributes octets with /24s (4 octets), then /8 and /0 for the remainder.
    const attrs = hex('40 01 01 00  40 02 00  40 03 04 0a000001');
    let left = 65535 - 23 - attrs.length;
    const parts: Buffer[] = [];
    for (; left >= 4; left -= 4) parts.push(hex('18 0a0000'));
    if (left >= 2) parts.push(hex('08 0a'));
    if (left % 2 === 1) parts.push(hex('00'));
    const body = Buffer.concat([hex('0000'), Buffer.from([0, attrs.length]), attrs, ...parts]);
    const b = msg(2, body);
    expect(b.length).toBe(65535);
    const m = decodeMessage(b, CTX_EXT) as UpdateMessage;
    expect(m.nlri.count).toBeGreaterThan(16000);
    expect(m.treatAsWithdraw).toBeUndefined();
    expect(decodeErr(b)).toMatchObject({ code: 'bad-length' });
  });
});

describe('NOTIFICATION', () => {
  it('decodes code, subcode and data (RFC 4271 §4.5)', () => {
    const m = decodeMessage(msg(3, '03 0b'), CTX4);
    expect(m).toEqual({ type: 'notification', code: 3, subcode: 11, data: Buffer.alloc(0) });
  });

  it('reads an RFC 9003 shutdown communication from Cease/Administrative Shutdown', () => {
    // Length 12, then UTF-8 "maintenance" + U+2026 is 11 + 3 octets: use plain ASCII for a clear vector.
    const b = msg(3, '06 02 0b 6d61696e74656e616e6365');
    const m = decodeMessage(b, CTX4) as NotificationMessage;
    expect(m).toEqual({ type: 'notification', code: 6, subcode: 2, data: hex('0b 6d61696e74656e616e6365'), shutdownMessage: 'maintenance' });
    expect(encodeMessage(m, CTX4)).toEqual(b);
  });

  it('carries the RFC 9003 §5 example communication byte for byte', () => {
    const text = '[TICKET-1-1438367390] software upgrade; back in 2 hours';
    const b = encodeMessage(shutdownNotification(2, text), CTX4);
    // Error code 6, subcode 2, length 55, then the ASCII text, not NUL terminated.
    expect(b.subarray(19)).toEqual(Buffer.concat([hex('06 02 37'), Buffer.from(text, 'ascii')]));
    expect((decodeMessage(b, CTX4) as NotificationMessage).shutdownMessage).toBe(text);
  });

  it('cuts at 128 octets for peers that may only know RFC 8203', () => {
    const n = shutdownNotification(2, 'x'.repeat(200), 128);
    expect(n.data.length).toBe(129);
    expect(n.data[0]).toBe(128);
  });

  it('reads it from Administrative Reset too, in UTF-8', () => {
    const n = shutdownNotification(4, 'redémarrage ⚙');
    const m = decodeMessage(encodeMessage(n, CTX4), CTX4) as NotificationMessage;
    expect(m.subcode).toBe(CEASE.ADMINISTRATIVE_RESET);
    expect(m.shutdownMessage).toBe('redémarrage ⚙');
    expect(m.data[0]).toBe(Buffer.byteLength('redémarrage ⚙'));
  });

  it('cuts a long message at 255 octets without splitting a character', () => {
    const n = shutdownNotification(2, 'é'.repeat(200));
    expect(n.data[0]).toBe(254);
    expect(n.shutdownMessage).toBe('é'.repeat(127));
  });

  it.each([
    ['length beyond the data', '06 02 05 6162'],
    ['invalid UTF-8', '06 02 02 c328'],
    ['zero length', '06 02 00'],
    ['a different subcode', '06 03 02 6162'],
  ])('leaves shutdownMessage unset for %s, keeping the data', (_n, h) => {
    const m = decodeMessage(msg(3, h), CTX4) as NotificationMessage;
    expect(m.shutdownMessage).toBeUndefined();
    expect(m.data).toEqual(hex(h).subarray(2));
  });

  it('builds RFC 9003 data from shutdownMessage when data is empty', () => {
    const b = encodeMessage({ type: 'notification', code: 6, subcode: 2, data: Buffer.alloc(0), shutdownMessage: 'bye' }, CTX4);
    expect(b).toEqual(msg(3, '06 02 03 627965'));
  });

  it('names every code and subcode', () => {
    expect(notificationName(ERR.CEASE, CEASE.ADMINISTRATIVE_SHUTDOWN)).toBe('Cease: Administrative shutdown');
    expect(notificationName(3, 11)).toBe('UPDATE message error: Malformed AS_PATH');
    expect(notificationName(4, 0)).toBe('Hold timer expired');
    expect(notificationName(42, 1)).toBe('Error code 42 (subcode 1)');
  });
});

describe('ROUTE-REFRESH', () => {
  it.each([
    ['normal IPv4 unicast (RFC 2918 §3)', '0001 00 01', { afi: 1, safi: 1, subtype: 0 }],
    ['BoRR IPv6 unicast (RFC 7313 §3)', '0002 01 01', { afi: 2, safi: 1, subtype: 1 }],
    ['EoRR IPv4 unicast', '0001 02 01', { afi: 1, safi: 1, subtype: 2 }],
  ])('%s', (_n, h, fields) => {
    const b = msg(5, h);
    const m = decodeMessage(b, CTX4);
    expect(m).toEqual({ type: 'route-refresh', ...fields });
    expect(encodeMessage(m, CTX4)).toEqual(b);
  });

  it('a wrong length is ROUTE-REFRESH Message Error / Invalid Message Length with the message as data (RFC 7313 §5)', () => {
    const b = msg(5, '0001 00 01 00');
    const e = decodeErr(b);
    expect(e).toMatchObject({ code: 'route-refresh-bad-length', notifyCode: 7, notifySubcode: 1 });
    expect(e.notifyData).toEqual(b);
    expect(decodeErr(msg(5, '00'))).toMatchObject({ code: 'route-refresh-bad-length' });
  });

  it('an unknown subtype or family is to be ignored: an error without NOTIFICATION', () => {
    for (const h of ['0001 03 01', '0001 ff 01', '0019 00 46']) {
      const e = decodeErr(msg(5, h));
      expect(e.code).toBe('route-refresh-unsupported');
      expect(e.resetsSession).toBe(false);
    }
  });
});

describe('End-of-RIB', () => {
  it('IPv4 unicast is the empty UPDATE (RFC 4724 §2)', () => {
    const b = encodeMessage(endOfRib(1), CTX4);
    expect(b).toEqual(msg(2, '0000 0000'));
    const m = decodeMessage(b, CTX4) as UpdateMessage;
    expect(isEndOfRib(m)).toEqual({ afi: 1, safi: 1 });
  });

  it('IPv6 unicast is an UPDATE with only an empty MP_UNREACH_NLRI', () => {
    const b = encodeMessage(endOfRib(2), CTX4);
    expect(b).toEqual(msg(2, '0000 0006 800f03 0002 01'));
    expect(isEndOfRib(decodeMessage(b, CTX4) as UpdateMessage)).toEqual({ afi: 2, safi: 1 });
    // IPv4 over MP_UNREACH (as GoBGP may send it for IPv4 when MP is in use) is also recognised.
    expect(isEndOfRib(decodeMessage(msg(2, '0000 0006 800f03 0001 01'), CTX4) as UpdateMessage)).toEqual({ afi: 1, safi: 1 });
  });

  it('ordinary UPDATEs are not End-of-RIB', () => {
    const withdrawal = decodeMessage(msg(2, '0002 080a 0000'), CTX4) as UpdateMessage;
    expect(isEndOfRib(withdrawal)).toBeNull();
    const mpWithdrawal = decodeMessage(msg(2, '0000 000b 800f08 0002 01 20 20010db8'), CTX4) as UpdateMessage;
    expect(isEndOfRib(mpWithdrawal)).toBeNull();
    const attrsOnly = decodeMessage(msg(2, '0000 0004 40010100'), CTX4) as UpdateMessage;
    expect(isEndOfRib(attrsOnly)).toBeNull();
  });
});
