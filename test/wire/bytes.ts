// Shared bits of the codec tests: session contexts, hex parsing and a header builder for hand-made vectors.
import type { CodecContext } from '../../bgpd/wire/index.js';

export const CTX4: CodecContext = { as4: true, addPath: { ipv4: false, ipv6: false }, extendedMessage: false };
export const CTX2: CodecContext = { as4: false, addPath: { ipv4: false, ipv6: false }, extendedMessage: false };
export const CTX_ADDPATH: CodecContext = { as4: true, addPath: { ipv4: true, ipv6: true }, extendedMessage: false };
export const CTX_EXT: CodecContext = { as4: true, addPath: { ipv4: false, ipv6: false }, extendedMessage: true };

/** Bytes from hex text; spaces, newlines and comments after '#' are ignored. */
export function hex(s: string): Buffer {
  return Buffer.from(
    s
      .split('\n')
      .map((l) => l.replace(/#.*/, ''))
      .join('')
      .replace(/\s+/g, ''),
    'hex',
  );
}

/** A whole message: marker, length, type, body. */
export function msg(type: number, body: Buffer | string): Buffer {
  const b = typeof body === 'string' ? hex(body) : body;
  const h = Buffer.alloc(19, 0xff);
  h.writeUInt16BE(19 + b.length, 16);
  h[18] = type;
  return Buffer.concat([h, b]);
}
