// The route event log behind `bgpctl trace PREFIX`: what happened to a prefix and when (learned from
// a peer, selected as best, advertised to a peer, installed in the kernel, and their undoing). The
// speaker records events as they happen; the control socket reads a prefix's history. Memory is
// bounded: a fixed number of events per prefix and a fixed number of prefixes, oldest dropped first,
// so tracing a 1M-prefix table costs a bounded amount, never a copy of the table.

export type TraceEvent =
  | { type: 'learned'; prefix: string; at: number; peer: string; nextHop: string | null }
  | { type: 'withdrawn'; prefix: string; at: number; peer: string }
  | { type: 'selected'; prefix: string; at: number; peer: string; reason: string }
  | { type: 'unreachable'; prefix: string; at: number }
  | { type: 'advertised'; prefix: string; at: number; peer: string }
  | { type: 'withdrawn-from'; prefix: string; at: number; peer: string }
  | { type: 'installed'; prefix: string; at: number; detail: string }
  | { type: 'removed'; prefix: string; at: number }
  | { type: 'install-failed'; prefix: string; at: number; error: string };

/** What the speaker feeds and the control socket reads. */
export interface TraceLog {
  record(event: TraceEvent): void;
  history(prefix: string): readonly TraceEvent[];
}

export interface EventLogOptions {
  /** Events kept per prefix (oldest dropped). */
  perPrefix?: number;
  /** Prefixes kept (least recently touched dropped). */
  prefixes?: number;
}

type Listener = (event: TraceEvent) => void;

export class EventLog implements TraceLog {
  readonly #perPrefix: number;
  readonly #maxPrefixes: number;
  /** Map iteration order is insertion order: re-inserting on each event makes it an LRU. */
  readonly #byPrefix = new Map<string, TraceEvent[]>();
  readonly #listeners: Listener[] = [];

  constructor(opts: EventLogOptions = {}) {
    this.#perPrefix = Math.max(1, opts.perPrefix ?? 32);
    this.#maxPrefixes = Math.max(1, opts.prefixes ?? 100_000);
  }

  record(event: TraceEvent): void {
    let list = this.#byPrefix.get(event.prefix);
    if (list) this.#byPrefix.delete(event.prefix);
    else list = [];
    list.push(event);
    if (list.length > this.#perPrefix) list.splice(0, list.length - this.#perPrefix);
    this.#byPrefix.set(event.prefix, list);
    if (this.#byPrefix.size > this.#maxPrefixes) {
      const oldest = this.#byPrefix.keys().next().value as string;
      this.#byPrefix.delete(oldest);
    }
    for (const l of this.#listeners) l(event);
  }

  history(prefix: string): readonly TraceEvent[] {
    return [...(this.#byPrefix.get(prefix) ?? [])];
  }

  /** The latest `learned` time of a prefix, for the learned→installed histogram. */
  lastLearned(prefix: string): number | null {
    const list = this.#byPrefix.get(prefix);
    if (!list) return null;
    for (let i = list.length - 1; i >= 0; i--) if (list[i].type === 'learned') return list[i].at;
    return null;
  }

  /** Called after each recorded event (metrics derive install latency from it). */
  onEvent(listener: Listener): void {
    this.#listeners.push(listener);
  }
}

/** One line per event for people, e.g. `12:00:01.250  learned from Mesh_10_0_0_2 (next hop 10.0.0.2)`. */
export function describeEvent(e: TraceEvent): string {
  switch (e.type) {
    case 'learned':
      return `learned from ${e.peer}${e.nextHop ? ` (next hop ${e.nextHop})` : ''}`;
    case 'withdrawn':
      return `withdrawn by ${e.peer}`;
    case 'selected':
      return `selected: best path from ${e.peer}${e.reason ? ` (${e.reason})` : ''}`;
    case 'unreachable':
      return 'no path left';
    case 'advertised':
      return `advertised to ${e.peer}`;
    case 'withdrawn-from':
      return `withdrawn from ${e.peer}`;
    case 'installed':
      return `installed in the kernel${e.detail ? `: ${e.detail}` : ''}`;
    case 'removed':
      return 'removed from the kernel';
    case 'install-failed':
      return `kernel install failed: ${e.error}`;
  }
}
