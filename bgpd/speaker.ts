// The speaker: turns the NodeModel's desired sessions (peers/) into running BGP sessions, listens
// for the peers' connections and puts the RIB (bgpd/rib) under them: what peers announce goes
// through import policy and the decision process, this node's own routes (policy.originated()) are
// originated into it, and every peer gets the best routes through its export policy. It owns no
// kernel state: best-path changes go to onBestChange listeners as plain data.
import type net from 'node:net';
import type { NodeModel } from '../config/model.js';
import { computeSessions, type DesiredSession } from '../peers/index.js';
import { ipv4ToString, parseIpv4, prefixToString, v4PrefixAt, type PrefixList, type UpdateMessage, type UpdateScan } from './wire/index.js';
import type { TraceLog } from './control/index.js';
import { compilePolicy, type Policy } from './policy/index.js';
import { warmUp } from './rib/warmup.js';
import { AdjRibInView, Rib, type BestChange, type RibPeerConfig, type RibRouteView } from './rib/index.js';
import { routerIdFromText } from './session/negotiate.js';
import { Session, type SessionConfig, type SessionListener, type SessionStatus } from './session/session.js';
import { Listener } from './session/transport.js';

export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface SpeakerOptions {
  /** Listen port for every session instead of the configured one (tests, unprivileged runs). */
  port?: number;
  log: Log;
  /** RFC 4724 restarting speaker: the first OPEN of each session carries the R and forwarding bits. */
  restarting: boolean;
  /** BGP hold time we offer (BIRD's default 240 s). */
  holdTime?: number;
  connectRetryTime?: number;
  backoff?: { initialMs: number; maxMs: number };
  /**
   * The route trace (bgpctl trace): what each peer announced and withdrew, and what went out to whom.
   * Costs a text per prefix, so the daemon gives it where it programs the kernel.
   */
  trace?: TraceLog;
  /** A logger per peer (a pino child carrying the peer's name and neighbour); the shared log if absent. */
  peerLog?: (session: string, neighbor: string) => Log;
  /** Max-prefix guard: a peer sending more prefixes than this is torn down with Cease/1. */
  maxPrefixes?: number;
  /**
   * converged() turns true this long after the first apply even when some session is not up or
   * has not sent End-of-RIB (BIRD's graceful restart wait, 240 s).
   */
  convergeWaitMs?: number;
  /**
   * Before the first session starts, run a synthetic table through a throwaway RIB so the first real
   * table meets optimised code (bgpd/rib/warmup.ts); default on, once per process.
   */
  warmUp?: boolean;
}

/** Generous enough for a full Internet table, small enough to stop a runaway peer. */
export const DEFAULT_MAX_PREFIXES = 2_000_000;

interface Peer {
  desired: DesiredSession;
  key: string;
  session: Session;
}

export class Speaker {
  readonly #opts: SpeakerOptions;
  #model: NodeModel | null = null;
  #peers = new Map<string, Peer>();
  #listeners = new Map<string, Listener>();
  #rib: Rib | null = null;
  #ribKey = '';
  #bestListeners: ((changes: BestChange[]) => void)[] = [];
  /** Other programs' kernel routes by prefix, carried over to a new RIB. */
  #kernelRoutes = new Map<string, { iface: string | null; gateway: string | null }>();
  #startedAt = 0;
  #policy: Policy | null = null;
  #planned: DesiredSession[] = [];

  constructor(opts: SpeakerOptions) {
    this.#opts = opts;
  }

  /**
   * Bring sessions and listeners in line with a model; unchanged sessions are left alone. Calls run
   * one after another in the order made: an apply waits on listeners (and the first on the warm-up),
   * and one overtaking another would let the older model win — a BGPPeer deleted while the previous
   * change was still binding its listener came back.
   */
  apply(model: NodeModel): Promise<void> {
    const run = this.#applied.then(() => this.#apply(model));
    this.#applied = run.catch(() => undefined);
    return run;
  }

  #applied: Promise<unknown> = Promise.resolve();

  async #apply(model: NodeModel): Promise<void> {
    const oldModel = this.#model;
    const first = this.#startedAt === 0;
    if (first) this.#startedAt = Date.now();
    this.#model = model;
    const plan = model.nodeFound && model.routerId ? computeSessions(model) : { sessions: [], problems: [] };
    for (const p of plan.problems) this.#opts.log.warn({ source: p.source }, p.message);
    // Compiled before anything that can fail (a listener), so the kernel follows a model even then.
    const policy = compilePolicy(model);
    this.#policy = policy;
    // Before the first session starts, with the policy its RIB will use. Only a speed-up: whatever
    // goes wrong in it, the sessions start all the same.
    if (first && this.#opts.warmUp !== false) {
      await warmUp(policy).then(
        (ms) => ms && this.#opts.log.debug({ ms: Math.round(ms) }, 'RIB code warmed up on a synthetic table'),
        (e: Error) => this.#opts.log.warn({ err: e.message }, 'RIB warm-up failed'),
      );
    }
    this.#planned = plan.sessions;
    await this.#applyListeners(model, plan.sessions);
    const wanted = new Map(plan.sessions.map((d) => [d.name, d]));
    const ribKey = `${model.routerId ?? ''}|${model.asNumber}|${model.clusterId ?? ''}`;
    for (const [name, peer] of this.#peers) {
      const d = wanted.get(name);
      if (!d || JSON.stringify(d) !== peer.key || oldModel?.routerId !== model.routerId || oldModel?.asNumber !== model.asNumber || ribKey !== this.#ribKey) {
        peer.session.stop('configuration changed');
        this.#setKey(peer.desired, null);
        this.#peers.delete(name);
        this.#rib?.removePeer(name);
      }
    }
    const rib = this.#ribFor(model, ribKey);
    // Policy first: peers whose policy key changed get their export looked at again.
    rib.setPolicy(policy);
    rib.setOriginated(policy.originated().map((o) => o.prefix));
    for (const d of plan.sessions) {
      if (this.#peers.has(d.name)) continue;
      this.#setKey(d, d.password ?? null);
      rib.addPeer(this.#ribPeer(d));
      const peer: Peer = { desired: d, key: JSON.stringify(d), session: new Session(this.#sessionConfig(model, d), this.#listener) };
      this.#peers.set(d.name, peer);
      peer.session.start();
      this.#logFor(d.name).info({ session: d.name, peer: d.peerAddress, passive: d.passive }, 'session configured');
    }
  }

  /** The RIB for this router id, AS and cluster id; a change of any of them starts a new one. */
  #ribFor(model: NodeModel, key: string): Rib {
    if (this.#rib && key === this.#ribKey) return this.#rib;
    const routerId = model.routerId ? routerIdFromText(model.routerId) : 0;
    const clusterId = model.clusterId ? parseIpv4(model.clusterId) : null;
    const rib = new Rib({
      routerId,
      localAs: model.asNumber,
      clusterId: clusterId ?? (model.clusterId ? routerId : null),
      ...(this.#opts.trace ? { onAdvertised: (peer: string, prefix: string, withdrawn: boolean) => this.#opts.trace!.record({ type: withdrawn ? 'withdrawn-from' : 'advertised', prefix, at: Date.now(), peer }) } : {}),
      onMaxPrefix: (name, limit) => {
        const s = this.#peers.get(name)?.session;
        if (!s || s.state !== 'Established') return;
        this.#logFor(name).warn({ session: name, limit }, 'maximum number of prefixes reached');
        // RFC 4486 §4: Cease / Maximum Number of Prefixes Reached, with AFI, SAFI and the limit.
        const afi = this.#peers.get(name)!.desired.family === 4 ? 1 : 2;
        const data = Buffer.alloc(7);
        data.writeUInt16BE(afi, 0);
        data[2] = 1;
        data.writeUInt32BE(Math.min(limit, 0xffffffff), 3);
        s.automaticStop({ code: 6, subcode: 1, data }, 'Maximum number of prefixes reached');
      },
    });
    for (const fn of this.#bestListeners) rib.onBestChange(fn);
    rib.setKernelRoutes([...this.#kernelRoutes].map(([prefix, r]) => ({ prefix, iface: r.iface })), []);
    this.#rib = rib;
    this.#ribKey = key;
    return rib;
  }

  #ribPeer(d: DesiredSession): RibPeerConfig {
    return {
      name: d.name,
      peerAddress: d.peerAddress,
      localAs: d.localAS,
      peerAs: d.peerAS,
      family: d.family,
      rrClient: d.rrClient,
      nextHop: d.nextHop,
      numAllowedLocalAS: d.numAllowedLocalAS ?? 0,
      filters: d.filters,
      maxPrefixes: this.#opts.maxPrefixes ?? DEFAULT_MAX_PREFIXES,
    };
  }

  #sessionConfig(model: NodeModel, d: DesiredSession): SessionConfig {
    const o = this.#opts;
    return {
      name: d.name,
      peerAddress: d.peerAddress,
      peerPort: d.peerPort,
      localAs: d.localAS,
      peerAs: d.peerAS,
      routerId: routerIdFromText(model.routerId!),
      ...(d.localAddress ? { localAddress: d.localAddress } : {}),
      passive: d.passive,
      ...(d.password ? { password: d.password } : {}),
      ...(d.ttlSecurity !== undefined ? { ttlSecurity: d.ttlSecurity } : {}),
      multihop: d.multihop,
      holdTime: o.holdTime ?? 240,
      ...(d.keepaliveTime !== undefined ? { keepaliveTime: d.keepaliveTime } : {}),
      connectRetryTime: o.connectRetryTime ?? 30,
      families: { ipv4: d.family === 4, ipv6: d.family === 6 },
      addPathReceive: false,
      addPathSend: false,
      extendedMessage: true,
      gracefulRestartTime: d.gracefulRestartTime,
      restarting: () => this.#opts.restarting && this.#peers.get(d.name)?.session.status().establishedCount === 0,
      backoff: o.backoff ?? { initialMs: 2000, maxMs: 60_000 },
      attrKey: true,
    };
  }

  async #applyListeners(model: NodeModel, sessions: DesiredSession[]): Promise<void> {
    const port = this.#opts.port ?? model.listenPort;
    const addresses = model.bindMode === 'NodeIP' ? [model.ipv4?.address, model.ipv6?.address].filter((a): a is string => !!a) : ['0.0.0.0', '::'];
    const key = `${port}|${addresses.join(',')}`;
    for (const [k, l] of this.#listeners) {
      if (k !== key || sessions.length === 0) {
        await l.close();
        this.#listeners.delete(k);
      }
    }
    if (sessions.length === 0 || this.#listeners.has(key)) return;
    const l = new Listener({ port, addresses });
    l.onConnection((s) => this.#incoming(s));
    await l.start();
    this.#listeners.set(key, l);
    for (const p of this.#peers.values()) if (p.desired.password) l.setKey(p.desired.peerAddress, p.desired.password);
  }

  #setKey(d: DesiredSession, key: string | null): void {
    for (const l of this.#listeners.values()) {
      try {
        l.setKey(d.peerAddress, key);
      } catch (e) {
        this.#logFor(d.name).error({ session: d.name, err: (e as Error).message }, 'cannot set TCP MD5 key');
      }
    }
  }

  /** §8.2.2 events 14/15: a connection from a configured peer is valid, any other is refused. */
  #incoming(sock: net.Socket): void {
    const remote = (sock.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
    const candidates = [...this.#peers.values()].filter((p) => p.desired.peerAddress === remote);
    const peer = candidates.find((p) => p.session.state !== 'Established') ?? candidates[0];
    if (!peer) {
      this.#opts.log.debug({ remote }, 'connection from an unknown address refused');
      sock.destroy();
      return;
    }
    peer.session.acceptIncoming(sock);
  }

  #peerOf(s: Session): Peer | undefined {
    const p = this.#peers.get(s.name);
    return p && p.session === s ? p : undefined;
  }

  readonly #listener: SessionListener = {
    established: (s, n) => {
      if (!this.#peerOf(s)) return;
      this.#logFor(s.name).info({ session: s.name, peerId: n.peerId, hold: n.holdTime }, 'session established');
      // The RIB sends the table, then End-of-RIB (RFC 4724 §4.1).
      this.#rib?.up(s.name, s, n.peerId);
      // RFC 4724 §2: End-of-RIB comes from graceful-restart speakers; do not wait for it otherwise.
      if (!n.peerGracefulRestart) this.#rib?.endOfRib(s.name);
    },
    update: (s, u) => {
      if (!this.#peerOf(s)) return;
      if (this.#opts.trace) this.#traceUpdate(s.name, u);
      this.#rib?.update(s.name, u, s.negotiated?.as4 ?? true);
    },
    updateBytes: (s, buf, start, end) => {
      const rib = this.#rib;
      if (!rib || !this.#peerOf(s) || !rib.ingest(s.name, buf, start, end)) return false;
      if (this.#opts.trace) this.#traceScanned(s.name, buf, rib.scanned);
      return true;
    },
    endOfRib: (s, afi) => {
      if (!this.#peerOf(s)) return;
      this.#rib?.endOfRib(s.name);
      this.#logFor(s.name).info({ session: s.name, afi, routes: this.#rib?.counts(s.name)?.received ?? 0 }, 'End-of-RIB received');
    },
    routeRefresh: (s, _afi, subtype) => {
      if (!this.#peerOf(s) || subtype !== 0) return;
      // RFC 7313 §4: with enhanced route refresh, the table goes between BoRR and EoRR.
      this.#rib?.refresh(s.name, s.negotiated?.enhancedRouteRefresh ?? false);
    },
    down: (s, info) => {
      if (!this.#peerOf(s)) return;
      this.#logFor(s.name).warn({ session: s.name, reason: info.reason, keepStale: info.keepStale }, 'session down');
      this.#rib?.down(s.name, info.keepStale);
    },
    staleSweep: (s, afi) => {
      if (!this.#peerOf(s)) return;
      const n = this.#rib?.sweep(s.name, afi) ?? 0;
      this.#logFor(s.name).info({ session: s.name, afi, removed: n }, 'stale routes swept');
    },
    drain: (s) => {
      if (this.#peerOf(s)) this.#rib?.drain(s.name);
    },
  };

  /** Status of every session, for the control socket. */
  status(): SessionStatus[] {
    return [...this.#peers.values()].map((p) => p.session.status());
  }

  session(name: string): Session | undefined {
    return this.#peers.get(name)?.session;
  }

  /** A peer's Adj-RIB-In (what it announced to us), by prefix text. */
  adjRibIn(name: string): AdjRibInView | undefined {
    return this.#peers.has(name) && this.#rib ? new AdjRibInView(this.#rib, name) : undefined;
  }

  /** Every path of every prefix; each prefix's paths adjacent, best first. */
  routes(): Iterable<RibRouteView> {
    return this.#rib ? this.#rib.routes() : [];
  }

  /** The paths of exactly this prefix, best first. */
  routesOf(prefix: string): RibRouteView[] {
    return this.#rib ? this.#rib.routesOf(prefix) : [];
  }

  /** Paths held (accepted by import) and prefixes with a best path; O(1). */
  routeCount(): { routes: number; networks: number } {
    return this.#rib ? this.#rib.routeCount() : { routes: 0, networks: 0 };
  }

  peerCounts(session: string): { received: number; imported: number; filtered: number; exported: number; preferred: number } | null {
    return this.#rib?.counts(session) ?? null;
  }

  /**
   * Routes other programs keep in the kernel (Felix's pod routes, static routes): this node's own,
   * like its blocks, and exported as Calico's policy says (a borrowed /32 is; pod routes inside our
   * blocks are not). `added` replaces what a prefix had.
   */
  setKernelRoutes(added: { prefix: string; iface: string | null; gateway?: string | null }[], removed: string[]): void {
    for (const p of removed) this.#kernelRoutes.delete(p);
    for (const r of added) this.#kernelRoutes.set(r.prefix, { iface: r.iface, gateway: r.gateway ?? null });
    this.#rib?.setKernelRoutes(added, removed);
  }

  /** Counts of this node's own routes: originated (static1's blackholes) and learned from the kernel. */
  localCounts(): { originated: number; kernel: number } {
    return this.#rib?.localCounts() ?? { originated: 0, kernel: this.#kernelRoutes.size };
  }

  /** learned / withdrawn events of one UPDATE (RFC 7606 treat-as-withdraw counts as withdrawn). */
  #traceUpdate(peer: string, u: UpdateMessage): void {
    const trace = this.#opts.trace!;
    const at = Date.now();
    const gone = (list: PrefixList | undefined): void => {
      for (let i = 0; list && i < list.count; i++) trace.record({ type: 'withdrawn', prefix: prefixToString(list, i), at, peer });
    };
    const learned = (list: PrefixList | undefined, nextHop: string | undefined): void => {
      if (u.treatAsWithdraw) return gone(list);
      for (let i = 0; list && i < list.count; i++) trace.record({ type: 'learned', prefix: prefixToString(list, i), at, peer, nextHop: nextHop ?? null });
    };
    gone(u.withdrawn);
    gone(u.attributes.mpUnreach?.nlri);
    learned(u.nlri, u.attributes.nextHop);
    learned(u.attributes.mpReach?.nlri, u.attributes.mpReach?.nextHops[0]);
  }

  /** #traceUpdate for an UPDATE the RIB took from its bytes: its prefixes are read from them. */
  #traceScanned(peer: string, buf: Buffer, s: Readonly<UpdateScan>): void {
    const trace = this.#opts.trace!;
    const at = Date.now();
    const text = (o: number): string => `${ipv4ToString(v4PrefixAt(buf, o))}/${buf[o]}`;
    for (let o = s.wStart; o < s.wEnd; o += 1 + ((buf[o] + 7) >> 3)) trace.record({ type: 'withdrawn', prefix: text(o), at, peer });
    if (s.nlriCount === 0) return;
    const nextHop = ipv4ToString(s.nextHop);
    for (let o = s.nStart; o < s.nEnd; o += 1 + ((buf[o] + 7) >> 3)) trace.record({ type: 'learned', prefix: text(o), at, peer, nextHop });
  }

  /** The peer's own logger where one is configured. */
  #logFor(session: string): Log {
    const d = this.#peers.get(session)?.desired;
    return d && this.#opts.peerLog ? this.#opts.peerLog(session, d.peerAddress) : this.#opts.log;
  }

  /** Calico's policy compiled from the last model applied (null before the first). */
  get policy(): Policy | null {
    return this.#policy;
  }

  /** The sessions the last model asked for, as peers/ computed them. */
  desiredSessions(): readonly DesiredSession[] {
    return this.#planned;
  }

  /** The peer is our route-reflector client (RFC 4456). */
  isRrClient(session: string): boolean {
    return this.#peers.get(session)?.desired.rrClient ?? false;
  }

  /** A kernel route of another program this node holds for exactly this prefix. */
  kernelRoute(prefix: string): { iface: string | null; gateway: string | null } | undefined {
    return this.#kernelRoutes.get(prefix);
  }

  /** Best-path changes, batched after each decision batch. */
  onBestChange(fn: (changes: BestChange[]) => void): void {
    this.#bestListeners.push(fn);
    this.#rib?.onBestChange(fn);
  }

  /**
   * Every configured session Established with its End-of-RIB received (or the graceful-restart
   * wait over), and the RIB idle.
   */
  converged(): boolean {
    const rib = this.#rib;
    if (!rib || !rib.idle) return false;
    if (Date.now() - this.#startedAt >= (this.#opts.convergeWaitMs ?? 240_000)) return true;
    for (const p of this.#peers.values()) {
      if (p.session.state !== 'Established' || !rib.peer(p.desired.name)?.eorReceived) return false;
    }
    return true;
  }

  /** The RIB itself, for tests and diagnostics. */
  get rib(): Rib | null {
    return this.#rib;
  }

  /**
   * Stop every session. `graceful`: close the TCP connections without NOTIFICATION so that peers
   * keep our routes through a restart (RFC 4724); otherwise a Cease with `message` (RFC 9003).
   */
  async stop(opts: { graceful: boolean; message?: string }): Promise<void> {
    for (const p of this.#peers.values()) {
      if (opts.graceful) p.session.abort();
      else p.session.stop(opts.message ?? 'shutdown');
    }
    this.#peers.clear();
    for (const l of this.#listeners.values()) await l.close();
    this.#listeners.clear();
  }
}
