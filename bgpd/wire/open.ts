// OPEN message body (RFC 4271 §4.2) with optional parameters in the classic one-octet form or the
// extended form of RFC 9072 §2 (used automatically when the parameters do not fit 255 octets). The
// checks here are the ones a codec can make alone (version, hold time 1-2, zero identifier,
// parameter framing); AS and identifier comparisons with the configuration belong to the session.
import { readU16, readU32 } from './addr.js';
import { decodeCapabilities, encodeCapability } from './capabilities.js';
import { ERR, OPEN_ERR, OPT_PARAM } from './constants.js';
import { BgpWireError, encodeError } from './errors.js';
import type { Capability, OpenMessage } from './types.js';

/** Length of the fixed OPEN fields after the header. */
export const OPEN_FIXED_LEN = 10;

function openError(code: 'open-malformed-params' | 'open-unsupported-version' | 'open-bad-bgp-id' | 'open-unacceptable-hold-time', sub: number, why: string, data?: Buffer): BgpWireError {
  return new BgpWireError(code, why, ERR.OPEN, sub, data);
}

/** Decode an OPEN body buf[start, end). */
export function decodeOpen(buf: Buffer, start: number, end: number): OpenMessage {
  const b = buf.subarray(start, end);
  if (b.length < OPEN_FIXED_LEN) throw openError('open-malformed-params', OPEN_ERR.UNSPECIFIC, 'OPEN shorter than its fixed fields');
  const version = b[0];
  // RFC 4271 §6.2: data is the largest locally supported version number, 2 octets.
  if (version !== 4) throw openError('open-unsupported-version', OPEN_ERR.UNSUPPORTED_VERSION, `BGP version ${version}`, Buffer.from([0, 4]));
  const myAs = readU16(b, 1);
  const holdTime = readU16(b, 3);
  if (holdTime === 1 || holdTime === 2) throw openError('open-unacceptable-hold-time', OPEN_ERR.UNACCEPTABLE_HOLD_TIME, `hold time ${holdTime}`);
  const bgpId = readU32(b, 5);
  // RFC 6286 §2.2: the identifier is any non-zero 4-octet value.
  if (bgpId === 0) throw openError('open-bad-bgp-id', OPEN_ERR.BAD_BGP_ID, 'BGP identifier 0');
  let optLen = b[9];
  let p = 10;
  let extended = false;
  // RFC 9072 §2: Non-Ext OP Len 255 followed by Non-Ext OP Type 255 marks the extended form.
  if (optLen === 255 && b.length > 10 && b[10] === OPT_PARAM.EXTENDED_LENGTH) {
    if (b.length < 13) throw openError('open-malformed-params', OPEN_ERR.UNSPECIFIC, 'truncated extended optional parameters length');
    optLen = readU16(b, 11);
    p = 13;
    extended = true;
  }
  if (p + optLen !== b.length) {
    throw openError('open-malformed-params', OPEN_ERR.UNSPECIFIC, `optional parameters length ${optLen} does not match the message`);
  }
  const capabilities: Capability[] = [];
  const otherParams: { type: number; value: Buffer }[] = [];
  const hdr = extended ? 3 : 2;
  while (p < b.length) {
    if (p + hdr > b.length) throw openError('open-malformed-params', OPEN_ERR.UNSPECIFIC, 'truncated optional parameter header');
    const type = b[p];
    const len = extended ? readU16(b, p + 1) : b[p + 1];
    p += hdr;
    if (p + len > b.length) throw openError('open-malformed-params', OPEN_ERR.UNSPECIFIC, `optional parameter ${type} overruns the message`);
    const v = b.subarray(p, p + len);
    if (type === OPT_PARAM.CAPABILITIES) decodeCapabilities(v, capabilities);
    else otherParams.push({ type, value: Buffer.from(v) });
    p += len;
  }
  const msg: OpenMessage = { type: 'open', version, myAs, holdTime, bgpId, capabilities };
  if (otherParams.length) msg.otherParams = otherParams;
  return msg;
}

/** Encode an OPEN body (without header). */
export function encodeOpenBody(m: OpenMessage): Buffer {
  const u16ok = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffff;
  if (!u16ok(m.myAs)) throw encodeError(`My Autonomous System ${m.myAs} does not fit 2 octets (send AS_TRANS)`);
  if (!u16ok(m.holdTime)) throw encodeError(`hold time ${m.holdTime}`);
  if (!(Number.isInteger(m.version) && m.version >= 0 && m.version <= 255)) throw encodeError(`version ${m.version}`);
  const params: { type: number; value: Buffer }[] = [];
  if (m.capabilities.length) params.push({ type: OPT_PARAM.CAPABILITIES, value: Buffer.concat(m.capabilities.map(encodeCapability)) });
  for (const o of m.otherParams ?? []) params.push(o);
  const classicLen = params.reduce((s, x) => s + 2 + x.value.length, 0);
  const extended = classicLen > 255 || params.some((x) => x.value.length > 255);
  const fixed = Buffer.alloc(OPEN_FIXED_LEN);
  fixed[0] = m.version;
  fixed.writeUInt16BE(m.myAs, 1);
  fixed.writeUInt16BE(m.holdTime, 3);
  fixed.writeUInt32BE(m.bgpId >>> 0, 5);
  const parts: Buffer[] = [fixed];
  if (!extended) {
    fixed[9] = classicLen;
    for (const x of params) parts.push(Buffer.from([x.type, x.value.length]), x.value);
  } else {
    const extLen = params.reduce((s, x) => s + 3 + x.value.length, 0);
    if (extLen > 0xffff) throw encodeError('optional parameters exceed 65535 octets', true);
    fixed[9] = 255;
    parts.push(Buffer.from([OPT_PARAM.EXTENDED_LENGTH, extLen >> 8, extLen & 255]));
    for (const x of params) parts.push(Buffer.from([x.type, x.value.length >> 8, x.value.length & 255]), x.value);
  }
  return Buffer.concat(parts);
}
