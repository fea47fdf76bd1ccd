// Whole messages: the 19-octet header (RFC 4271 §4.1) around each body coder. decodeMessage takes
// exactly one message (as cut by the Framer) and the session's CodecContext; it returns a typed
// message or throws a BgpWireError, and nothing else. encodeMessage is its inverse.
import { ERR, HEADER_ERR } from './constants.js';
import { badLength, BgpWireError, encodeError } from './errors.js';
import { checkHeader } from './framer.js';
import { decodeNotification, encodeNotificationBody } from './notification.js';
import { decodeOpen, encodeOpenBody } from './open.js';
import { decodeRouteRefresh, encodeRouteRefreshBody } from './route-refresh.js';
import { HEADER_LEN, MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN, MSG, type CodecContext, type Message } from './types.js';
import { decodeUpdate, encodeUpdateBody, type DecodeOptions } from './update.js';

/** Smallest legal length per message type (RFC 4271 §4.2-§4.5, RFC 2918 §3). */
const MIN_LEN: Record<number, number> = { 1: 29, 2: 23, 3: 21, 4: 19, 5: 23 };

/** Largest frame for a message type: OPEN and KEEPALIVE never use extended messages (RFC 8654 §3). */
export function maxMessageLength(type: number, ctx: CodecContext): number {
  if (type === MSG.OPEN || type === MSG.KEEPALIVE || !ctx.extendedMessage) return MAX_MESSAGE_LEN;
  return MAX_EXTENDED_MESSAGE_LEN;
}

/** Decode one whole message (header included). */
export function decodeMessage(buf: Buffer, ctx: CodecContext, opts: DecodeOptions = {}): Message {
  if (buf.length < HEADER_LEN) throw badLength(buf.length, 'shorter than a header');
  const len = checkHeader(buf, 0, MAX_EXTENDED_MESSAGE_LEN);
  if (len !== buf.length) throw badLength(len, `header says ${len}, ${buf.length} octets given`);
  const type = buf[18];
  const min = MIN_LEN[type];
  if (min === undefined) {
    throw new BgpWireError('bad-type', `message type ${type}`, ERR.MESSAGE_HEADER, HEADER_ERR.BAD_MESSAGE_TYPE, Buffer.from([type]));
  }
  // RFC 4271 §6.1: a length wrong for the type is a Bad Message Length. ROUTE-REFRESH lengths are
  // RFC 7313 §5's own error, raised by its decoder.
  if (type === MSG.NOTIFICATION && len < min) {
    // RFC 4271 §6.4: an error in a NOTIFICATION cannot be reported back; the code tells the session.
    const e = badLength(len, 'NOTIFICATION shorter than 21 octets');
    throw new BgpWireError('notification-malformed', e.message, e.notifyCode, e.notifySubcode, e.notifyData);
  }
  if (type !== MSG.ROUTE_REFRESH && (len < min || (type === MSG.KEEPALIVE && len !== HEADER_LEN))) {
    throw badLength(len, `too short for message type ${type}`);
  }
  if (len > maxMessageLength(type, ctx)) throw badLength(len, `too long for message type ${type}`);
  switch (type) {
    case MSG.OPEN:
      return decodeOpen(buf, HEADER_LEN, len);
    case MSG.UPDATE:
      return decodeUpdate(buf, HEADER_LEN, len, ctx, opts);
    case MSG.NOTIFICATION:
      return decodeNotification(buf, HEADER_LEN, len);
    case MSG.KEEPALIVE:
      return { type: 'keepalive' };
    default:
      return decodeRouteRefresh(buf, HEADER_LEN, len);
  }
}

/** Header + body, with the length checked against the limit for the type. */
export function frame(type: number, body: Buffer, ctx: CodecContext): Buffer {
  const len = HEADER_LEN + body.length;
  const max = maxMessageLength(type, ctx);
  if (len > max) throw encodeError(`message of ${len} octets exceeds ${max}`, true);
  const b = Buffer.allocUnsafe(len);
  b.fill(0xff, 0, 16);
  b.writeUInt16BE(len, 16);
  b[18] = type;
  body.copy(b, HEADER_LEN);
  return b;
}

const KEEPALIVE_BYTES = Buffer.from([...new Array<number>(16).fill(0xff), 0, 19, MSG.KEEPALIVE]);

/** Encode one message. Throws BgpWireError ('encode-invalid' / 'encode-too-long') on impossible input. */
export function encodeMessage(msg: Message, ctx: CodecContext): Buffer {
  switch (msg.type) {
    case 'open':
      return frame(MSG.OPEN, encodeOpenBody(msg), ctx);
    case 'update':
      return frame(MSG.UPDATE, encodeUpdateBody(msg, ctx), ctx);
    case 'notification':
      return frame(MSG.NOTIFICATION, encodeNotificationBody(msg), ctx);
    case 'keepalive':
      return Buffer.from(KEEPALIVE_BYTES);
    case 'route-refresh':
      return frame(MSG.ROUTE_REFRESH, encodeRouteRefreshBody(msg), ctx);
    default:
      throw encodeError(`message type ${String((msg as { type: unknown }).type)}`);
  }
}
