// KernelRouteWatcher: learns the routes other programs put in the kernel's main table ("alien"
// routes, BIRD's `protocol kernel { learn; }`), e.g. Felix's `10.244.1.5 dev cali12ab scope link`
// (proto 80), so the daemon can advertise borrowed pod IPs. Dumps IPv4 and IPv6 at start, then
// follows RTM_NEWROUTE / RTM_DELROUTE and link changes, and hands out plain-data batches.
//
// - Which routes: the filters of BIRD's sysdep/linux/netlink.c `nl_parse_route`: only our table;
//   no TOS, no RTA_IIF; destinations of link or host scope (fe80::/10, multicast, loopback) are
//   skipped ("strange class/scope"); `RTPROT_UNSPEC` is skipped; `case RTPROT_KERNEL: src =
//   KRT_SRC_KERNEL; return;` — the kernel's own connected/device routes are never learned; our own
//   protocol (RTPROT_BIRD there, "echo") is skipped; only RTN_UNICAST, BLACKHOLE, UNREACHABLE and
//   PROHIBIT are taken (`default: SKIP("type %d")`, so local/broadcast/multicast/throw are not).
//   RTM_F_CLONED cache entries are skipped too. Devices matching `ignoreInterfaces` globs are dropped
//   (BGPConfiguration ignoredInterfaces).
// - One route per prefix: when several routes share a destination (different metrics) the one with
//   the lowest metric is reported. `added` carries new and changed prefixes, `removed` prefixes that
//   have none left.
// - Bursts coalesce: changes mark prefixes dirty; one batch goes out `batchDelayMs` later.
// - Lost notifications (ENOBUFS on the monitor socket) and link deletion / link down (the kernel
//   flushes IPv4 routes of such a device without a word) trigger a full re-dump whose difference is
//   emitted; `scanIntervalMs` reconciles the same way periodically (BIRD's krt scan). BIRD itself
//   only logs the overflow and waits for its next scan (`nl_async_hook`); we re-dump at once.
//   Caveat: with the `netlink` 0.3.0 binding an overrun surfaces as POLLERR, which libuv reports as
//   UV_EBADF and the binding turns into a process abort before any JavaScript runs; hence the large
//   receive buffer (see README).
// - Reads only; never writes a route. Malformed messages are counted and skipped, never thrown.
import { Channel, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE } from './channel.js';
import { formatPrefix, type Family } from './ip.js';
import {
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  addressText,
  parseLink,
  parseRoute,
  parseRouteHeader,
  writeLinkDump,
  writeRouteDump,
  type RawMessage,
} from './wire.js';

export type AlienRouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

/** A route of another protocol in the kernel's main table. */
export interface AlienRoute {
  /** Canonical prefix; host routes are /32 (/128). */
  dst: string;
  /** Device of the (first) next hop, null for blackhole/unreachable/prohibit. */
  iface: string | null;
  gateway: string | null;
  type: AlienRouteType;
  /** rtm_protocol (80 Felix, 3 boot, 4 static, …). */
  protocol: number;
  /** rtm_scope (0 universe, 253 link). */
  scope: number;
  /** Only on multipath routes: every next hop (iface/gateway above are the first). */
  nextHops?: { iface: string | null; gateway: string | null }[];
}

export interface AlienBatch {
  /** New prefixes, and prefixes whose route changed (replace what you had). */
  added: AlienRoute[];
  /** Prefixes (dst) with no learnable route left. */
  removed: string[];
}

export interface WatcherLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface KernelRouteWatcherOptions {
  /** Receives every batch, the initial dump first (before `open` resolves). */
  onBatch: (batch: AlienBatch) => void;
  /** Our own protocol, never learned (12, bird). */
  protocol?: number;
  /** Kernel table (254, main). */
  table?: number;
  /** Glob patterns (`*`, `?`, `[...]`) of device names whose routes are ignored. */
  ignoreInterfaces?: string[];
  /** How long changes gather before a batch goes out (default 50 ms). */
  batchDelayMs?: number;
  /** Full re-dump and reconcile every so often; 0 (default) turns it off. */
  scanIntervalMs?: number;
  /** Receive buffer of the notification socket (default 8 MiB; the kernel caps it at rmem_max). */
  recvBufferSize?: number;
  log?: WatcherLog;
}

export interface WatcherStatus {
  routes: number;
  batches: number;
  rescans: number;
  overflows: number;
  malformed: number;
}

const RTPROT_UNSPEC = 0;
const RTPROT_KERNEL = 2;
const TYPES: Record<number, AlienRouteType> = { 1: 'unicast', 6: 'blackhole', 7: 'unreachable', 8: 'prohibit' };
const ENOBUFS = 105;

/** One kernel route that passed the filters (device names resolved later). */
interface Entry {
  dst: string;
  priority: number;
  protocol: number;
  scope: number;
  type: AlienRouteType;
  hops: { ifindex: number; gateway: string | null }[];
}

/** What a route message says: a learnable entry, or just its key (to forget a replaced route). */
export type Decoded = { table: number; dst: string; priority: number; protocol: number; entry: Entry | null };

/** True when BIRD would call the destination "strange class/scope": link/host scope, multicast. */
function strangeDst(family: Family, b: Uint8Array, len: number): boolean {
  if (len === 0) return false;
  if (family === 4) return b[0] === 127 || (b[0] >= 224 && b[0] <= 239) || (b[0] === 169 && b[1] === 254 && len >= 16);
  if (b[0] === 0xff) return true;
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80 && len >= 10) return true;
  return len === 128 && b.every((x, i) => (i === 15 ? x === 1 : x === 0));
}

/**
 * Decode one RTM_NEWROUTE/RTM_DELROUTE payload. Pure; null when it is not a route of a family we
 * read or is malformed. `entry` is null when the route is not one to learn.
 */
export function decodeRoute(data: Buffer, ownProtocol: number): Decoded | null {
  const r = parseRoute(data);
  const h = parseRouteHeader(data);
  if (!r || !h) return null;
  const width = r.family === 4 ? 4 : 16;
  if (r.dst.length !== width || r.dstLen > width * 8) return null;
  const dst = formatPrefix({ family: r.family, bytes: r.dst, len: r.dstLen });
  const base = { table: r.table, dst, priority: r.priority, protocol: r.protocol };
  const type = TYPES[h.rtType];
  if (
    !type ||
    h.tos !== 0 ||
    h.hasIif ||
    h.cloned ||
    r.protocol === RTPROT_UNSPEC ||
    r.protocol === RTPROT_KERNEL ||
    r.protocol === ownProtocol ||
    strangeDst(r.family, r.dst, r.dstLen)
  )
    return { ...base, entry: null };
  const hops: Entry['hops'] = [];
  if (type === 'unicast') {
    for (const nh of r.nextHops) {
      if (nh.gateway && nh.gateway.length !== width) return null;
      hops.push({ ifindex: nh.ifindex, gateway: nh.gateway ? addressText(nh.gateway) : null });
    }
  }
  return { ...base, entry: { dst, priority: r.priority, protocol: r.protocol, scope: h.scope, type, hops } };
}

/** A glob (`*`, `?`, `[abc]`, `[a-z]`, `[!x]`) as a whole-name regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) {
        re += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      if (body[0] === '!' || body[0] === '^') body = '^' + body.slice(1);
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export class KernelRouteWatcher {
  readonly protocol: number;
  readonly table: number;
  #ch: Channel;
  #onBatch: (b: AlienBatch) => void;
  #log: WatcherLog | undefined;
  #ignore: RegExp[];
  #batchDelay: number;
  /** dst → priority → entry. */
  #kernel = new Map<string, Map<number, Entry>>();
  /** ifindex → dsts with a route through it. */
  #byIfindex = new Map<number, Set<string>>();
  #names = new Map<number, { name: string; up: boolean }>();
  #emitted = new Map<string, AlienRoute>();
  #dirty = new Set<string>();
  #flushTimer: NodeJS.Timeout | null = null;
  #scanTimer: NodeJS.Timeout | null = null;
  #rescanSoon: NodeJS.Timeout | null = null;
  /** Notifications held while a dump runs, applied on top of it. */
  #held: RawMessage[] | null = null;
  #rescanning: Promise<void> | null = null;
  #rescanAgain = false;
  #closed = false;
  #stats = { batches: 0, rescans: 0, overflows: 0, malformed: 0 };

  private constructor(ch: Channel, opts: KernelRouteWatcherOptions) {
    this.#ch = ch;
    this.#onBatch = opts.onBatch;
    this.#log = opts.log;
    this.protocol = opts.protocol ?? 12;
    this.table = opts.table ?? 254;
    this.#ignore = (opts.ignoreInterfaces ?? []).map(globToRegExp);
    this.#batchDelay = opts.batchDelayMs ?? 50;
    ch.onNotification = (m) => this.#notification(m);
    ch.onError = (err) => this.#log?.warn({ err: err.message }, 'netlink socket error');
    ch.onMonitorError = (err) => {
      if (Math.abs(err.errno ?? 0) === ENOBUFS || /ENOBUFS/.test(err.message)) {
        this.#stats.overflows++;
        this.#log?.warn({}, 'kernel dropped route notifications; re-dumping');
        this.#requestRescan(0);
      } else this.#log?.warn({ err: err.message }, 'netlink monitor socket error');
    };
    const every = opts.scanIntervalMs ?? 0;
    if (every > 0) {
      this.#scanTimer = setInterval(() => this.#requestRescan(0), every);
      this.#scanTimer.unref();
    }
  }

  /**
   * Open the sockets in the network namespace this thread is in (they are created before the first
   * await), dump links and routes, deliver the initial batch, then follow changes.
   */
  static async open(opts: KernelRouteWatcherOptions): Promise<KernelRouteWatcher> {
    const ch = new Channel({});
    const w = new KernelRouteWatcher(ch, opts);
    try {
      ch.watchLinks([RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE], opts.recvBufferSize ?? 8 << 20);
      await w.rescan();
    } catch (err) {
      w.close();
      throw err;
    }
    return w;
  }

  /** What has been reported so far (the consumer's view). */
  routes(): AlienRoute[] {
    return [...this.#emitted.values()];
  }

  status(): WatcherStatus {
    return { routes: this.#emitted.size, ...this.#stats };
  }

  /** Dump links and routes again and emit the difference (resolves after the batch went out). */
  rescan(): Promise<void> {
    if (this.#rescanning) {
      this.#rescanAgain = true;
      return this.#rescanning;
    }
    this.#rescanning = this.#doRescan().finally(() => {
      this.#rescanning = null;
      if (this.#rescanAgain && !this.#closed) {
        this.#rescanAgain = false;
        this.#requestRescan(0);
      }
    });
    return this.#rescanning;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of [this.#flushTimer, this.#rescanSoon]) if (t) clearTimeout(t);
    if (this.#scanTimer) clearInterval(this.#scanTimer);
    this.#ch.close();
  }

  // ---- dumps -----------------------------------------------------------------------------------

  async #doRescan(): Promise<void> {
    this.#held = [];
    const links = new Map<number, { name: string; up: boolean }>();
    const routes: Entry[] = [];
    try {
      await this.#ch.dump(
        (w, seq) => writeLinkDump(w, seq),
        (m) => {
          if (m.type !== RTM_NEWLINK) return;
          const l = parseLink(m.data);
          if (l && l.name) links.set(l.index, { name: l.name, up: l.up });
          else this.#stats.malformed++;
        },
      );
      for (const family of [4, 6] as const) {
        await this.#ch.dump(
          (w, seq) => writeRouteDump(w, seq, family),
          (m) => {
            if (m.type !== RTM_NEWROUTE) return;
            const d = this.#decode(m.data);
            if (d?.entry && d.table === this.table) routes.push(d.entry);
          },
        );
      }
    } catch (err) {
      const held = this.#held;
      this.#held = null;
      for (const m of held) this.#notification(m);
      throw err;
    }
    if (this.#closed) return;
    this.#stats.rescans++;
    for (const dst of this.#kernel.keys()) this.#dirty.add(dst);
    this.#kernel.clear();
    this.#byIfindex.clear();
    this.#names = links;
    for (const e of routes) this.#set(e);
    const held = this.#held;
    this.#held = null;
    // Notifications that raced the dump: applying them in order on top of it ends in the state of
    // the last one, which is at least as new as what the dump saw.
    for (const m of held) this.#notification(m);
    this.#flush();
  }

  #requestRescan(delayMs: number): void {
    if (this.#closed || this.#rescanSoon) return;
    this.#rescanSoon = setTimeout(() => {
      this.#rescanSoon = null;
      this.rescan().catch((err: Error) => this.#log?.warn({ err: err.message }, 'kernel route re-dump failed'));
    }, delayMs);
  }

  // ---- notifications ---------------------------------------------------------------------------

  #decode(data: Buffer): Decoded | null {
    try {
      const d = decodeRoute(data, this.protocol);
      if (!d) this.#stats.malformed++;
      return d;
    } catch {
      this.#stats.malformed++;
      return null;
    }
  }

  #notification(m: RawMessage): void {
    if (this.#closed) return;
    if (this.#held) {
      this.#held.push(m);
      return;
    }
    try {
      if (m.type === RTM_NEWROUTE || m.type === RTM_DELROUTE) this.#routeEvent(m);
      else if (m.type === RTM_NEWLINK || m.type === RTM_DELLINK) this.#linkEvent(m);
    } catch (err) {
      this.#stats.malformed++;
      this.#log?.warn({ err: (err as Error).message }, 'bad netlink notification skipped');
    }
  }

  #routeEvent(m: RawMessage): void {
    const d = this.#decode(m.data);
    if (!d || d.table !== this.table) return;
    const had = this.#kernel.get(d.dst)?.get(d.priority);
    if (m.type === RTM_DELROUTE) {
      if (had && had.protocol === d.protocol) this.#unset(had);
    } else if (d.entry) this.#set(d.entry);
    // A route we do not learn (ours, kernel) took the place of one we knew (NLM_F_REPLACE).
    else if (had) this.#unset(had);
    this.#scheduleFlush();
  }

  #linkEvent(m: RawMessage): void {
    const l = parseLink(m.data);
    if (!l) {
      this.#stats.malformed++;
      return;
    }
    const before = this.#names.get(l.index);
    if (m.type === RTM_DELLINK) {
      this.#names.delete(l.index);
      if (this.#byIfindex.has(l.index)) this.#deviceFlushed(l.index);
      return;
    }
    const name = l.name || before?.name;
    if (!name) return;
    this.#names.set(l.index, { name, up: l.up });
    if (before?.name !== name) for (const dst of this.#byIfindex.get(l.index) ?? []) this.#dirty.add(dst);
    if (before?.up && !l.up && this.#byIfindex.has(l.index)) this.#deviceFlushed(l.index);
    this.#scheduleFlush();
  }

  /**
   * The device went away or down: the kernel drops its IPv4 routes without notifications (IPv6
   * sends them). Forget single-path routes through it now and re-dump shortly for the rest
   * (multipath routes lose only that next hop).
   */
  #deviceFlushed(ifindex: number): void {
    for (const dst of [...(this.#byIfindex.get(ifindex) ?? [])]) {
      for (const e of [...(this.#kernel.get(dst)?.values() ?? [])]) {
        if (e.hops.length === 1 && e.hops[0].ifindex === ifindex) this.#unset(e);
      }
    }
    this.#scheduleFlush();
    this.#requestRescan(200);
  }

  // ---- state -----------------------------------------------------------------------------------

  #set(e: Entry): void {
    let byPrio = this.#kernel.get(e.dst);
    if (!byPrio) this.#kernel.set(e.dst, (byPrio = new Map()));
    const old = byPrio.get(e.priority);
    if (old) this.#unindex(old);
    byPrio.set(e.priority, e);
    for (const h of e.hops) {
      let s = this.#byIfindex.get(h.ifindex);
      if (!s) this.#byIfindex.set(h.ifindex, (s = new Set()));
      s.add(e.dst);
    }
    this.#dirty.add(e.dst);
  }

  #unset(e: Entry): void {
    const byPrio = this.#kernel.get(e.dst);
    if (!byPrio || byPrio.get(e.priority) !== e) return;
    byPrio.delete(e.priority);
    if (byPrio.size === 0) this.#kernel.delete(e.dst);
    this.#unindex(e);
    this.#dirty.add(e.dst);
  }

  #unindex(e: Entry): void {
    const rest = this.#kernel.get(e.dst);
    for (const h of e.hops) {
      if (rest && [...rest.values()].some((o) => o !== e && o.hops.some((x) => x.ifindex === h.ifindex))) continue;
      const s = this.#byIfindex.get(h.ifindex);
      s?.delete(e.dst);
      if (s?.size === 0) this.#byIfindex.delete(h.ifindex);
    }
  }

  #ignored(name: string | null): boolean {
    return name !== null && this.#ignore.some((re) => re.test(name));
  }

  /** The route to report for a prefix: the lowest metric one with a next hop not ignored. */
  #view(dst: string): AlienRoute | null {
    const byPrio = this.#kernel.get(dst);
    if (!byPrio) return null;
    for (const prio of [...byPrio.keys()].sort((a, b) => a - b)) {
      const e = byPrio.get(prio)!;
      const hops = e.hops
        .map((h) => ({ iface: h.ifindex ? (this.#names.get(h.ifindex)?.name ?? null) : null, gateway: h.gateway }))
        .filter((h) => !this.#ignored(h.iface));
      if (e.type === 'unicast' && hops.length === 0) continue;
      const r: AlienRoute = { dst, iface: hops[0]?.iface ?? null, gateway: hops[0]?.gateway ?? null, type: e.type, protocol: e.protocol, scope: e.scope };
      if (hops.length > 1) r.nextHops = hops;
      return r;
    }
    return null;
  }

  #scheduleFlush(): void {
    if (this.#flushTimer || this.#closed || this.#dirty.size === 0) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null;
      this.#flush();
    }, this.#batchDelay);
  }

  #flush(): void {
    if (this.#flushTimer) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = null;
    }
    if (this.#held || this.#closed) return;
    const batch: AlienBatch = { added: [], removed: [] };
    for (const dst of this.#dirty) {
      const now = this.#view(dst);
      const was = this.#emitted.get(dst);
      if (!now) {
        if (was) {
          this.#emitted.delete(dst);
          batch.removed.push(dst);
        }
      } else if (!was || !sameRoute(was, now)) {
        this.#emitted.set(dst, now);
        batch.added.push(now);
      }
    }
    this.#dirty.clear();
    if (batch.added.length === 0 && batch.removed.length === 0) return;
    this.#stats.batches++;
    try {
      this.#onBatch(batch);
    } catch (err) {
      this.#log?.warn({ err: (err as Error).message }, 'kernel route batch handler threw');
    }
  }
}

function sameRoute(a: AlienRoute, b: AlienRoute): boolean {
  if (a.iface !== b.iface || a.gateway !== b.gateway || a.type !== b.type || a.protocol !== b.protocol || a.scope !== b.scope) return false;
  const x = a.nextHops ?? [];
  const y = b.nextHops ?? [];
  return x.length === y.length && x.every((h, i) => h.iface === y[i].iface && h.gateway === y[i].gateway);
}
