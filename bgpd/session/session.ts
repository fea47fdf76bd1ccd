// One BGP session with one peer: it owns the connection(s) and their FSMs, the connect-retry and
// idle-hold (backoff) timers, collision detection (RFC 4271 §6.8), graceful restart as the helper
// (RFC 4724 §4.2, via GracefulRestartHelper), and the API the RIB uses: events for established /
// update / End-of-RIB / refresh / down / stale sweep, and methods to send pre-packed UPDATEs with
// backpressure. It does not hold routes: the listener does.
import type net from 'node:net';
import { AFI, SAFI, encodeMessage, type DecodeOptions, endOfRib, isEndOfRib, shutdownNotification, type Afi, type CodecContext, type OpenMessage, type RouteRefreshMessage, type UpdateMessage } from '../wire/index.js';
import { Connection, type ConnectionOwner, type Counters, type OpenDecision } from './connection.js';
import { CEASE, initialFsm, type StateName } from './fsm.js';
import { GracefulRestartHelper } from './graceful.js';
import { buildOpen, negotiate, type Families, type LocalCapabilities, type Negotiated } from './negotiate.js';
import { Timer, backoffDelay, jitter, type BackoffOptions } from './timers.js';
import { applySocketOptions, connectTcp } from './transport.js';
import { familyOf } from './sockopt.js';

export interface SessionConfig {
  /** Protocol name as BIRD shows it (Mesh_10_0_0_2). */
  name: string;
  peerAddress: string;
  peerPort: number;
  localAs: number;
  peerAs: number;
  routerId: number;
  localAddress?: string;
  passive: boolean;
  password?: string;
  /** GTSM: the peer is at most this many hops away. */
  ttlSecurity?: number;
  /** TTL 64 when true; else eBGP peers must be directly connected (TTL 1). */
  multihop: boolean;
  holdTime: number;
  keepaliveTime?: number;
  /** Seconds between connection attempts while one hangs (RFC 4271 ConnectRetryTime). */
  connectRetryTime: number;
  families: Families;
  addPathReceive: boolean;
  addPathSend: boolean;
  extendedMessage: boolean;
  /** RFC 4724 restart time announced; 0 leaves graceful restart out. */
  gracefulRestartTime: number;
  /** Asked when our OPEN is built: true while this speaker restarts (R and forwarding bits). */
  restarting: () => boolean;
  backoff: BackoffOptions;
  /** Decode UPDATEs with UpdateMessage.attrKey (the raw attribute bytes the RIB interns on). */
  attrKey?: boolean;
}

export interface DownInfo {
  reason: string;
  /** Graceful restart (RFC 4724 §4.2): keep this peer's routes, marked stale, rather than drop them. */
  keepStale: boolean;
}

/** What the RIB hears from a session; every handler is called synchronously, in wire order. */
export interface SessionListener {
  established(s: Session, n: Negotiated): void;
  update(s: Session, u: UpdateMessage): void;
  /** An UPDATE body as received (see ConnectionOwner.updateBytes): true when taken as it is. */
  updateBytes?(s: Session, buf: Buffer, start: number, end: number): boolean;
  endOfRib(s: Session, afi: Afi): void;
  routeRefresh(s: Session, afi: Afi, subtype: 0 | 1 | 2): void;
  down(s: Session, info: DownInfo): void;
  /** Drop the stale routes of one family (null: all families) now. */
  staleSweep(s: Session, afi: Afi | null): void;
  /** The socket accepts more after send() returned false. */
  drain(s: Session): void;
}

export interface SessionStatus {
  name: string;
  peerAddress: string;
  peerPort: number;
  localAs: number;
  peerAs: number;
  state: StateName;
  /** When the state last changed (ms since the epoch). */
  since: number;
  lastError: string;
  peerId: number | null;
  holdTime: number | null;
  keepaliveTime: number | null;
  families: Families | null;
  gracefulRestart: 'none' | 'peer-restarting';
  /** The established TCP connection: addresses, ports, and which side opened it (§6.8). */
  connection: { localAddress: string; localPort: number; remoteAddress: string; remotePort: number; initiatedBy: 'us' | 'peer' } | null;
  connectAttempts: number;
  establishedCount: number;
  counters: Counters;
}

const STATE_RANK: Record<StateName, number> = { Idle: 0, Connect: 1, Active: 1, OpenSent: 2, OpenConfirm: 3, Established: 4 };

export class Session implements ConnectionOwner {
  readonly config: SessionConfig;
  readonly counters: Counters = { messagesIn: 0, messagesOut: 0, updatesIn: 0, updatesOut: 0, notificationsIn: 0, notificationsOut: 0 };
  readonly #listener: SessionListener;
  /** The connection the FSM of the session lives on; a collision adds #second for a while. */
  #main: Connection;
  #second: Connection | null = null;
  #connectRetry: Timer;
  #idleHold: Timer;
  #failures = 0;
  #connectAttempts = 0;
  #establishedCount = 0;
  #since = Date.now();
  #lastError = '';
  #stopped = true;
  #lastNotification: { sent: boolean; text: string } | null = null;
  readonly #gr: GracefulRestartHelper;
  readonly decodeOptions: DecodeOptions;

  constructor(config: SessionConfig, listener: SessionListener) {
    this.config = config;
    this.#listener = listener;
    this.decodeOptions = config.attrKey ? { attrKey: true } : {};
    this.#main = new Connection(this, initialFsm(config.passive));
    this.#connectRetry = new Timer(() => this.#main.fire({ type: 'ConnectRetryTimer_Expires' }));
    this.#idleHold = new Timer(() => this.#main.fire({ type: 'IdleHoldTimer_Expires' }));
    this.#gr = new GracefulRestartHelper((afi) => this.#listener.staleSweep(this, afi));
  }

  get name(): string {
    return this.config.name;
  }

  get state(): StateName {
    const s = this.#second;
    return s && STATE_RANK[s.state] > STATE_RANK[this.#main.state] ? s.state : this.#main.state;
  }

  get negotiated(): Negotiated | null {
    return this.#main.state === 'Established' ? this.#main.negotiated : null;
  }

  /** AutomaticStart (RFC 4271 §8.1.2), damped: the first attempt goes at once, later ones back off. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#failures = 0;
    this.#autoStart();
  }

  /**
   * ManualStop: Cease / Administrative Shutdown with an RFC 9003 message, or Administrative Reset
   * when `reset` (the session comes back). Routes are dropped, not kept stale.
   */
  stop(message = '', reset = false): void {
    this.#stopped = true;
    const n = shutdownNotification(reset ? CEASE.AdministrativeReset : CEASE.AdministrativeShutdown, message);
    const notification = { code: n.code, subcode: n.subcode, data: n.data };
    const cause = `Administrative ${reset ? 'reset' : 'shutdown'}${message ? `: ${message}` : ''}`;
    for (const c of [this.#second, this.#main]) c?.fire({ type: 'ManualStop', notification }, cause);
    this.#second = null;
    this.#idleHold.stop();
    this.#connectRetry.stop();
    this.#gr.cancel();
    if (reset) {
      this.#stopped = false;
      this.#failures = 0;
      this.#autoStart();
    }
  }

  /**
   * AutomaticStop (RFC 4271 §8.1.2 event 8) with a NOTIFICATION, e.g. Cease / Maximum Number of
   * Prefixes Reached (RFC 4486): the session goes down and comes back after the usual backoff.
   */
  automaticStop(notification: { code: number; subcode: number; data?: Buffer }, cause: string): void {
    this.#main.fire({ type: 'AutomaticStop', notification }, cause);
  }

  /**
   * Close every connection without a NOTIFICATION (a restart, as far as the peer can tell): a peer
   * that helps with graceful restart keeps our routes (RFC 4724 §4.2).
   */
  abort(): void {
    this.#stopped = true;
    this.#idleHold.stop();
    this.#connectRetry.stop();
    this.#gr.cancel();
    this.#second?.drop();
    this.#second = null;
    this.#main.drop();
    this.#main = new Connection(this, initialFsm(this.config.passive));
    this.#since = Date.now();
  }

  /** Our address on the established connection: the next hop we announce (BIRD's next hop self). */
  get localAddress(): string | null {
    if (this.#main.state !== 'Established') return null;
    const a = this.#main.socket?.localAddress;
    return a ? a.replace(/^::ffff:(?=\d+\.)/, '') : null;
  }

  /** An incoming TCP connection from this peer's address (§8.2.2 events 14-17, §6.8). */
  acceptIncoming(sock: net.Socket): void {
    if (this.#stopped) {
      sock.destroy();
      return;
    }
    this.#applyOptions(sock);
    const main = this.#main;
    switch (main.state) {
      case 'Idle':
        // Waiting out a backoff: the peer is back, so stop waiting rather than refuse it.
        if (!this.#idleHold.running) {
          sock.destroy();
          return;
        }
        // Passive start: take the peer's connection without opening one of our own beside it.
        this.#idleHold.stop();
        main.fire({ type: 'AutomaticStart_with_PassiveTcpEstablishment' });
        this.#adopt(main, sock);
        return;
      case 'Active':
        this.#adopt(main, sock);
        return;
      case 'Connect':
      case 'OpenSent':
      case 'OpenConfirm': {
        // Our own connection exists (or is being opened): run the peer's as a second one until an
        // OPEN decides which stays (§6.8). Dropping ours here would let both sides drop theirs.
        this.#second?.fire({ type: 'OpenCollisionDump' }, 'Connection collision');
        const second = new Connection(this, { ...initialFsm(true), state: 'Active' });
        this.#second = second;
        second.attach(sock, false);
        second.fire({ type: 'TcpConnectionConfirmed' });
        return;
      }
      case 'Established':
        // CollisionDetectEstablishedState is off: the established connection stays.
        sock.destroy();
        return;
    }
  }

  #adopt(conn: Connection, sock: net.Socket): void {
    if (conn.socket) conn.drop(); // our own attempt still connecting
    conn.attach(sock, false);
    conn.fire({ type: 'TcpConnectionConfirmed' });
  }

  #applyOptions(sock: net.Socket): void {
    try {
      applySocketOptions(sock, familyOf(this.config.peerAddress), this.#ttlOptions());
    } catch {
      /* the socket may already be gone; its close event follows */
    }
  }

  #ttlOptions(): { ttl?: number; minTtl?: number } {
    const c = this.config;
    if (c.ttlSecurity !== undefined) return { ttl: 255, minTtl: 256 - Math.max(1, c.ttlSecurity) };
    const ebgp = c.localAs !== c.peerAs;
    return { ttl: c.multihop ? 64 : ebgp ? 1 : 64 };
  }

  // ---- ConnectionOwner ----

  localOpen(): OpenMessage {
    return buildOpen(this.#localCapabilities());
  }

  #localCapabilities(): LocalCapabilities {
    const c = this.config;
    const restarting = c.restarting();
    return {
      localAs: c.localAs,
      routerId: c.routerId,
      holdTime: c.holdTime,
      ...(c.keepaliveTime !== undefined ? { keepaliveTime: c.keepaliveTime } : {}),
      families: c.families,
      addPathReceive: c.addPathReceive,
      addPathSend: c.addPathSend,
      extendedMessage: c.extendedMessage,
      gracefulRestart: c.gracefulRestartTime > 0 ? { restartTime: c.gracefulRestartTime, restarting, forwarding: restarting } : null,
    };
  }

  startConnectRetryTimer(): void {
    this.#connectRetry.start(jitter(this.config.connectRetryTime * 1000));
  }

  stopConnectRetryTimer(): void {
    this.#connectRetry.stop();
  }

  startIdleHoldTimer(): void {
    this.#idleHold.start(backoffDelay(this.#failures, this.config.backoff));
  }

  initiateTcp(conn: Connection): void {
    this.#connectAttempts++;
    const c = this.config;
    try {
      // The connection reads straight from the socket's reused buffer (see Connection.receive).
      const sock: net.Socket = connectTcp({
        onData: (chunk) => conn.receive(sock, chunk),
        peerAddress: c.peerAddress,
        peerPort: c.peerPort,
        ...(c.localAddress ? { localAddress: c.localAddress } : {}),
        ...(c.password ? { md5Key: c.password } : {}),
        ...this.#ttlOptions(),
      });
      conn.attach(sock, true);
    } catch (e) {
      // Raise the failure from a timer, never inside the transition that asked for the connection.
      const t = new Timer(() => conn.fire({ type: 'TcpConnectionFails' }, `Active Socket: ${(e as Error).message}`));
      t.start(0);
    }
  }

  decideOpen(conn: Connection, open: OpenMessage): OpenDecision {
    const v = negotiate(this.#localCapabilities(), this.config.peerAs, open);
    if (!v.ok) {
      this.#lastError = `BGP Error: ${v.reason}`;
      return { accept: false, notification: v.notification };
    }
    const other = conn === this.#main ? this.#second : this.#main;
    if (other && (other.state === 'OpenConfirm' || other.state === 'OpenSent' || other.state === 'Established')) {
      if (other.state === 'Established') return { accept: false, collision: true };
      // §6.8: keep the connection opened by the side with the higher BGP Identifier.
      const localWins = this.config.routerId >>> 0 > v.negotiated.peerId;
      // Two connections the same way round: the older one is stale, keep the newer.
      const keepThis = conn.outgoing !== other.outgoing ? conn.outgoing === localWins : conn === this.#second;
      if (!keepThis) return { accept: false, collision: true };
      other.fire({ type: 'OpenCollisionDump' }, 'Connection collision');
    }
    return { accept: true, negotiated: v.negotiated };
  }

  established(conn: Connection): void {
    if (conn === this.#second) {
      // The collision was won by the second connection: it becomes the session's.
      if (this.#main.state !== 'Idle') this.#main.fire({ type: 'OpenCollisionDump' }, 'Connection collision');
      if (this.#second === conn) this.#promoteSecond();
    } else if (this.#second) {
      this.#second.fire({ type: 'OpenCollisionDump' }, 'Connection collision');
      this.#second = null;
    }
    this.#failures = 0;
    this.#establishedCount++;
    this.#lastError = '';
    const n = conn.negotiated!;
    this.#listener.established(this, n);
    this.#gr.established(n);
  }

  update(conn: Connection, msg: UpdateMessage): void {
    if (conn !== this.#main) return;
    const eor = isEndOfRib(msg);
    if (eor !== null) {
      if (eor.safi !== SAFI.Unicast) return;
      this.#listener.endOfRib(this, eor.afi);
      this.#gr.endOfRib(eor.afi);
      return;
    }
    this.#listener.update(this, msg);
  }

  updateBytes(conn: Connection, buf: Buffer, start: number, end: number): boolean {
    // Anything but the main connection's UPDATEs goes the decoded way (which ignores them).
    if (conn !== this.#main || !this.#listener.updateBytes) return false;
    return this.#listener.updateBytes(this, buf, start, end);
  }

  routeRefresh(conn: Connection, msg: RouteRefreshMessage): void {
    if (conn !== this.#main || msg.safi !== SAFI.Unicast) return;
    const n = conn.negotiated;
    const fam = msg.afi === AFI.IPv4 ? n?.families.ipv4 : n?.families.ipv6;
    // RFC 2918 §4: a refresh for a family not negotiated is ignored.
    if (!fam) return;
    this.#listener.routeRefresh(this, msg.afi, msg.subtype);
  }

  notified(_conn: Connection, sent: boolean, text: string): void {
    this.#lastNotification = { sent, text };
  }

  drain(conn: Connection): void {
    if (conn === this.#main) this.#listener.drain(this);
  }

  stateChanged(conn: Connection, from: StateName, to: StateName, cause: string): void {
    if (conn === this.#second) {
      if (to === 'Idle') this.#second = null;
      return;
    }
    this.#since = Date.now();
    if (to === 'Idle' || (to === 'Active' && from !== 'Connect')) {
      if (cause) this.#lastError = cause;
    }
    if (from === 'Established') {
      // RFC 4724 §4.2: keep the routes only when the TCP session ended without a NOTIFICATION.
      const n = conn.negotiated;
      const keepStale = !!n?.peerGracefulRestart && !this.#stopped && this.#lastNotification === null;
      if (keepStale) this.#gr.peerDown(n!.peerGracefulRestart!.restartTime);
      this.#listener.down(this, { reason: this.#lastError || cause, keepStale });
    }
    if (to === 'Established' || to === 'OpenSent') this.#lastNotification = null;
    if (to === 'Idle') {
      this.#lastNotification = null;
      if (this.#second && this.#second.state !== 'Idle') {
        // The other connection of a collision carries on as the session's.
        this.#promoteSecond();
        return;
      }
      if (!this.#stopped) {
        this.#failures++;
        this.#autoStart();
      }
    }
  }

  /** The second connection of a collision becomes the session's, with the session's own mode. */
  #promoteSecond(): void {
    const second = this.#second!;
    // It was accepted passively; once it is the session's, a later restart must connect again.
    second.fsm = { ...second.fsm, passive: this.config.passive };
    this.#main = second;
    this.#second = null;
  }

  #autoStart(): void {
    const ev = this.config.passive
      ? ({ type: 'AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment' } as const)
      : ({ type: 'AutomaticStart_with_DampPeerOscillations' } as const);
    this.#main.fire(ev);
  }

  // ---- sending, for the RIB ----

  /** Send pre-packed UPDATE messages; false when the socket is full: wait for the drain event. */
  send(messages: Buffer | Buffer[]): boolean {
    if (this.#main.state !== 'Established') return false;
    let ok = true;
    for (const m of Array.isArray(messages) ? messages : [messages]) ok = this.#main.write(m) && ok;
    return ok;
  }

  /** Encode and send one UPDATE with the negotiated context. */
  sendUpdate(u: UpdateMessage): boolean {
    if (this.#main.state !== 'Established') return false;
    return this.#main.write(encodeMessage(u, this.#main.encodeContext));
  }

  /** End-of-RIB (RFC 4724 §2): an empty UPDATE for IPv4, an empty MP_UNREACH for others. */
  sendEndOfRib(afi: Afi): boolean {
    return this.sendUpdate(endOfRib(afi));
  }

  /** Ask the peer to send its routes again (RFC 2918); 1/2 are RFC 7313 BoRR / EoRR markers. */
  sendRouteRefresh(afi: Afi, subtype: 0 | 1 | 2 = 0): boolean {
    if (this.#main.state !== 'Established') return false;
    return this.#main.write(encodeMessage({ type: 'route-refresh', afi, safi: SAFI.Unicast, subtype }, this.#main.encodeContext), false);
  }

  /** The negotiated encoding of what we send (for packUpdates); null unless Established. */
  get encodeContext(): CodecContext | null {
    return this.#main.state === 'Established' ? this.#main.encodeContext : null;
  }

  get writable(): boolean {
    return this.#main.state === 'Established' && this.#main.writable;
  }

  #connectionInfo(): SessionStatus['connection'] {
    const sock = this.#main.socket;
    if (!sock?.localAddress || !sock.remoteAddress) return null;
    const plain = (a: string) => a.replace(/^::ffff:(?=\d+\.)/, '');
    return {
      localAddress: plain(sock.localAddress),
      localPort: sock.localPort ?? 0,
      remoteAddress: plain(sock.remoteAddress),
      remotePort: sock.remotePort ?? 0,
      initiatedBy: this.#main.outgoing ? 'us' : 'peer',
    };
  }

  status(): SessionStatus {
    const n = this.#main.negotiated;
    const up = this.#main.state === 'Established';
    return {
      name: this.config.name,
      peerAddress: this.config.peerAddress,
      peerPort: this.config.peerPort,
      localAs: this.config.localAs,
      peerAs: this.config.peerAs,
      state: this.state,
      since: this.#since,
      lastError: this.#lastError,
      peerId: up && n ? n.peerId : null,
      holdTime: up && n ? n.holdTime : null,
      keepaliveTime: up && n ? n.keepaliveTime : null,
      families: up && n ? n.families : null,
      gracefulRestart: this.#gr.active ? 'peer-restarting' : 'none',
      connection: up ? this.#connectionInfo() : null,
      connectAttempts: this.#connectAttempts,
      establishedCount: this.#establishedCount,
      counters: { ...this.counters },
    };
  }
}
