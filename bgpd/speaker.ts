// The speaker: turns the NodeModel's desired sessions (peers/) into running BGP sessions, listens
// for the peers' connections, advertises this node's confirmed blocks and keeps what each peer
// announces in a per-peer Adj-RIB-In. This is the minimal route path that runs until the full RIB
// (bgpd/rib: decision, Loc-RIB, policy, Adj-RIB-Out) is wired in; it owns no kernel state.
import type net from 'node:net';
import type { NodeModel } from '../config/model.js';
import { computeSessions, type DesiredSession } from '../peers/index.js';
import { AFI, SAFI, packUpdates, packWithdrawals, prefixList, type Afi, type PathAttributes } from './wire/index.js';
import { AdjRibIn } from './session/adj-rib-in.js';
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
}

interface Peer {
  desired: DesiredSession;
  key: string;
  session: Session;
  rib: AdjRibIn;
  /** Prefixes we announced on the current connection, per family. */
  advertised: Set<string>;
}

export class Speaker {
  readonly #opts: SpeakerOptions;
  #model: NodeModel | null = null;
  #peers = new Map<string, Peer>();
  #listeners = new Map<string, Listener>();

  constructor(opts: SpeakerOptions) {
    this.#opts = opts;
  }

  /** Bring sessions and listeners in line with a model; unchanged sessions are left alone. */
  async apply(model: NodeModel): Promise<void> {
    const oldModel = this.#model;
    this.#model = model;
    const plan = model.nodeFound && model.routerId ? computeSessions(model) : { sessions: [], problems: [] };
    for (const p of plan.problems) this.#opts.log.warn({ source: p.source }, p.message);
    await this.#applyListeners(model, plan.sessions);
    const wanted = new Map(plan.sessions.map((d) => [d.name, d]));
    for (const [name, peer] of this.#peers) {
      const d = wanted.get(name);
      if (!d || JSON.stringify(d) !== peer.key || oldModel?.routerId !== model.routerId || oldModel?.asNumber !== model.asNumber) {
        peer.session.stop('configuration changed');
        this.#setKey(peer.desired, null);
        this.#peers.delete(name);
      }
    }
    for (const d of plan.sessions) {
      if (this.#peers.has(d.name)) continue;
      this.#setKey(d, d.password ?? null);
      const peer: Peer = { desired: d, key: JSON.stringify(d), session: new Session(this.#sessionConfig(model, d), this.#listener), rib: new AdjRibIn(), advertised: new Set() };
      this.#peers.set(d.name, peer);
      peer.session.start();
      this.#opts.log.info({ session: d.name, peer: d.peerAddress, passive: d.passive }, 'session configured');
    }
    // Blocks may have changed: bring every established session's announcements up to date.
    for (const peer of this.#peers.values()) if (peer.session.state === 'Established') this.#syncAdvertised(peer);
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
        this.#opts.log.error({ session: d.name, err: (e as Error).message }, 'cannot set TCP MD5 key');
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
      const p = this.#peerOf(s);
      if (!p) return;
      this.#opts.log.info({ session: s.name, peerId: n.peerId, hold: n.holdTime }, 'session established');
      p.advertised.clear();
      this.#syncAdvertised(p);
      // RFC 4724 §4.1/§4.2: End-of-RIB after the initial table, for every negotiated family.
      for (const afi of this.#families(p)) s.sendEndOfRib(afi);
    },
    update: (s, u) => {
      const p = this.#peerOf(s);
      if (!p) return;
      // RFC 4271 §9.1.2: a route whose AS_PATH already holds our AS is a loop; BIRD drops it at
      // import unless numAllowedLocalASNumbers allows that many occurrences.
      const mine = (u.attributes.asPath ?? []).reduce((n, seg) => n + seg.asns.filter((a) => a === p.desired.localAS).length, 0);
      p.rib.apply(mine > (p.desired.numAllowedLocalAS ?? 0) ? { ...u, treatAsWithdraw: true } : u);
    },
    endOfRib: (s, afi) => this.#opts.log.info({ session: s.name, afi, routes: this.#peerOf(s)?.rib.count(afi) ?? 0 }, 'End-of-RIB received'),
    routeRefresh: (s, afi, subtype) => {
      const p = this.#peerOf(s);
      if (!p || subtype !== 0) return;
      // RFC 7313 §4: with enhanced route refresh, the table goes between BoRR and EoRR.
      const enhanced = s.negotiated?.enhancedRouteRefresh ?? false;
      if (enhanced) s.sendRouteRefresh(afi, 1);
      this.#announce(p, afi, this.#blocks(afi));
      if (enhanced) s.sendRouteRefresh(afi, 2);
    },
    down: (s, info) => {
      const p = this.#peerOf(s);
      if (!p) return;
      this.#opts.log.warn({ session: s.name, reason: info.reason, keepStale: info.keepStale }, 'session down');
      p.advertised.clear();
      if (info.keepStale) p.rib.markStale();
      else p.rib.clear();
    },
    staleSweep: (s, afi) => {
      const n = this.#peerOf(s)?.rib.sweep(afi) ?? 0;
      this.#opts.log.info({ session: s.name, afi, removed: n }, 'stale routes swept');
    },
    drain: () => {},
  };

  #families(p: Peer): Afi[] {
    const f = p.session.negotiated?.families;
    return [...(f?.ipv4 ? [AFI.IPv4] : []), ...(f?.ipv6 ? [AFI.IPv6] : [])];
  }

  #blocks(afi: Afi): string[] {
    const v6 = afi === AFI.IPv6;
    return (this.#model?.localBlocks ?? []).filter((b) => b.includes(':') === v6);
  }

  /** Announce what is missing and withdraw what is no longer ours. */
  #syncAdvertised(p: Peer): void {
    for (const afi of this.#families(p)) {
      const want = this.#blocks(afi);
      const gone = [...p.advertised].filter((b) => b.includes(':') === (afi === AFI.IPv6) && !want.includes(b));
      this.#withdraw(p, afi, gone);
      this.#announce(p, afi, want.filter((b) => !p.advertised.has(b)));
    }
  }

  #attributes(p: Peer, afi: Afi): PathAttributes | null {
    const local = p.session.localAddress;
    const ibgp = p.desired.localAS === p.desired.peerAS;
    const base: PathAttributes = { origin: 0, asPath: ibgp ? [] : [{ type: 2, asns: [p.desired.localAS] }], ...(ibgp ? { localPref: 100 } : {}) };
    if (afi === AFI.IPv4) {
      const nh = local && !local.includes(':') ? local : this.#model?.ipv4?.address;
      return nh ? { ...base, nextHop: nh } : null;
    }
    const nh = local && local.includes(':') ? local : this.#model?.ipv6?.address;
    return nh ? { ...base, mpReach: { afi, safi: SAFI.Unicast, nextHops: [nh], nlri: prefixList(afi, []) } } : null;
  }

  #announce(p: Peer, afi: Afi, prefixes: string[]): void {
    const attrs = this.#attributes(p, afi);
    const ctx = p.session.encodeContext;
    if (!attrs || !ctx || prefixes.length === 0) return;
    p.session.send(packUpdates(attrs, prefixList(afi, prefixes), ctx));
    for (const b of prefixes) p.advertised.add(b);
  }

  #withdraw(p: Peer, afi: Afi, prefixes: string[]): void {
    const ctx = p.session.encodeContext;
    if (!ctx || prefixes.length === 0) return;
    p.session.send(packWithdrawals(prefixList(afi, prefixes), ctx));
    for (const b of prefixes) p.advertised.delete(b);
  }

  /** Status of every session, for the control socket. */
  status(): SessionStatus[] {
    return [...this.#peers.values()].map((p) => p.session.status());
  }

  session(name: string): Session | undefined {
    return this.#peers.get(name)?.session;
  }

  /** A peer's Adj-RIB-In (what it announced to us). */
  adjRibIn(name: string): AdjRibIn | undefined {
    return this.#peers.get(name)?.rib;
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
