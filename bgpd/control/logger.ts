// Logging: one pino JSON logger for the daemon and a child per peer (so every line of a session
// carries its name and neighbour), with the level set from --log-level or from BGPConfiguration's
// logSeverityScreen, and changeable at run time: pino children keep the level they were born with,
// so the hub remembers its children and moves them all.
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

export type LogLevel = Level | 'silent';

/** Calico's logSeverityScreen values (case-insensitive), and pino's own names. */
const SEVERITY: Record<string, LogLevel> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
  panic: 'fatal',
  none: 'silent',
  silent: 'silent',
};

/** The pino level of a severity name, or null when the name is not one. */
export function levelFromSeverity(severity: string): LogLevel | null {
  return SEVERITY[severity.trim().toLowerCase()] ?? null;
}

export interface LogHubOptions {
  /** A level or Calico severity; `info` by default. */
  level?: string;
  /** Where JSON lines go; stdout by default. */
  destination?: DestinationStream;
  /** Fields on every line (e.g. the node name). */
  base?: Record<string, unknown>;
}

export class LogHub {
  readonly root: Logger;
  readonly #peers = new Map<string, Logger>();

  constructor(opts: LogHubOptions = {}) {
    const level = opts.level === undefined ? 'info' : levelFromSeverity(opts.level);
    if (level === null) throw new Error(`unknown log level ${JSON.stringify(opts.level)} (use Debug, Info, Warning, Error, Fatal or None)`);
    this.root = pino({ level, base: opts.base ?? {}, timestamp: pino.stdTimeFunctions.isoTime }, opts.destination ?? pino.destination(1));
  }

  /** The logger of one peer session; the same object for the same name. */
  peer(name: string, neighbor: string): Logger {
    let l = this.#peers.get(name);
    if (!l) {
      l = this.root.child({ peer: name, neighbor });
      this.#peers.set(name, l);
    }
    return l;
  }

  /** Forget a peer that is gone from the configuration. */
  dropPeer(name: string): void {
    this.#peers.delete(name);
  }

  /** Apply a level or Calico severity to the daemon and every peer; false if the name is unknown. */
  setLevel(severity: string): boolean {
    const level = levelFromSeverity(severity);
    if (level === null) return false;
    this.root.level = level;
    for (const l of this.#peers.values()) l.level = level;
    return true;
  }
}
