// NOTIFICATION message body (RFC 4271 §4.5) and the shutdown communication carried in Cease /
// Administrative Shutdown and Administrative Reset (RFC 9003 §2: a length octet, then UTF-8).
import { CEASE, ERR } from './constants.js';
import { encodeError } from './errors.js';
import type { NotificationMessage } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function carriesShutdown(code: number, subcode: number): boolean {
  return code === ERR.CEASE && (subcode === CEASE.ADMINISTRATIVE_SHUTDOWN || subcode === CEASE.ADMINISTRATIVE_RESET);
}

/** The RFC 9003 message in `data`, or undefined when absent, empty or not well formed. */
export function decodeShutdownCommunication(data: Buffer): string | undefined {
  if (data.length < 1) return undefined;
  const len = data[0];
  if (len === 0 || 1 + len > data.length) return undefined;
  try {
    return utf8.decode(data.subarray(1, 1 + len));
  } catch {
    return undefined; // invalid UTF-8: RFC 9003 §2 lets the receiver log the raw bytes instead
  }
}

/** Decode a NOTIFICATION body buf[start, end) (the header guaranteed at least 2 octets). */
export function decodeNotification(buf: Buffer, start: number, end: number): NotificationMessage {
  const code = buf[start];
  const subcode = buf[start + 1];
  const data = Buffer.from(buf.subarray(start + 2, end));
  const msg: NotificationMessage = { type: 'notification', code, subcode, data };
  if (carriesShutdown(code, subcode)) {
    const s = decodeShutdownCommunication(data);
    if (s !== undefined) msg.shutdownMessage = s;
  }
  return msg;
}

/**
 * RFC 9003 data field for a shutdown communication, cut at `maxOctets` (255; RFC 9003 §2 asks for
 * at most 128 when the peer may only know RFC 8203) on a character boundary.
 */
export function shutdownData(message: string, maxOctets = 255): Buffer {
  const max = Math.max(0, Math.min(255, Math.floor(maxOctets)));
  let b = Buffer.from(message, 'utf8');
  if (b.length > max) {
    let n = max;
    while (n > 0 && (b[n] & 0xc0) === 0x80) n--; // do not split a UTF-8 sequence
    b = b.subarray(0, n);
  }
  return Buffer.concat([Buffer.from([b.length]), b]);
}

/** Cease with a shutdown communication (RFC 9003): subcode 2 (shutdown) or 4 (reset). */
export function shutdownNotification(subcode: 2 | 4, message: string, maxOctets = 255): NotificationMessage {
  const data = shutdownData(message, maxOctets);
  const msg: NotificationMessage = { type: 'notification', code: ERR.CEASE, subcode, data };
  const s = decodeShutdownCommunication(data);
  if (s !== undefined) msg.shutdownMessage = s;
  return msg;
}

/** Encode a NOTIFICATION body. `data` wins; an empty data with shutdownMessage set gets RFC 9003 data. */
export function encodeNotificationBody(m: NotificationMessage): Buffer {
  const byte = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 255;
  if (!byte(m.code) || !byte(m.subcode)) throw encodeError(`NOTIFICATION code ${m.code}/${m.subcode}`);
  let data = m.data;
  if (data.length === 0 && m.shutdownMessage !== undefined && carriesShutdown(m.code, m.subcode)) data = shutdownData(m.shutdownMessage);
  return Buffer.concat([Buffer.from([m.code, m.subcode]), data]);
}
