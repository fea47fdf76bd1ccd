// Session timers: one coarse shared tick drives every hold, keepalive, connect-retry and idle-hold
// timer, so hundreds of sessions cost one interval rather than thousands of setTimeout handles.
// BGP timers are in seconds (RFC 4271 §10); a 100 ms tick is ample precision.
// Also owns the jitter and backoff rules that turn configured times into delays.

const TICK_MS = 100;

/** One shared interval; runs only while some timer is armed, and never keeps the process alive. */
export class Ticker {
  #armed = new Set<Timer>();
  #interval: NodeJS.Timeout | null = null;
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  now(): number {
    return this.#now();
  }

  /** Fire every timer whose deadline has passed (the interval calls this; tests may too). */
  tick(): void {
    const t = this.#now();
    for (const timer of [...this.#armed]) {
      if (timer.deadline <= t) {
        this.#armed.delete(timer);
        timer.fire();
      }
    }
    if (this.#armed.size === 0) this.#stopInterval();
  }

  arm(timer: Timer): void {
    this.#armed.add(timer);
    if (!this.#interval) {
      this.#interval = setInterval(() => this.tick(), TICK_MS);
      this.#interval.unref();
    }
  }

  disarm(timer: Timer): void {
    this.#armed.delete(timer);
    if (this.#armed.size === 0) this.#stopInterval();
  }

  #stopInterval(): void {
    if (this.#interval) clearInterval(this.#interval);
    this.#interval = null;
  }
}

export const sharedTicker = new Ticker();

/** A restartable one-shot timer on a Ticker. */
export class Timer {
  deadline = 0;
  #running = false;
  readonly #ticker: Ticker;
  readonly #onExpire: () => void;

  constructor(onExpire: () => void, ticker: Ticker = sharedTicker) {
    this.#onExpire = onExpire;
    this.#ticker = ticker;
  }

  get running(): boolean {
    return this.#running;
  }

  /** (Re)start to fire after `ms`; a delay of 0 or less still fires on the next tick, never inline. */
  start(ms: number): void {
    this.deadline = this.#ticker.now() + Math.max(0, ms);
    this.#running = true;
    this.#ticker.arm(this);
  }

  stop(): void {
    this.#running = false;
    this.#ticker.disarm(this);
  }

  /** Called by the ticker. */
  fire(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#onExpire();
  }
}

/** RFC 4271 §10: jitter timers by a random factor in [0.75, 1.0] so peers do not synchronise. */
export function jitter(ms: number, rand: () => number = Math.random): number {
  return ms * (0.75 + 0.25 * rand());
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/**
 * Delay before reconnect attempt number `failures` (1 = after the first failure): exponential from
 * initialMs, capped at maxMs, jittered. 0 failures means start now (first start of a session).
 */
export function backoffDelay(failures: number, opts: BackoffOptions, rand: () => number = Math.random): number {
  if (failures <= 0) return 0;
  const raw = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(failures - 1, 30));
  return jitter(raw, rand);
}

/** RFC 4271 §4.2: hold time is the smaller of both; 0 disables it, 1 and 2 are refused by the OPEN check. */
export function negotiateHoldTime(ours: number, theirs: number): number {
  return Math.min(ours, theirs);
}

/**
 * Keepalive interval: the configured one when it fits under the hold time, else hold/3 (§10
 * suggests one third); 0 when the hold time is 0 (no keepalives, §4.4).
 */
export function keepaliveInterval(holdTime: number, configured?: number): number {
  if (holdTime === 0) return 0;
  if (configured !== undefined && configured > 0 && configured < holdTime) return configured;
  return Math.max(1, Math.floor(holdTime / 3));
}
