// Cuts whole BGP messages out of a TCP byte stream (RFC 4271 §4.1). It checks what it must to find
// message boundaries — the all-ones marker and a length within 19..4096 (65535 once extended
// messages are negotiated, RFC 8654) — and nothing else; decoding is decodeMessage's job. After an
// error the stream is unsynchronised: the framer keeps throwing the same error and the session must
// close. Messages returned are views of the pushed chunks or fresh copies; the framer never reuses
// memory, so callers must not reuse a chunk after pushing it.
import { badLength, BgpWireError } from './errors.js';
import { ERR, HEADER_ERR } from './constants.js';
import { HEADER_LEN, MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN } from './types.js';

export interface FramerOptions {
  /** Accept frames up to 65535 bytes (RFC 8654); can be switched on after the OPEN exchange. */
  extendedMessage: boolean;
}

/** Checks the marker and length of a header at buf[off]; returns the message length. */
export function checkHeader(buf: Buffer, off: number, maxLen: number): number {
  for (let i = 0; i < 16; i++) {
    if (buf[off + i] !== 0xff) {
      throw new BgpWireError('bad-marker', 'marker is not all ones', ERR.MESSAGE_HEADER, HEADER_ERR.CONNECTION_NOT_SYNCHRONIZED);
    }
  }
  const len = (buf[off + 16] << 8) | buf[off + 17];
  if (len < HEADER_LEN || len > maxLen) throw badLength(len, `outside ${HEADER_LEN}..${maxLen}`);
  return len;
}

export class Framer {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #maxLen: number;
  #error: BgpWireError | null = null;

  constructor(opts: FramerOptions = { extendedMessage: false }) {
    this.#maxLen = opts.extendedMessage ? MAX_EXTENDED_MESSAGE_LEN : MAX_MESSAGE_LEN;
  }

  /** Switch the frame limit after capability negotiation. */
  setExtendedMessage(on: boolean): void {
    this.#maxLen = on ? MAX_EXTENDED_MESSAGE_LEN : MAX_MESSAGE_LEN;
  }

  /** Bytes received but not yet part of a whole message. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Feed bytes; returns the whole messages now available (header included), in order. */
  push(chunk: Buffer): Buffer[] {
    if (this.#error) throw this.#error;
    const out: Buffer[] = [];
    if (chunk.length === 0) return out;
    let buf: Buffer;
    if (this.#buffered === 0) {
      buf = chunk;
    } else {
      this.#chunks.push(chunk);
      buf = Buffer.concat(this.#chunks, this.#buffered + chunk.length);
      this.#chunks = [];
      this.#buffered = 0;
    }
    let off = 0;
    try {
      while (buf.length - off >= HEADER_LEN) {
        const len = checkHeader(buf, off, this.#maxLen);
        if (buf.length - off < len) break;
        out.push(buf.subarray(off, off + len));
        off += len;
      }
      // A partial header can already prove a wrong marker: fail early rather than wait for bytes.
      const rest = buf.length - off;
      for (let i = 0; i < rest && i < 16; i++) {
        if (buf[off + i] !== 0xff) checkHeader(buf, off, this.#maxLen);
      }
    } catch (e) {
      this.#error = e as BgpWireError;
      throw e;
    }
    if (off < buf.length) {
      // Keep the tail as its own copy so the retained bytes never pin a large chunk.
      const tail = Buffer.from(buf.subarray(off));
      this.#chunks.push(tail);
      this.#buffered = tail.length;
    }
    return out;
  }
}
