// Cuts whole BGP messages out of a TCP byte stream (RFC 4271 §4.1). It checks what it must to find
// message boundaries — the all-ones marker and a length within 19..4096 (65535 once extended
// messages are negotiated, RFC 8654) — and nothing else; decoding is decodeMessage's job. After an
// error the stream is unsynchronised: the framer keeps throwing the same error and the session must
// close. Messages returned are views of the pushed chunks or fresh copies, and pushTo hands each
// message to a sink as (buffer, offset, length) instead, with no view made per message. The framer
// keeps no reference to a chunk once the push returns (what it holds of an unfinished message is its
// own copy), so a caller may read every chunk into one reused buffer, as long as nothing the sink
// was given is kept past the push.
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

/** Takes one whole message buf[off, off + len) (header included); false stops the push. */
export type FrameSink = (buf: Buffer, off: number, len: number) => boolean;

export class Framer {
  /** Bytes of an incomplete message, kept as received until the message is whole. */
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Length of the incomplete message once its header has arrived, else 0. */
  #need = 0;
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
    const out: Buffer[] = [];
    this.pushTo(chunk, (buf, off, len) => {
      out.push(off === 0 && len === buf.length ? buf : buf.subarray(off, off + len));
      return true;
    });
    return out;
  }

  /** The framing error that unsynchronised the stream, if any. */
  get error(): BgpWireError | null {
    return this.#error;
  }

  /**
   * Feed bytes; each whole message goes to `sink` in order, until it answers false (the rest of the
   * chunk is then dropped: the caller is done with this stream). A framing error is thrown after the
   * messages before it were delivered, and again on every later push; what the sink throws passes
   * through and leaves the framer as it was.
   */
  pushTo(chunk: Buffer, sink: FrameSink): void {
    if (this.#error) throw this.#error;
    if (chunk.length === 0) return;
    let off = 0;
    if (this.#buffered > 0) {
      // Finish the pending message from the front of the chunk; only its own bytes are joined, never
      // the rest of the chunk (and nothing is joined on every push: a large message arriving in tiny
      // segments would be copied once per segment, quadratic work a peer could force).
      this.#guard(() => checkMarkerPrefix(chunk, this.#buffered));
      if (this.#need === 0) {
        const want = HEADER_LEN - this.#buffered;
        if (chunk.length < want) {
          this.#chunks.push(Buffer.from(chunk));
          this.#buffered += chunk.length;
          return;
        }
        this.#chunks.push(chunk.subarray(0, want));
        const head = Buffer.concat(this.#chunks, HEADER_LEN);
        this.#need = this.#header(head, 0);
        this.#chunks = [head];
        this.#buffered = HEADER_LEN;
        off = want;
      }
      const rest = this.#need - this.#buffered;
      if (chunk.length - off < rest) {
        this.#chunks.push(Buffer.from(off === 0 ? chunk : chunk.subarray(off)));
        this.#buffered += chunk.length - off;
        return;
      }
      this.#chunks.push(chunk.subarray(off, off + rest));
      const whole = Buffer.concat(this.#chunks, this.#need);
      off += rest;
      this.#chunks = [];
      this.#buffered = 0;
      this.#need = 0;
      if (!sink(whole, 0, whole.length)) return;
    }
    const buf = chunk;
    while (buf.length - off >= HEADER_LEN) {
      const len = this.#header(buf, off);
      if (buf.length - off < len) {
        this.#need = len;
        break;
      }
      const at = off;
      off += len;
      if (!sink(buf, at, len)) return;
    }
    if (off < buf.length) {
      // A partial header can already prove a wrong marker: fail early rather than wait for bytes.
      this.#guard(() => checkMarkerPrefix(buf.subarray(off, off + 16), 0));
      // Keep the tail as its own copy: the caller's chunk is not ours to hold on to.
      const tail = Buffer.from(buf.subarray(off));
      this.#chunks = [tail];
      this.#buffered = tail.length;
    }
  }

  /** checkHeader, remembering its error: the stream stays unsynchronised from then on. */
  #header(buf: Buffer, off: number): number {
    try {
      return checkHeader(buf, off, this.#maxLen);
    } catch (e) {
      this.#error = e as BgpWireError;
      throw e;
    }
  }

  #guard(check: () => void): void {
    try {
      check();
    } catch (e) {
      this.#error = e as BgpWireError;
      throw e;
    }
  }
}

/** Check the marker octets in `bytes`, which start at offset `at` of a message. */
function checkMarkerPrefix(bytes: Buffer, at: number): void {
  for (let i = 0; at + i < 16 && i < bytes.length; i++) {
    if (bytes[i] !== 0xff) {
      throw new BgpWireError('bad-marker', 'marker is not all ones', ERR.MESSAGE_HEADER, HEADER_ERR.CONNECTION_NOT_SYNCHRONIZED);
    }
  }
}
