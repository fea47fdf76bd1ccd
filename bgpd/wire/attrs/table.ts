// The shape of a path attribute coder, and what decoding one attribute may conclude. Each attribute
// family has its own small file of coders; attrs/index.ts gathers them into ONE table keyed by type
// code (as BIRD's bgp_attr_table does) and runs it. RFC 7606 outcomes are returned as values, never
// thrown from here.
import { FLAG } from '../constants.js';
import type { Aggregator, AsPathSegment, CodecContext, PathAttributes } from '../types.js';

/** RFC 7606 §2 approaches, plus 'reset' for the errors that still end the session. */
export type VerdictAction = 'treat-as-withdraw' | 'attribute-discard' | 'reset';

export interface Verdict {
  action: VerdictAction;
  /** UPDATE Message Error subcode the error would carry (RFC 4271 §6.3). */
  subcode: number;
  reason: string;
}

/** Everything one UPDATE's attribute decoding accumulates before the RFC 6793 merge. */
export interface DecodeState {
  ctx: CodecContext;
  attrs: PathAttributes;
  /** AS4_PATH as received (2-octet sessions only), merged into asPath at the end. */
  as4Path?: AsPathSegment[];
  as4Aggregator?: Aggregator;
  /** Notes of discarded AS4_* content, kept apart from real errors until the merge decides. */
  notes: { type: number; reason: string }[];
}

export interface AttrCoder {
  type: number;
  name: string;
  /** Expected Optional and Transitive bits (RFC 4271 §5); Partial and Extended Length are not compared. */
  flags: number;
  /**
   * Decode the value b[s, e) into st.attrs (offsets, not a view: a subarray per attribute would
   * double the allocations of a small UPDATE). Returns null when well formed, else the verdict for
   * this attribute; the attribute is then not stored.
   */
  decode(b: Buffer, s: number, e: number, st: DecodeState): Verdict | null;
  /** The attribute value to send, or null when `a` does not carry this attribute. */
  encode(a: PathAttributes, ctx: CodecContext): Buffer | null;
}

export const WELL_KNOWN = FLAG.TRANSITIVE;
export const OPTIONAL_TRANSITIVE = FLAG.OPTIONAL | FLAG.TRANSITIVE;
export const OPTIONAL_NON_TRANSITIVE = FLAG.OPTIONAL;

export const withdraw = (subcode: number, reason: string): Verdict => ({ action: 'treat-as-withdraw', subcode, reason });
export const discard = (subcode: number, reason: string): Verdict => ({ action: 'attribute-discard', subcode, reason });
export const reset = (subcode: number, reason: string): Verdict => ({ action: 'reset', subcode, reason });

/** Attribute header + value; the Extended Length bit is used exactly when the value exceeds 255. */
export function attrBytes(flags: number, type: number, value: Buffer): Buffer {
  const ext = value.length > 255;
  const f = ext ? flags | FLAG.EXTENDED_LENGTH : flags & ~FLAG.EXTENDED_LENGTH;
  const hdr = ext ? Buffer.from([f, type, value.length >> 8, value.length & 255]) : Buffer.from([f, type, value.length]);
  return Buffer.concat([hdr, value], hdr.length + value.length);
}

export function u32Buffer(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}
