// The one error class of the codec. Every malformation the decoder finds becomes a BgpWireError with
// a stable `code` (for programs and tests) and the NOTIFICATION code/subcode/data that RFC 4271 §6
// prescribes, so the session can answer the peer without knowing how decoding works. Errors that
// RFC 7606 downgrades (treat-as-withdraw, attribute-discard) are NOT thrown: they are values in the
// decoded UpdateMessage. A notifyCode of 0 means the RFC says to ignore the message silently.
import { ERR, HEADER_ERR, UPDATE_ERR, notificationName } from './constants.js';

export type WireErrorCode =
  // framing and header (RFC 4271 §6.1)
  | 'bad-marker'
  | 'bad-length'
  | 'bad-type'
  // OPEN (RFC 4271 §6.2, RFC 5492, RFC 9072)
  | 'open-unsupported-version'
  | 'open-bad-bgp-id'
  | 'open-unacceptable-hold-time'
  | 'open-malformed-params'
  | 'open-malformed-capability'
  // UPDATE (RFC 4271 §6.3, RFC 7606)
  | 'update-malformed-lengths'
  | 'update-malformed-attribute-list'
  | 'update-unrecognized-well-known'
  | 'update-malformed-mp-attribute'
  | 'update-invalid-network-field'
  // NOTIFICATION (RFC 4271 §6.4: never answered with a NOTIFICATION; the session just closes),
  // ROUTE-REFRESH
  | 'notification-malformed'
  | 'route-refresh-bad-length'
  | 'route-refresh-unsupported' // RFC 2918 §4 / RFC 7313 §5: ignore
  // encoder refusing input it cannot put on the wire
  | 'encode-invalid'
  | 'encode-too-long';

export class BgpWireError extends Error {
  readonly code: WireErrorCode;
  /** NOTIFICATION error code to send, 0 when the message is to be ignored without NOTIFICATION. */
  readonly notifyCode: number;
  readonly notifySubcode: number;
  /** NOTIFICATION data field (RFC 4271 §6: e.g. the offending attribute, the bad length). */
  readonly notifyData: Buffer;

  constructor(code: WireErrorCode, message: string, notifyCode = 0, notifySubcode = 0, data?: Buffer) {
    super(message);
    this.name = 'BgpWireError';
    this.code = code;
    this.notifyCode = notifyCode;
    this.notifySubcode = notifySubcode;
    this.notifyData = data ? Buffer.from(data) : Buffer.alloc(0);
  }

  /** True when RFC 4271/7313 want the session to answer with a NOTIFICATION and close. */
  get resetsSession(): boolean {
    return this.notifyCode !== 0;
  }

  /** "UPDATE message error: Malformed AS_PATH", for logs and `show protocols`. */
  get notificationText(): string {
    return notificationName(this.notifyCode, this.notifySubcode);
  }
}

export function isBgpWireError(e: unknown): e is BgpWireError {
  return e instanceof BgpWireError;
}

/** Message Header Error / Bad Message Length: data is the erroneous length field (RFC 4271 §6.1). */
export function badLength(length: number, why: string): BgpWireError {
  const data = Buffer.alloc(2);
  data.writeUInt16BE(length & 0xffff, 0);
  return new BgpWireError('bad-length', `bad message length ${length}: ${why}`, ERR.MESSAGE_HEADER, HEADER_ERR.BAD_MESSAGE_LENGTH, data);
}

/** UPDATE Message Error with the given subcode. */
export function updateError(code: WireErrorCode, subcode: number, message: string, data?: Buffer): BgpWireError {
  return new BgpWireError(code, message, ERR.UPDATE, subcode, data);
}

/** UPDATE / Malformed Attribute List (RFC 4271 §6.3), used for framing errors inside UPDATE. */
export function malformedAttributeList(code: WireErrorCode, message: string): BgpWireError {
  return updateError(code, UPDATE_ERR.MALFORMED_ATTRIBUTE_LIST, message);
}

/** An encoder refusal: the caller asked for something that cannot go on the wire. */
export function encodeError(message: string, tooLong = false): BgpWireError {
  return new BgpWireError(tooLong ? 'encode-too-long' : 'encode-invalid', message);
}
