// The rtnetlink transport of fib/: one socket for requests, many requests in flight. Requests are
// packed many to a datagram; only the last message of each datagram asks for an ACK. The kernel
// handles the messages of a datagram in order inside sendmsg(2) and always answers a failing
// message with an error (netlink_rcv_skb acks on error even without NLM_F_ACK), so when the last
// message's ACK arrives, every earlier message of that datagram without an error reply succeeded.
// That keeps the receive side to one ACK per datagram plus the failures, where `ip -batch` waits
// for one ACK per route. A separate socket listens to link notifications.
// Owns sockets and sequence numbers only; knows nothing of routes or intents.
import { createRequire } from 'node:module';
import type { RawNetlinkSocket } from 'netlink/dist/raw.js';
import { MessageWriter, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, errorCode, splitMessages, type RawMessage } from './wire.js';

// The native binding is loaded with the first channel, not with fib/: a daemon that never programs
// the kernel (--no-fib) never pays for it. Synchronously, so a channel's sockets are still created
// before its opener's first await, in the network namespace the caller is in. Only the raw socket
// layer: the package's index also loads its generic-netlink, nl80211 and WireGuard families (~2 MB).
let loaded: typeof RawNetlinkSocket | null = null;
function netlinkSocket(): typeof RawNetlinkSocket {
  if (!loaded) {
    try {
      loaded = (createRequire(import.meta.url)('netlink/dist/raw.js') as typeof import('netlink/dist/raw.js')).RawNetlinkSocket;
    } catch (err) {
      throw new Error(`cannot load the netlink module (rtnetlink sockets): ${(err as Error).message}`);
    }
  }
  return loaded;
}

const NETLINK_ROUTE = 0;
const RTNLGRP_LINK = 1;
/** Multicast groups of route notifications (linux/rtnetlink.h enum rtnetlink_groups). */
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV6_ROUTE = 11;
/** errno values the channel reports itself. */
export const ETIMEDOUT = 110;
export const ENOBUFS = 105;

/** Completion callback of one request: 0 on success, else the kernel's errno. */
export type Done = (errno: number) => void;

/** One datagram in flight: requests with consecutive sequence numbers first..barrier. */
interface Batch {
  first: number;
  barrier: number;
  done: (Done | null)[];
  timer: NodeJS.Timeout;
}

export interface ChannelOptions {
  /** Requests in flight at most (sent and not yet answered). */
  window?: number;
  /** Messages per datagram at most. */
  batch?: number;
  /** How long a datagram may go unanswered before its requests fail with ETIMEDOUT. */
  answerTimeoutMs?: number;
}

export class Channel {
  #sock: RawNetlinkSocket;
  #monitor: RawNetlinkSocket | null = null;
  #seq = 1;
  #w = new MessageWriter(128 * 1024);
  #lastStart = -1;
  #open: Done[] = [];
  #openFirst = 0;
  #batches = new Map<number, Batch>();
  #dumps = new Map<number, { onMessage: (m: RawMessage) => void; resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #inflight = 0;
  #flushScheduled = false;
  #closed = false;
  readonly window: number;
  readonly batchSize: number;
  readonly answerTimeoutMs: number;
  /** Called when requests complete and there is room for more. */
  onDrain: () => void = () => {};
  /** Link notifications (RTM_NEWLINK / RTM_DELLINK) from the monitor socket. */
  onNotification: (m: RawMessage) => void = () => {};
  /** A socket-level error (reported, never thrown). */
  onError: (err: Error) => void = () => {};
  /** An error on the monitor socket (ENOBUFS: notifications were lost); by default `onError`. */
  onMonitorError: (err: Error & { errno?: number }) => void = (err) => this.onError(err);

  constructor(opts: ChannelOptions = {}) {
    this.window = opts.window ?? 8192;
    this.batchSize = opts.batch ?? 1024;
    this.answerTimeoutMs = opts.answerTimeoutMs ?? 10_000;
    // A large receive buffer: replies to a whole window of failing requests must fit, or the kernel
    // drops them (ENOBUFS) and those requests would only end by timing out.
    this.#sock = new (netlinkSocket())(NETLINK_ROUTE, { recvBufferSize: 8 << 20, sendBufferSize: 4 << 20 });
    this.#sock.on('message', (buf: Buffer) => this.#receive(buf));
    this.#sock.on('error', (err: Error) => this.#socketError(err));
    this.#sock.unref();
  }

  /** Start listening to link changes, and to `extraGroups` too (call once). */
  watchLinks(extraGroups: readonly number[] = [], recvBufferSize = 1 << 20): void {
    if (this.#monitor) return;
    this.#monitor = new (netlinkSocket())(NETLINK_ROUTE, { recvBufferSize, sendBufferSize: 64 << 10 });
    this.#monitor.addMembership(RTNLGRP_LINK);
    for (const g of extraGroups) this.#monitor.addMembership(g);
    this.#monitor.on('message', (buf: Buffer) => {
      for (const m of splitMessages(buf)) this.onNotification(m);
    });
    this.#monitor.on('error', (err: Error) => this.onMonitorError(err));
    this.#monitor.unref();
  }

  /** Room for this many more requests now. */
  capacity(): number {
    return this.window - this.#inflight - this.#open.length;
  }

  idle(): boolean {
    return this.#inflight === 0 && this.#open.length === 0;
  }

  /**
   * Queue one request: `write` appends exactly one message with the given sequence number;
   * `done` gets 0 on success or the kernel's errno.
   */
  request(write: (w: MessageWriter, seq: number) => void, done: Done): void {
    if (this.#closed) {
      done(ENOBUFS);
      return;
    }
    // Sequence numbers of one datagram are consecutive, so a reply finds its request by arithmetic.
    if (this.#open.length === 0 && this.#seq >= 0xfffff000) this.#seq = 1;
    const seq = this.#nextSeq();
    if (this.#open.length === 0) this.#openFirst = seq;
    this.#lastStart = this.#w.length;
    write(this.#w, seq);
    this.#open.push(done);
    if (this.#open.length >= this.batchSize || this.#w.length > 60 * 1024) this.flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.flush();
      });
    }
  }

  /** Send the open datagram now. */
  flush(): void {
    if (this.#open.length === 0 || this.#closed) return;
    const flagsAt = this.#lastStart + 6;
    this.#w.buf.writeUInt16LE(this.#w.buf.readUInt16LE(flagsAt) | NLM_F_ACK, flagsAt);
    const data = this.#w.take();
    const done = this.#open;
    const first = this.#openFirst;
    const barrier = first + done.length - 1;
    this.#open = [];
    this.#w.reset();
    this.#inflight += done.length;
    const timer = setTimeout(() => this.#finishBatch(barrier, ETIMEDOUT), this.answerTimeoutMs);
    timer.unref();
    this.#batches.set(barrier, { first, barrier, done, timer });
    this.#sock.ref();
    this.#sock.send(data, {}, (err?: Error & { errno?: number }) => {
      if (err) this.#finishBatch(barrier, Math.abs(err.errno ?? ENOBUFS));
    });
  }

  /** A dump request (its own datagram); resolves after NLMSG_DONE. */
  dump(write: (w: MessageWriter, seq: number) => void, onMessage: (m: RawMessage) => void): Promise<void> {
    this.flush();
    const w = new MessageWriter(256);
    const seq = this.#nextSeq();
    write(w, seq);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#dumps.delete(seq);
        reject(new Error('netlink dump timed out'));
      }, this.answerTimeoutMs * 3);
      timer.unref();
      this.#dumps.set(seq, { onMessage, resolve, reject, timer });
      this.#sock.ref();
      this.#sock.send(w.take(), {}, (err?: Error) => {
        if (!err) return;
        clearTimeout(timer);
        this.#dumps.delete(seq);
        reject(err);
      });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const b of this.#batches.values()) clearTimeout(b.timer);
    for (const d of this.#dumps.values()) {
      clearTimeout(d.timer);
      d.reject(new Error('netlink channel closed'));
    }
    this.#batches.clear();
    this.#dumps.clear();
    this.#open = [];
    try {
      this.#sock.close();
    } catch {
      /* already closed */
    }
    try {
      this.#monitor?.close();
    } catch {
      /* already closed */
    }
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0 || 1;
    return this.#seq;
  }

  #receive(buf: Buffer): void {
    for (const m of splitMessages(buf)) {
      const dump = this.#dumps.get(m.seq);
      if (dump) {
        if (m.type === NLMSG_DONE || m.type === NLMSG_ERROR) {
          clearTimeout(dump.timer);
          this.#dumps.delete(m.seq);
          const errno = m.type === NLMSG_ERROR ? errorCode(m.data) : 0;
          if (errno) dump.reject(Object.assign(new Error(`netlink dump failed: errno ${errno}`), { errno }));
          else dump.resolve();
        } else dump.onMessage(m);
        continue;
      }
      if (m.type !== NLMSG_ERROR) continue;
      const errno = errorCode(m.data);
      if (errno !== 0) {
        for (const b of this.#batches.values()) {
          if (m.seq >= b.first && m.seq <= b.barrier) {
            this.#finish(b, m.seq - b.first, errno);
            break;
          }
        }
      }
      if (this.#batches.has(m.seq)) this.#finishBatch(m.seq, 0);
    }
    this.#afterCompletion();
  }

  #finish(b: Batch, i: number, errno: number): void {
    const done = b.done[i];
    if (!done) return;
    b.done[i] = null;
    this.#inflight--;
    try {
      done(errno);
    } catch (err) {
      this.onError(err as Error);
    }
  }

  /** The datagram ending at `barrier` is answered (or failed): settle every request still open. */
  #finishBatch(barrier: number, errno: number): void {
    const b = this.#batches.get(barrier);
    if (!b) return;
    this.#batches.delete(barrier);
    clearTimeout(b.timer);
    for (let i = 0; i < b.done.length; i++) this.#finish(b, i, errno);
    if (errno) this.#afterCompletion();
  }

  #afterCompletion(): void {
    if (this.#batches.size === 0 && this.#dumps.size === 0 && !this.#closed) this.#sock.unref();
    if (this.capacity() > 0) this.onDrain();
  }

  #socketError(err: Error & { errno?: number }): void {
    // ENOBUFS on receive: replies were lost. Everything in flight is in doubt; fail it so the
    // owner retries (its operations are idempotent or resolve EEXIST/ESRCH themselves).
    this.onError(err);
    for (const barrier of [...this.#batches.keys()]) this.#finishBatch(barrier, Math.abs(err.errno ?? ENOBUFS));
  }
}
