// Fib: keeps the kernel's routes of our protocol (proto bird = 12) equal to the routes the daemon
// asks for, through rtnetlink with many requests in flight (channel.ts).
//
// - Desired state in, kernel work out: `setRoute(dst, intent | null)` records what should be; a pump
//   turns the difference into add / replace / delete messages. Asking twice for the same thing sends
//   nothing.
// - Reconcile, never purge (BIRD sysdep/unix/krt.c scan/prune): `reconcile()` dumps our protocol's
//   routes and keeps them, marked stale; routes the daemon re-asserts stop being stale (and are only
//   rewritten when they differ); `sweepStale()` deletes the rest once sessions have converged. A
//   restart therefore never takes a pod route out of the kernel.
// - Only our routes: adds use NLM_F_EXCL (an existing route of another protocol makes the add fail,
//   it is never overwritten), replaces only happen on routes we know are ours, and deletes carry our
//   protocol so the kernel matches nothing else (Felix's proto 80, kernel, boot, static are safe).
// - Links are followed (RTM_NEWLINK/DELLINK): routes through tunl0 / vxlan.calico are re-programmed
//   when the device appears, comes back up or changes ifindex (the kernel silently flushes routes of
//   a device that goes away or down).
// - Kernel errors are recorded per route, retried with backoff, reported in status(); they never
//   throw and never hold other routes back.
import { constants as osConstants } from 'node:os';
import { Channel, type ChannelOptions } from './channel.js';
import { type FdbIntent, type NeighbourIntent, type RouteIntent, normalizeMac } from './encap.js';
import { formatPrefix, parseAddress, parsePrefix, type Family, type Prefix } from './ip.js';
import {
  AF_BRIDGE,
  AF_INET,
  AF_INET6,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  RTM_DELLINK,
  RTM_NEWLINK,
  RTM_NEWNEIGH,
  RTM_NEWROUTE,
  addressText,
  parseLink,
  parseNeigh,
  parseRoute,
  writeDelRoute,
  writeLinkDump,
  writeNeigh,
  writeNeighDump,
  writeNewRoute,
  writeRouteDump,
  type KernelLink,
  type KernelNeigh,
  type KernelRoute,
  type RouteSpec,
} from './wire.js';

export interface FibLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface FibOptions extends ChannelOptions {
  /** Route protocol of our routes (default 12, "bird", as calico-node's BIRD writes them). */
  protocol?: number;
  /** Routing table (default 254, main). */
  table?: number;
  log?: FibLog;
  /** First retry delay after a kernel error; doubles per attempt up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * Told when the kernel answered a route request: `ok` with what was done, or the failure (which is
   * retried). For a daemon's trace of when a route really went in; called after the state is updated.
   */
  onRouteResult?: (dst: string, result: RouteResult) => void;
  /** Period of the kernel scan (`scan()`); 0 turns it off. Default 60 s. */
  scanIntervalMs?: number;
}

/** Matches bgpd/control/status.ts FibStatus (plus `failing`, the errors outstanding now). */
export interface FibStatus {
  operations: { add: number; replace: number; delete: number };
  /** Kernel errors since start. */
  errors: number;
  /** Routes of ours in the kernel now (as far as this process knows). */
  routes: number;
  failing: number;
}

export type RouteResult = { ok: true; op: 'add' | 'replace' | 'delete' } | { ok: false; op: FibError['op']; code: string; message: string };

export interface FibError {
  /** The route's prefix, or "neigh <dev> <addr>" / "fdb <dev> <mac>". */
  what: string;
  op: 'add' | 'replace' | 'delete' | 'set';
  /** errno name (EEXIST, ENETUNREACH, ENODEV, …). */
  code: string;
  message: string;
  attempts: number;
  since: number;
}

interface HopState {
  gateway: string;
  /** Device name we asked for (null: the kernel chose). */
  device: string | null;
  ifindex: number;
  onlink: boolean;
}

interface Installed {
  type: 'unicast' | 'blackhole' | 'other';
  hops: HopState[];
}

interface RouteEntry {
  dst: string;
  prefix: Prefix;
  desired: RouteIntent | null;
  kernel: Installed | null;
  /** Found in the kernel at reconcile and not re-asserted since. */
  stale: boolean;
  /** The daemon has spoken about this prefix (setRoute) since start; such a route is never stale. */
  asserted: boolean;
  /** The kernel may still hold our route although we think it gone (device bounced). */
  maybeInKernel: boolean;
  busy: boolean;
  failure: FibError | null;
  retryAt: number;
}

interface NeighEntry {
  key: string;
  kind: 'neigh' | 'fdb';
  device: string;
  /** Neighbour address (neigh) or remote node address (fdb). */
  address: string;
  mac: string;
  refs: Set<string>;
  /** Found in the kernel at reconcile (ours by NDA_PROTOCOL, or the fdb twin of such a neighbour). */
  stale: boolean;
  /** ifindex it was written on (0: not in the kernel). */
  installedOn: number;
  installed: string;
  busy: boolean;
  failure: FibError | null;
  retryAt: number;
}

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v as number, k]));
const errnoName = (n: number) => errnoNames.get(n) ?? `errno ${n}`;
const EEXIST = osConstants.errno.EEXIST;
const ESRCH = osConstants.errno.ESRCH;
const ENOENT = osConstants.errno.ENOENT;
const ENODEV = osConstants.errno.ENODEV;

const explanation: Record<string, string> = {
  EEXIST: 'a route to this prefix that is not ours is in the kernel',
  ENETUNREACH: 'the gateway is not reachable directly',
  ENODEV: 'the device does not exist',
  ENETDOWN: 'the device is down',
  EINVAL: 'the kernel refused the route',
  ETIMEDOUT: 'the kernel did not answer',
  ENOBUFS: 'netlink replies were lost',
};

export class Fib {
  readonly protocol: number;
  readonly table: number;
  #ch: Channel;
  #log: FibLog | undefined;
  readonly #onRouteResult: FibOptions['onRouteResult'];
  #routes = new Map<string, RouteEntry>();
  #neighs = new Map<string, NeighEntry>();
  #dirty = new Set<RouteEntry>();
  #dirtyNeighs = new Set<NeighEntry>();
  #failing = new Set<RouteEntry | NeighEntry>();
  #links = new Map<string, KernelLink>();
  #linkNames = new Map<number, string>();
  #ops = { add: 0, replace: 0, delete: 0 };
  #errors = 0;
  #installed = 0;
  #pumpScheduled = false;
  #paused = false;
  #retryTimer: NodeJS.Timeout | null = null;
  #retryBase: number;
  #retryMax: number;
  #idleWaiters: (() => void)[] = [];
  #closed = false;

  private constructor(ch: Channel, opts: FibOptions) {
    this.#ch = ch;
    this.protocol = opts.protocol ?? 12;
    this.table = opts.table ?? 254;
    this.#log = opts.log;
    this.#onRouteResult = opts.onRouteResult;
    this.#retryBase = opts.retryBaseMs ?? 500;
    this.#retryMax = opts.retryMaxMs ?? 30_000;
    ch.onDrain = () => this.#schedulePump();
    ch.onNotification = (m) => {
      if (m.type === RTM_NEWLINK || m.type === RTM_DELLINK) {
        const link = parseLink(m.data);
        if (link) this.#linkEvent(link, m.type === RTM_DELLINK);
      }
    };
    ch.onError = (err) => this.#log?.warn({ err: err.message }, 'netlink socket error');
    const every = opts.scanIntervalMs ?? 60_000;
    if (every > 0) {
      this.#scanTimer = setInterval(() => {
        this.scan().catch((err: Error) => this.#log?.warn({ err: err.message }, 'kernel scan failed'));
      }, every);
      this.#scanTimer.unref();
    }
  }

  #scanTimer: NodeJS.Timeout | null = null;
  #reconciled = false;

  /**
   * Open the rtnetlink sockets in the network namespace this thread is in, learn the links and start
   * following them. Does not touch any route; call `reconcile()` next.
   */
  static async open(opts: FibOptions = {}): Promise<Fib> {
    const ch = new Channel(opts);
    const fib = new Fib(ch, opts);
    try {
      ch.watchLinks();
      await fib.#dumpLinks();
    } catch (err) {
      ch.close();
      throw err;
    }
    return fib;
  }

  /**
   * Dump our protocol's routes in our table and adopt them as stale: they stay in the kernel until
   * re-asserted (then kept, or rewritten if they differ) or swept by `sweepStale()`. Requests made
   * meanwhile wait for the dump, so no add races a route we are about to learn is ours.
   */
  async reconcile(): Promise<{ found: number }> {
    let found = 0;
    await this.#withPumpPaused(async () => {
      for (const r of await this.#dumpOurRoutes()) {
        const e = this.#adopt(r);
        if (!e) continue;
        found++;
        // Not asserted by the daemon yet (this run): keep it, as stale.
        if (e.desired === null && !e.asserted) e.stale = true;
        else this.#markDirty(e);
      }
      await this.#adoptNeighbours();
    });
    this.#reconciled = true;
    this.#log?.info({ found }, 'kernel routes of ours adopted as stale');
    return { found };
  }

  /**
   * Compare the kernel's routes of our protocol with what we hold and repair the difference, as
   * BIRD's periodic kernel scan does (sysdep/unix/krt.c): a route of ours deleted or changed by
   * someone else is written again; a route with our protocol that we do not want is deleted (stale
   * ones still wait for the sweep). Runs every `scanIntervalMs` by itself.
   */
  async scan(): Promise<{ missing: number; differing: number; unwanted: number }> {
    const counts = { missing: 0, differing: 0, unwanted: 0 };
    // Before reconcile() every route of ours is a survivor of the last run, not something to repair.
    if (!this.#reconciled || this.#closed) return counts;
    await this.#withPumpPaused(async () => {
      const seen = new Set<RouteEntry>();
      for (const r of await this.#dumpOurRoutes()) {
        const hadKernel = !!this.#routes.get(formatPrefix({ family: r.family, bytes: r.dst, len: r.dstLen }))?.kernel;
        const e = this.#adopt(r);
        if (!e) continue;
        seen.add(e);
        if (e.stale) continue;
        if (!e.desired) {
          counts.unwanted++;
          this.#markDirty(e);
        } else if (!sameState(e)) {
          if (hadKernel) counts.differing++;
          this.#markDirty(e);
        }
      }
      for (const e of this.#routes.values()) {
        if (!e.kernel || seen.has(e)) continue;
        counts.missing++;
        e.kernel = null;
        this.#installed--;
        this.#markDirty(e);
      }
    });
    if (counts.missing || counts.differing || counts.unwanted) this.#log?.warn(counts, 'kernel scan found routes of ours changed by someone else; repairing');
    return counts;
  }

  async #withPumpPaused(fn: () => Promise<void>): Promise<void> {
    while (this.#paused) await new Promise((r) => setTimeout(r, 5));
    this.#paused = true;
    try {
      await this.#whenChannelIdle();
      await fn();
    } finally {
      this.#paused = false;
      this.#schedulePump();
    }
  }

  async #dumpOurRoutes(): Promise<KernelRoute[]> {
    const seen: KernelRoute[] = [];
    for (const family of [4, 6] as const) {
      await this.#ch.dump(
        (w, seq) => writeRouteDump(w, seq, family),
        (m) => {
          if (m.type !== RTM_NEWROUTE) return;
          const r = parseRoute(m.data);
          if (r && r.protocol === this.protocol && r.table === this.table) seen.push(r);
        },
      );
    }
    return seen;
  }

  /** Record a dumped route as the kernel state of its entry. */
  #adopt(r: KernelRoute): RouteEntry | null {
    const e = this.#entry(formatPrefix({ family: r.family, bytes: r.dst, len: r.dstLen }));
    if (!e) return null;
    if (!e.kernel) this.#installed++;
    e.kernel = {
      type: r.type,
      hops: r.nextHops.map((h) => ({ gateway: addressText(h.gateway), device: this.#linkNames.get(h.ifindex) ?? null, ifindex: h.ifindex, onlink: h.onlink })),
    };
    e.maybeInKernel = false;
    return e;
  }

  /**
   * Delete the stale routes nobody re-asserted (after sessions converged / End-of-RIB, or when the
   * restart time ran out). Returns how many were queued for deletion.
   */
  sweepStale(): number {
    let n = 0;
    for (const e of this.#routes.values()) {
      if (!e.stale) continue;
      e.stale = false;
      n++;
      this.#markDirty(e);
    }
    let entries = 0;
    for (const e of this.#neighs.values()) {
      if (!e.stale) continue;
      e.stale = false;
      entries++;
      this.#dirtyNeighs.add(e);
    }
    if (entries) this.#schedulePump();
    if (n || entries) this.#log?.info({ routes: n, neighbours: entries }, 'sweeping stale kernel routes and neighbour entries');
    return n;
  }

  /** Stale routes still waiting for a sweep. */
  staleCount(): number {
    let n = 0;
    for (const e of this.#routes.values()) if (e.stale) n++;
    return n;
  }

  /** Neighbour and fdb entries adopted at reconcile and not re-asserted yet. */
  staleNeighbourCount(): number {
    let n = 0;
    for (const e of this.#neighs.values()) if (e.stale) n++;
    return n;
  }

  /**
   * Ask for `intent` to be the kernel route to `dst` (null: no route of ours). Idempotent; returns at
   * once, the kernel is written in the background (see `settled()`, `status()`, `errors()`).
   * The VXLAN neighbour and fdb entries the intent names are kept while some route needs them.
   */
  setRoute(dst: string, intent: RouteIntent | null): void {
    if (this.#closed) return;
    const e = this.#entry(dst);
    if (!e) {
      this.#log?.warn({ dst }, 'ignoring a kernel route with an unparsable prefix');
      return;
    }
    e.asserted = true;
    e.stale = false;
    const old = e.desired;
    e.desired = intent && (intent.type === 'blackhole' || intent.nextHops.length > 0) ? intent : null;
    this.#updateRefs(e.dst, old, e.desired);
    if (old && e.desired && sameIntent(old, e.desired) && !e.failure) return;
    this.#markDirty(e);
  }

  /** Explicit neighbour entries (beside those routes bring); replaces the previous explicit set. */
  setNeighbours(entries: NeighbourIntent[]): void {
    this.#setExplicit('neigh', entries.map((n) => ({ kind: 'neigh' as const, device: n.device, address: n.address, mac: n.mac })));
  }

  /** Explicit fdb entries (beside those routes bring); replaces the previous explicit set. */
  setFdb(entries: FdbIntent[]): void {
    this.#setExplicit('fdb', entries.map((f) => ({ kind: 'fdb' as const, device: f.device, address: f.dst, mac: f.mac })));
  }

  status(): FibStatus {
    return { operations: { ...this.#ops }, errors: this.#errors, routes: this.#installed, failing: this.#failing.size };
  }

  /** The errors outstanding now, one per route / entry. */
  errors(): FibError[] {
    return [...this.#failing].map((e) => ({ ...(e.failure as FibError) }));
  }

  /** Resolves when every queued request has been answered (errors waiting for a retry do not count). */
  settled(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  /** Stop; routes stay in the kernel (graceful restart keeps forwarding while we are away). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#scanTimer) clearInterval(this.#scanTimer);
    this.#ch.close();
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  // ---- state --------------------------------------------------------------------------------

  #entry(dst: string): RouteEntry | null {
    const known = this.#routes.get(dst);
    if (known) return known;
    const prefix = parsePrefix(dst);
    if (!prefix) return null;
    const key = formatPrefix(prefix);
    let e = this.#routes.get(key);
    if (!e) {
      e = { dst: key, prefix, desired: null, kernel: null, stale: false, asserted: false, maybeInKernel: false, busy: false, failure: null, retryAt: 0 };
      this.#routes.set(key, e);
    }
    return e;
  }

  #markDirty(e: RouteEntry): void {
    this.#dirty.add(e);
    this.#schedulePump();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled || this.#closed) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#closed || this.#paused) return;
    // Neighbours first: a VXLAN route is useful at once when its VTEP already resolves.
    for (const n of this.#dirtyNeighs) {
      if (this.#ch.capacity() <= 0) break;
      this.#dirtyNeighs.delete(n);
      if (!n.busy) this.#applyNeigh(n);
    }
    for (const e of this.#dirty) {
      if (this.#ch.capacity() <= 1) break; // a delete+add takes two
      this.#dirty.delete(e);
      if (!e.busy) this.#applyRoute(e);
    }
    this.#ch.flush();
    this.#checkIdle();
  }

  #isIdle(): boolean {
    if (!this.#ch.idle() || this.#pumpScheduled) return false;
    // A busy entry always has a request in flight, so with the channel idle nothing is busy.
    return !this.#paused && this.#dirty.size === 0 && this.#dirtyNeighs.size === 0;
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length && this.#isIdle()) for (const w of this.#idleWaiters.splice(0)) w();
  }

  #whenChannelIdle(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (this.#ch.idle() || this.#closed ? resolve() : setTimeout(check, 5));
      check();
    });
  }

  // ---- routes -------------------------------------------------------------------------------

  #applyRoute(e: RouteEntry): void {
    const want = e.desired;
    if (!want) {
      if (e.stale) return; // kept until sweepStale()
      if (!e.kernel && !e.maybeInKernel) {
        this.#clearFailure(e);
        if (!e.busy) this.#routes.delete(e.dst);
        return;
      }
      this.#send(e, 'delete', null);
      return;
    }
    const spec = this.#spec(e, want);
    if (typeof spec === 'string') {
      this.#fail(e, want.type === 'blackhole' ? 'add' : e.kernel ? 'replace' : 'add', ENODEV, spec);
      return;
    }
    if (e.kernel && sameAsKernel(spec.hops, want, e.kernel)) {
      this.#clearFailure(e);
      return;
    }
    if (!e.kernel) {
      this.#send(e, e.maybeInKernel ? 'replace' : 'add', spec);
      return;
    }
    // BIRD's lore (sysdep/linux/netlink.c nl_allow_replace): NLM_F_REPLACE is atomic and fine for
    // IPv4. For IPv6 it misbehaves on kernels still in use (4.19: replacing a gateway route by a
    // device route leaves two routes; multipath replace may swap only one next hop), so IPv6 is
    // replaced only between single-gateway unicast routes, and otherwise deleted and re-added.
    const v6Safe = want.type === 'unicast' && want.nextHops.length === 1 && e.kernel.type === 'unicast' && e.kernel.hops.length === 1;
    if (e.prefix.family === 4 || v6Safe) this.#send(e, 'replace', spec);
    else this.#send(e, 'delete+add', spec);
  }

  /** The message for an intent, or the reason it cannot be written now (missing device). */
  #spec(e: RouteEntry, want: RouteIntent): { route: RouteSpec; hops: HopState[] } | string {
    const route: RouteSpec = {
      family: e.prefix.family,
      dst: e.prefix.bytes,
      dstLen: e.prefix.len,
      table: this.table,
      protocol: this.protocol,
      type: want.type,
      nextHops: [],
    };
    const hops: HopState[] = [];
    if (want.type === 'unicast') {
      for (const nh of want.nextHops) {
        const gw = cachedAddress(nh.gateway);
        if (!gw || gw.family !== e.prefix.family) return `next hop ${nh.gateway} is not an IPv${e.prefix.family} address`;
        let ifindex = 0;
        if (nh.device) {
          const link = this.#links.get(nh.device);
          if (!link) return `device ${nh.device} does not exist`;
          if (!link.up) return `device ${nh.device} is down`;
          ifindex = link.index;
        }
        route.nextHops.push({ gateway: gw.bytes, ifindex, onlink: !!nh.onlink });
        hops.push({ gateway: gw.text, device: nh.device ?? null, ifindex, onlink: !!nh.onlink });
      }
    }
    return { route, hops };
  }

  #send(e: RouteEntry, op: 'add' | 'replace' | 'delete' | 'delete+add', spec: { route: RouteSpec; hops: HopState[] } | null): void {
    e.busy = true;
    const del = op === 'delete' || op === 'delete+add' ? { family: e.prefix.family, dst: e.prefix.bytes, dstLen: e.prefix.len, table: this.table, protocol: this.protocol } : null;
    const installed = spec && e.desired ? { type: e.desired.type, hops: spec.hops } : null;
    const done = (kind: 'add' | 'replace' | 'delete', errno: number) => {
      e.busy = false;
      if (this.#closed) return;
      if (kind === 'delete' && (errno === 0 || errno === ESRCH || errno === ENOENT)) {
        if (e.kernel) this.#installed--;
        e.kernel = null;
        e.maybeInKernel = false;
        if (errno === 0) this.#ops.delete++;
      } else if (errno === 0 && installed) {
        if (!e.kernel) this.#installed++;
        e.kernel = installed;
        e.maybeInKernel = false;
        this.#ops[kind]++;
      } else if (errno === EEXIST && kind === 'add' && e.maybeInKernel) {
        e.kernel = null;
      } else {
        this.#fail(e, kind, errno);
        return;
      }
      this.#clearFailure(e);
      if (errno === 0) this.#onRouteResult?.(e.dst, { ok: true, op: kind });
      // Whatever changed while the request was out is applied now.
      if (!sameState(e)) this.#markDirty(e);
      else if (!e.desired && !e.kernel && !e.stale) this.#routes.delete(e.dst);
      this.#checkIdle();
    };
    if (op === 'delete') {
      this.#ch.request((w, seq) => writeDelRoute(w, seq, del!), (errno) => done('delete', errno));
    } else if (op === 'delete+add') {
      e.busy = true;
      this.#ch.request((w, seq) => writeDelRoute(w, seq, del!), () => {});
      this.#ch.request((w, seq) => writeNewRoute(w, seq, NLM_F_CREATE | NLM_F_EXCL, spec!.route), (errno) => done('replace', errno));
    } else {
      const flags = op === 'add' ? NLM_F_CREATE | NLM_F_EXCL : NLM_F_CREATE | NLM_F_REPLACE;
      this.#ch.request((w, seq) => writeNewRoute(w, seq, flags, spec!.route), (errno) => done(op, errno));
    }
  }

  #fail(e: RouteEntry | NeighEntry, op: FibError['op'], errno: number, message?: string): void {
    this.#errors++;
    const code = errnoName(errno);
    const what = 'dst' in e ? e.dst : `${e.kind} ${e.device} ${e.kind === 'neigh' ? e.address : e.mac}`;
    const attempts = (e.failure?.attempts ?? 0) + 1;
    e.failure = { what, op, code, message: message ?? explanation[code] ?? code, attempts, since: e.failure?.since ?? Date.now() };
    this.#failing.add(e);
    if (attempts === 1) this.#logFailure(what, op, code, e.failure.message);
    if ('dst' in e) this.#onRouteResult?.(e.dst, { ok: false, op, code, message: e.failure.message });
    const delay = Math.min(this.#retryMax, this.#retryBase * 2 ** Math.min(attempts - 1, 16));
    e.retryAt = Date.now() + delay * (0.8 + 0.4 * Math.random());
    this.#armRetry();
    this.#checkIdle();
  }

  #logWindow = { start: 0, logged: 0, suppressed: 0 };

  /** At most ten failures a second are logged one by one; the rest are counted in a summary. */
  #logFailure(what: string, op: string, code: string, reason: string): void {
    const w = this.#logWindow;
    const now = Date.now();
    if (now - w.start > 1000) {
      if (w.suppressed) this.#log?.warn({ failures: w.suppressed }, 'more kernel updates failed (not logged one by one); see status');
      w.start = now;
      w.logged = 0;
      w.suppressed = 0;
    }
    if (w.logged++ < 10) this.#log?.warn({ what, op, code, reason }, 'kernel update failed; will retry');
    else w.suppressed++;
  }

  #clearFailure(e: RouteEntry | NeighEntry): void {
    if (!e.failure) return;
    e.failure = null;
    this.#failing.delete(e);
  }

  #armRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    let next = Infinity;
    for (const e of this.#failing) next = Math.min(next, e.retryAt);
    if (next === Infinity) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      const now = Date.now();
      for (const e of this.#failing) {
        if (e.retryAt > now) continue;
        e.retryAt = Infinity;
        if ('dst' in e) this.#dirty.add(e);
        else this.#dirtyNeighs.add(e);
      }
      this.#schedulePump();
      this.#armRetry();
    }, Math.max(10, next - Date.now()));
    this.#retryTimer.unref();
  }

  // ---- neighbours and fdb -------------------------------------------------------------------

  #updateRefs(owner: string, old: RouteIntent | null, now: RouteIntent | null): void {
    if (!old?.neighbours?.length && !old?.fdb?.length && !now?.neighbours?.length && !now?.fdb?.length) return;
    const keysOf = (i: RouteIntent | null) => [
      ...(i?.neighbours ?? []).map((n) => ({ kind: 'neigh' as const, device: n.device, address: n.address, mac: n.mac })),
      ...(i?.fdb ?? []).map((f) => ({ kind: 'fdb' as const, device: f.device, address: f.dst, mac: f.mac })),
    ];
    const oldKeys = keysOf(old);
    const newKeys = keysOf(now);
    if (oldKeys.length === 0 && newKeys.length === 0) return;
    const kept = new Set<string>();
    for (const k of newKeys) {
      const n = this.#neighEntry(k);
      if (n) {
        n.refs.add(owner);
        kept.add(n.key);
      }
    }
    for (const k of oldKeys) {
      const key = neighKey(k);
      if (key && !kept.has(key)) this.#unref(key, owner);
    }
  }

  #explicit = { neigh: new Set<string>(), fdb: new Set<string>() };

  #setExplicit(kind: 'neigh' | 'fdb', list: { kind: 'neigh' | 'fdb'; device: string; address: string; mac: string }[]): void {
    const owner = `explicit ${kind}`;
    const next = new Set<string>();
    for (const k of list) {
      const n = this.#neighEntry(k);
      if (!n) {
        this.#log?.warn({ entry: k }, `ignoring an invalid ${kind} entry`);
        continue;
      }
      n.refs.add(owner);
      next.add(n.key);
    }
    for (const key of this.#explicit[kind]) if (!next.has(key)) this.#unref(key, owner);
    this.#explicit[kind] = next;
  }

  #neighEntry(k: { kind: 'neigh' | 'fdb'; device: string; address: string; mac: string }): NeighEntry | null {
    const key = neighKey(k);
    const mac = normalizeMac(k.mac);
    const addr = parseAddress(k.address);
    if (!key || !mac || !addr || !k.device) return null;
    let n = this.#neighs.get(key);
    if (!n) {
      n = { key, kind: k.kind, device: k.device, address: addressText(addr.bytes), mac, refs: new Set(), stale: false, installedOn: 0, installed: '', busy: false, failure: null, retryAt: 0 };
      this.#neighs.set(key, n);
    }
    n.stale = false;
    // neigh: one MAC per address; fdb: one destination per MAC. A change rewrites the entry.
    if (k.kind === 'neigh') n.mac = mac;
    else n.address = addressText(addr.bytes);
    this.#dirtyNeighs.add(n);
    this.#schedulePump();
    return n;
  }

  #unref(key: string, owner: string): void {
    const n = this.#neighs.get(key);
    if (!n) return;
    n.refs.delete(owner);
    if (n.refs.size === 0) {
      this.#dirtyNeighs.add(n);
      this.#schedulePump();
    }
  }

  #applyNeigh(n: NeighEntry): void {
    const want = n.refs.size > 0;
    if (!want && n.stale) return; // kept until sweepStale()
    const link = this.#links.get(n.device);
    const sig = `${n.address}|${n.mac}`;
    if (!want) {
      if (!n.installedOn || !link || link.index !== n.installedOn) {
        this.#clearFailure(n);
        this.#neighs.delete(n.key);
        return;
      }
    } else {
      if (!link) {
        this.#fail(n, 'set', ENODEV, `device ${n.device} does not exist`);
        return;
      }
      if (n.installedOn === link.index && n.installed === sig) {
        this.#clearFailure(n);
        return;
      }
    }
    const addr = parseAddress(n.address)!;
    const mac = Uint8Array.from(n.mac.split(':').map((x) => parseInt(x, 16)));
    const family = n.kind === 'fdb' ? AF_BRIDGE : addr.family === 4 ? AF_INET : AF_INET6;
    const ifindex = link!.index;
    n.busy = true;
    this.#ch.request(
      (w, seq) => writeNeigh(w, seq, want ? 'set' : 'delete', { family, ifindex, dst: addr.bytes, mac, protocol: this.protocol }),
      (errno) => {
        n.busy = false;
        if (this.#closed) return;
        if (errno !== 0 && !(errno === ENOENT && !want)) {
          this.#fail(n, 'set', errno);
          return;
        }
        this.#clearFailure(n);
        n.installedOn = want ? ifindex : 0;
        n.installed = want ? sig : '';
        const stillWant = n.refs.size > 0;
        if (stillWant !== want || (want && n.installed !== `${n.address}|${n.mac}`)) this.#dirtyNeighs.add(n);
        else if (!want) this.#neighs.delete(n.key);
        this.#schedulePump();
      },
    );
  }

  /**
   * Neighbour entries we wrote carry NDA_PROTOCOL = our protocol; fdb entries cannot carry one, so
   * the fdb entry (NTF_SELF, permanent) with the MAC of such a neighbour on the same device is taken
   * as its twin. Both are adopted as stale, like routes.
   */
  async #adoptNeighbours(): Promise<void> {
    const seen: KernelNeigh[] = [];
    for (const family of [AF_INET, AF_INET6, AF_BRIDGE]) {
      await this.#ch.dump(
        (w, seq) => writeNeighDump(w, seq, family),
        (m) => {
          if (m.type !== RTM_NEWNEIGH) return;
          const n = parseNeigh(m.data);
          if (n && n.permanent && n.dst && n.mac && n.mac.length === 6) seen.push(n);
        },
      );
    }
    const macText = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
    const ours = new Set<string>();
    const adopt = (kind: 'neigh' | 'fdb', n: KernelNeigh) => {
      const device = this.#linkNames.get(n.ifindex);
      if (!device) return;
      const spec = { kind, device, address: addressText(n.dst), mac: macText(n.mac!) };
      const key = neighKey(spec)!;
      if (this.#neighs.has(key)) return;
      this.#neighs.set(key, {
        key,
        kind,
        device,
        address: spec.address,
        mac: spec.mac,
        refs: new Set(),
        stale: true,
        installedOn: n.ifindex,
        installed: `${spec.address}|${spec.mac}`,
        busy: false,
        failure: null,
        retryAt: 0,
      });
    };
    for (const n of seen) {
      if (n.family === AF_BRIDGE || n.protocol !== this.protocol) continue;
      adopt('neigh', n);
      ours.add(`${n.ifindex}|${macText(n.mac!)}`);
    }
    for (const n of seen) {
      if (n.family === AF_BRIDGE && n.self && ours.has(`${n.ifindex}|${macText(n.mac!)}`)) adopt('fdb', n);
    }
  }

  // ---- links --------------------------------------------------------------------------------

  async #dumpLinks(): Promise<void> {
    const links: KernelLink[] = [];
    await this.#ch.dump(
      (w, seq) => writeLinkDump(w, seq),
      (m) => {
        if (m.type !== RTM_NEWLINK) return;
        const l = parseLink(m.data);
        if (l) links.push(l);
      },
    );
    for (const l of links) {
      this.#links.set(l.name, l);
      this.#linkNames.set(l.index, l.name);
    }
  }

  #linkEvent(link: KernelLink, deleted: boolean): void {
    const prevName = this.#linkNames.get(link.index);
    const name = link.name || prevName;
    if (!name) return;
    const before = this.#links.get(name);
    if (deleted) {
      if (before && before.index === link.index) this.#links.delete(name);
      this.#linkNames.delete(link.index);
    } else {
      if (prevName && prevName !== name && this.#links.get(prevName)?.index === link.index) {
        this.#links.delete(prevName);
        this.#relink(prevName, true);
      }
      this.#links.set(name, link);
      this.#linkNames.set(link.index, name);
    }
    const after = this.#links.get(name);
    const changed = !before !== !after || before?.index !== after?.index || before?.up !== after?.up;
    if (!changed) return;
    this.#log?.info({ device: name, index: after?.index ?? null, up: after?.up ?? false }, 'link changed; re-programming its routes');
    // The kernel flushes the routes of a device that goes away or down, and says nothing about it.
    const gone = !after || !after.up || (before !== undefined && before.index !== after.index);
    this.#relink(name, gone);
  }

  /** Re-program what uses device `name` (after it appeared, went, came up or changed index). */
  #relink(name: string, gone: boolean): void {
    for (const e of this.#routes.values()) {
      const uses = e.desired?.nextHops.some((h) => h.device === name) || e.kernel?.hops.some((h) => h.device === name);
      if (!uses) continue;
      if (gone && e.kernel) {
        this.#installed--;
        e.kernel = null;
        // A device that only went down may keep IPv6 routes: an add may then meet our own route.
        e.maybeInKernel = true;
      }
      if (e.failure) e.failure.attempts = 0;
      this.#markDirty(e);
    }
    for (const n of this.#neighs.values()) {
      if (n.device !== name) continue;
      if (gone) n.installedOn = 0;
      this.#dirtyNeighs.add(n);
    }
    this.#schedulePump();
  }
}

function neighKey(k: { kind: 'neigh' | 'fdb'; device: string; address: string; mac: string }): string | null {
  if (k.kind === 'neigh') {
    const a = parseAddress(k.address);
    return a ? `neigh|${k.device}|${addressText(a.bytes)}` : null;
  }
  const m = normalizeMac(k.mac);
  return m ? `fdb|${k.device}|${m}` : null;
}

function sameIntent(a: RouteIntent, b: RouteIntent): boolean {
  if (a.type !== b.type || a.nextHops.length !== b.nextHops.length) return false;
  return a.nextHops.every((h, i) => h.gateway === b.nextHops[i].gateway && (h.device ?? '') === (b.nextHops[i].device ?? '') && !!h.onlink === !!b.nextHops[i].onlink);
}

/** Does the kernel's route already say what we want? (The kernel's own choice of device is fine
 * for next hops that name none.) */
function sameAsKernel(want: HopState[], intent: RouteIntent, k: Installed): boolean {
  if (intent.type !== k.type || want.length !== k.hops.length) return false;
  const key = (h: HopState) => `${h.gateway}|${h.onlink}`;
  const have = new Map<string, HopState>();
  for (const h of k.hops) have.set(key(h), h);
  return want.every((h) => {
    const got = have.get(key(h));
    return got !== undefined && (h.device === null || got.ifindex === h.ifindex);
  });
}

/** The entry's kernel state matches its desire (so nothing is left to do). */
function sameState(e: RouteEntry): boolean {
  if (!e.desired) return e.kernel === null || e.stale;
  if (!e.kernel) return false;
  if (e.desired.type !== e.kernel.type || e.desired.nextHops.length !== e.kernel.hops.length) return false;
  return e.desired.nextHops.every((h) =>
    e.kernel!.hops.some((k) => k.gateway === normalize(h.gateway) && k.onlink === !!h.onlink && (h.device === undefined || k.device === h.device)),
  );
}

function normalize(addr: string): string {
  return cachedAddress(addr)?.text ?? addr;
}

/** Next hops repeat across many routes: parse each address text once. */
const addressCache = new Map<string, { family: Family; bytes: Uint8Array; text: string } | null>();
function cachedAddress(s: string): { family: Family; bytes: Uint8Array; text: string } | null {
  let a = addressCache.get(s);
  if (a === undefined) {
    const p = parseAddress(s);
    a = p ? { family: p.family, bytes: p.bytes, text: addressText(p.bytes) } : null;
    if (addressCache.size > 10_000) addressCache.clear();
    addressCache.set(s, a);
  }
  return a;
}

export type { Family };
