// Graceful restart, receiving-speaker (helper) side, RFC 4724 §4.2: when a peer that announced the
// capability drops the TCP session, its routes stay (stale) for its restart time; once it is back,
// each family's stale routes go when that family's End-of-RIB arrives, at once when the new OPEN
// does not promise preserved forwarding state for it, or when our stale timer runs out.
// This owns only the timers and the bookkeeping; the RIB holds the routes and is told what to sweep.
import { AFI, type Afi } from '../wire/types.js';
import type { Negotiated } from './negotiate.js';
import { Timer } from './timers.js';

/** How long stale routes may wait for End-of-RIB after the peer is back (BIRD's default stale time). */
const DEFAULT_STALE_MS = 360_000;

export class GracefulRestartHelper {
  #active = false;
  #pending = new Set<Afi>();
  readonly #sweep: (afi: Afi | null) => void;
  readonly #restartTimer: Timer;
  readonly #staleTimer: Timer;
  readonly #staleMs: number;

  constructor(sweep: (afi: Afi | null) => void, staleMs = DEFAULT_STALE_MS) {
    this.#sweep = sweep;
    this.#staleMs = staleMs;
    // The peer did not come back within its restart time: everything it left goes.
    this.#restartTimer = new Timer(() => this.#finish());
    this.#staleTimer = new Timer(() => this.#finish());
  }

  /** Stale routes of a restarting peer are being kept. */
  get active(): boolean {
    return this.#active;
  }

  /** The session went down without a NOTIFICATION; the peer announced `restartTime` seconds. */
  peerDown(restartTime: number): void {
    this.#active = true;
    this.#pending.clear();
    this.#staleTimer.stop();
    if (restartTime <= 0) {
      this.#finish();
      return;
    }
    this.#restartTimer.start(restartTime * 1000);
  }

  /** The session is back: keep only the families whose forwarding state the peer preserved. */
  established(n: Negotiated): void {
    if (!this.#active) return;
    this.#restartTimer.stop();
    const gr = n.peerGracefulRestart;
    for (const afi of [AFI.IPv4, AFI.IPv6] as Afi[]) {
      const negotiated = afi === AFI.IPv4 ? n.families.ipv4 : n.families.ipv6;
      const preserved = !!gr?.families.some((f) => f.afi === afi && f.forwarding);
      if (negotiated && preserved) this.#pending.add(afi);
      else this.#sweep(afi);
    }
    if (this.#pending.size === 0) {
      this.#active = false;
      return;
    }
    this.#staleTimer.start(this.#staleMs);
  }

  /** End-of-RIB from the peer: what it did not announce again is gone. */
  endOfRib(afi: Afi): void {
    if (!this.#pending.delete(afi)) return;
    this.#sweep(afi);
    if (this.#pending.size === 0) {
      this.#staleTimer.stop();
      this.#active = false;
    }
  }

  /** The session is being stopped: no stale route outlives it. */
  cancel(): void {
    if (this.#active) this.#finish();
  }

  #finish(): void {
    this.#restartTimer.stop();
    this.#staleTimer.stop();
    this.#pending.clear();
    this.#active = false;
    this.#sweep(null);
  }
}
