// BIRD's reply-code framing (doc/reply_codes, nest/cli.c cli_printf): every line starts with a
// four-digit code and `-` while more lines follow, or a space on the final line; a line whose code
// equals the previous line's starts with a single space instead (continuation). Printers yield
// (code, text) pairs; ReplyEncoder turns them into wire lines, one command's reply at a time.

export interface ReplyLine {
  code: number;
  text: string;
}

/** BIRD's version as calico-node's BIRD reports it (calicoctl and probes only check the prefix). */
export const BIRD_VERSION = 'v0.3.3+birdv1.6.8';

export const GREETING = `0001 BIRD ${BIRD_VERSION} ready.\n`;

/** Reply codes used here, named as in BIRD's sources. */
export const Code = {
  OK: 0,
  WELCOME: 1,
  STATUS: 13,
  ROUTE_COUNT: 14,
  GR_STATUS: 24,
  BIRD_VERSION: 1000,
  PROTOCOL_HEADER: 2002,
  PROTOCOL_ROW: 1002,
  PROTOCOL_DETAILS: 1006,
  ROUTE: 1007,
  ROUTE_TYPE: 1008,
  STATUS_LINE: 1011,
  ROUTE_ATTR: 1012,
  MEMORY: 1018,
  /** Our own extensions (bgpctl): one JSON document per line, and trace lines. */
  JSON: 1100,
  TRACE: 1101,
  REPLY_TOO_LONG: 8000,
  NETWORK_NOT_IN_TABLE: 8001,
  NO_PROTOCOLS_MATCH: 8003,
  ACCESS_DENIED: 8007,
  INTERNAL_ERROR: 8099,
  COMMAND_TOO_LONG: 9000,
  PARSE_ERROR: 9001,
  NOT_A_PROTOCOL: 9002,
} as const;

/**
 * A command's answer: lines, with `null` marking a point where a long walk may pause so the daemon
 * runs (a count over a big table prints nothing for a long time), and the final line as its value.
 */
export type Printed = Generator<ReplyLine | null, ReplyLine>;

export class ReplyEncoder {
  #last = -1;

  /** A non-final line: `NNNN-text`, or ` text` when it continues a line of the same code. */
  line(l: ReplyLine): string {
    const prefix = l.code === this.#last ? ' ' : `${pad4(l.code)}-`;
    this.#last = l.code;
    return `${prefix}${l.text}\n`;
  }

  /** The final line, `NNNN text`; the encoder is then ready for the next command. */
  end(l: ReplyLine): string {
    this.#last = -1;
    return `${pad4(l.code)} ${l.text}\n`;
  }
}

function pad4(code: number): string {
  return String(code).padStart(4, '0');
}

/** A whole reply of a few lines, for small answers and tests. */
export function encodeReply(lines: ReplyLine[], final: ReplyLine): string {
  const enc = new ReplyEncoder();
  return lines.map((l) => enc.line(l)).join('') + enc.end(final);
}
