// One TCP connection of a BGP session and the RFC 4271 FSM that runs on it: the socket, the framer,
// the codec contexts, the hold and keepalive timers. It turns bytes into FSM events and carries out
// the FSM's per-connection actions; what concerns the session as a whole (connect-retry, idle hold,
// collision detection, the OPEN verdict, delivering routes) it hands to its owner.
// One close path: errors only record why and raise an event; the FSM's DropTcp tears down.
import type net from 'node:net';
import { BgpWireError, Framer, HEADER_LEN, MSG, decodeMessage, encodeMessage, notificationName, type CodecContext, type DecodeOptions, type Message, type OpenMessage, type RouteRefreshMessage, type UpdateMessage } from '../wire/index.js';
import { transition, type FsmAction, type FsmEvent, type FsmState, type NotificationSpec, type StateName } from './fsm.js';
import { PRE_OPEN_CONTEXT, type Negotiated } from './negotiate.js';
import { Timer, jitter } from './timers.js';

/** §8.2.2: the hold timer's "large value" before the OPEN exchange (4 minutes is suggested). */
const LARGE_HOLD_MS = 240_000;

/** The events of every received KEEPALIVE and UPDATE: plain data the FSM only reads, made once. */
const KEEPALIVE_MSG: FsmEvent = Object.freeze({ type: 'KeepAliveMsg' });
const UPDATE_MSG: FsmEvent = Object.freeze({ type: 'UpdateMsg' });

export type OpenDecision = { accept: true; negotiated: Negotiated } | { accept: false; notification?: NotificationSpec; collision?: boolean };

export interface Counters {
  messagesIn: number;
  messagesOut: number;
  updatesIn: number;
  updatesOut: number;
  notificationsIn: number;
  notificationsOut: number;
}

/** What a connection needs from the session that owns it. */
export interface ConnectionOwner {
  readonly counters: Counters;
  /** How UPDATEs are decoded (attrKey for the RIB's interning). */
  readonly decodeOptions?: DecodeOptions;
  localOpen(): OpenMessage;
  startConnectRetryTimer(): void;
  stopConnectRetryTimer(): void;
  startIdleHoldTimer(): void;
  initiateTcp(conn: Connection): void;
  /** Check the peer's OPEN (RFC 4271 §6.2) and collisions (§6.8). */
  decideOpen(conn: Connection, open: OpenMessage): OpenDecision;
  established(conn: Connection): void;
  update(conn: Connection, msg: UpdateMessage): void;
  /**
   * An UPDATE body buf[start, end) in Established, before any decoding, on a session whose UPDATEs
   * a byte walk can read (4-octet AS numbers, no ADD-PATH received): true when it was taken as it
   * is; false, and it is decoded and goes to update().
   */
  updateBytes?(conn: Connection, buf: Buffer, start: number, end: number): boolean;
  routeRefresh(conn: Connection, msg: RouteRefreshMessage): void;
  stateChanged(conn: Connection, from: StateName, to: StateName, cause: string): void;
  /** A NOTIFICATION was received; kept for status and graceful restart decisions. */
  notified(conn: Connection, sent: boolean, text: string): void;
  drain(conn: Connection): void;
}

export class Connection {
  fsm: FsmState;
  #sock: net.Socket | null = null;
  outgoing = false;
  negotiated: Negotiated | null = null;
  #framer = new Framer({ extendedMessage: false });
  #ctxIn: CodecContext = PRE_OPEN_CONTEXT;
  #ctxOut: CodecContext = PRE_OPEN_CONTEXT;
  readonly #owner: ConnectionOwner;
  readonly #hold: Timer;
  readonly #keepalive: Timer;
  /** The message behind the event being processed (UpdateMsg, RouteRefreshMsg). */
  #current: Message | null = null;
  /** Why the connection is going down, for status ("Hold timer expired", "Connection refused"). */
  #cause = '';
  /** UPDATEs may go to the owner's updateBytes (set from the negotiated decode context). */
  #bytesIn = false;
  /** The socket whose chunk is being cut into messages, and whether an UPDATE of it was taken raw. */
  #chunkSock: net.Socket | null = null;
  #rawTaken = false;

  constructor(owner: ConnectionOwner, fsm: FsmState) {
    this.#owner = owner;
    this.fsm = fsm;
    this.#hold = new Timer(() => this.fire({ type: 'HoldTimer_Expires' }, 'Hold timer expired'));
    this.#keepalive = new Timer(() => this.fire({ type: 'KeepaliveTimer_Expires' }));
  }

  get state(): StateName {
    return this.fsm.state;
  }

  get socket(): net.Socket | null {
    return this.#sock;
  }

  get encodeContext(): CodecContext {
    return this.#ctxOut;
  }

  /** Bind a socket (connecting or connected) to this connection and follow its events. */
  attach(sock: net.Socket, outgoing: boolean): void {
    this.#sock = sock;
    this.outgoing = outgoing;
    this.#framer = new Framer({ extendedMessage: false });
    this.#ctxIn = PRE_OPEN_CONTEXT;
    this.#ctxOut = PRE_OPEN_CONTEXT;
    this.#bytesIn = false;
    this.negotiated = null;
    let connected = !outgoing;
    sock.on('connect', () => {
      connected = true;
      if (this.#sock === sock) this.fire({ type: 'Tcp_CR_Acked' });
    });
    sock.on('data', (chunk: Buffer) => this.receive(sock, chunk));
    sock.on('drain', () => {
      if (this.#sock === sock) this.#owner.drain(this);
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (this.#sock !== sock) return;
      // BIRD's wording: a failed connect is the "Active Socket", anything later the "Socket".
      const where = connected ? 'Socket' : 'Active Socket';
      this.#cause = `${where}: ${describeSocketError(err)}`;
    });
    sock.on('close', () => {
      if (this.#sock !== sock) return;
      this.fire({ type: 'TcpConnectionFails' }, this.#cause || 'Socket: Connection closed');
    });
  }

  /** Run one FSM event and carry out its actions. */
  fire(ev: FsmEvent, cause = ''): void {
    if (cause) this.#cause = cause;
    const from = this.fsm.state;
    const t = transition(this.fsm, ev);
    this.fsm = t.state;
    for (const a of t.actions) this.#act(a);
    if (from !== t.state.state) {
      const why = this.#cause;
      if (t.state.state === 'Idle' || t.state.state === 'Active') this.#cause = '';
      this.#owner.stateChanged(this, from, t.state.state, why);
    }
  }

  #act(a: FsmAction): void {
    switch (a.type) {
      case 'StartConnectRetryTimer':
        return this.#owner.startConnectRetryTimer();
      case 'StopConnectRetryTimer':
        return this.#owner.stopConnectRetryTimer();
      case 'StartIdleHoldTimer':
        return this.#owner.startIdleHoldTimer();
      case 'StartHoldTimer':
        return this.#startHold(a.large);
      case 'StopHoldTimer':
        return this.#hold.stop();
      case 'StartKeepaliveTimer': {
        const ms = (this.negotiated?.keepaliveTime ?? 0) * 1000;
        if (ms > 0) this.#keepalive.start(jitter(ms));
        else this.#keepalive.stop();
        return;
      }
      case 'StopKeepaliveTimer':
        return this.#keepalive.stop();
      case 'InitiateTcp':
        return this.#owner.initiateTcp(this);
      case 'DropTcp':
        return this.drop();
      case 'SendOpen':
        this.#write(encodeMessage(this.#owner.localOpen(), this.#ctxOut));
        return;
      case 'SendKeepalive':
        this.#write(encodeMessage({ type: 'keepalive' }, this.#ctxOut));
        return;
      case 'SendNotification': {
        const n = a.notification;
        this.#write(encodeMessage({ type: 'notification', code: n.code, subcode: n.subcode, data: n.data ?? Buffer.alloc(0) }, this.#ctxOut));
        this.#owner.counters.notificationsOut++;
        const text = birdText(n.code, n.subcode);
        this.#cause = `BGP Error: ${text}`;
        this.#owner.notified(this, true, text);
        return;
      }
      case 'ReleaseResources':
        this.negotiated = this.negotiated ?? null;
        return;
      case 'SessionEstablished':
        return this.#owner.established(this);
      case 'ProcessUpdate':
        if (this.#current?.type === 'update') this.#owner.update(this, this.#current);
        return;
      case 'ProcessRouteRefresh':
        if (this.#current?.type === 'route-refresh') this.#owner.routeRefresh(this, this.#current);
        return;
    }
  }

  #startHold(large: boolean): void {
    const ms = large ? LARGE_HOLD_MS : (this.negotiated?.holdTime ?? 0) * 1000;
    if (ms > 0) this.#hold.start(ms);
    else this.#hold.stop();
  }

  /** Close the socket: what was written (a NOTIFICATION) is flushed first, then the socket goes. */
  drop(): void {
    const sock = this.#sock;
    this.#sock = null;
    this.#hold.stop();
    this.#keepalive.stop();
    if (!sock) return;
    if (sock.connecting || sock.destroyed) {
      sock.destroy();
      return;
    }
    sock.end();
    const t = setTimeout(() => sock.destroy(), 2000);
    t.unref();
    sock.once('close', () => clearTimeout(t));
  }

  /** Write whole, already-encoded messages; false when the socket buffer is full (wait for drain). */
  write(buf: Buffer, isUpdate = true): boolean {
    if (isUpdate) this.#owner.counters.updatesOut++;
    return this.#write(buf);
  }

  #write(buf: Buffer): boolean {
    const sock = this.#sock;
    if (!sock || sock.destroyed || sock.connecting) return false;
    this.#owner.counters.messagesOut++;
    return sock.write(buf);
  }

  get writable(): boolean {
    const sock = this.#sock;
    return !!sock && !sock.destroyed && !sock.writableNeedDrain;
  }

  /**
   * Bytes read from `sock`: its 'data' events, or its reused read buffer (connectTcp's onData), which
   * is why nothing of `chunk` is kept past this call (the framer copies what it must keep).
   */
  receive(sock: net.Socket, chunk: Buffer): void {
    if (this.#sock === sock) this.#onData(chunk);
  }

  #onData(chunk: Buffer): void {
    this.#chunkSock = this.#sock;
    this.#rawTaken = false;
    try {
      this.#framer.pushTo(chunk, this.#onFrame);
    } catch (e) {
      if (e !== this.#framer.error) throw e;
      this.#wireError(e);
    }
    // The FSM restarts the hold timer on every UPDATE (§8.2.2 event 27); for the UPDATEs taken raw
    // that is done once for the chunk they came in.
    if (this.#rawTaken && this.#sock === this.#chunkSock && this.fsm.state === 'Established') this.#startHold(false);
    this.#chunkSock = null;
  }

  /** One whole message of the chunk; false once the connection went down mid-chunk. */
  readonly #onFrame = (buf: Buffer, off: number, len: number): boolean => {
    const sock = this.#chunkSock;
    if (this.#sock !== sock || !sock) return false;
    if (this.#bytesIn && buf[off + 18] === MSG.UPDATE && this.fsm.state === 'Established' && this.#owner.updateBytes?.(this, buf, off + HEADER_LEN, off + len)) {
      const c = this.#owner.counters;
      c.messagesIn++;
      c.updatesIn++;
      this.#rawTaken = true;
      return true;
    }
    let msg: Message;
    try {
      msg = decodeMessage(buf.subarray(off, off + len), this.#ctxIn, this.#owner.decodeOptions);
    } catch (e) {
      this.#wireError(e);
      return true;
    }
    this.#owner.counters.messagesIn++;
    this.#onMessage(msg);
    return true;
  };

  /** A decode error: RFC 4271 §6 says which NOTIFICATION; code 0 means ignore the message. */
  #wireError(e: unknown): void {
    if (!(e instanceof BgpWireError)) {
      this.fire({ type: 'BGPHeaderErr', notification: { code: 1, subcode: 0 } }, `Error: ${String(e)}`);
      return;
    }
    if (!e.resetsSession) return;
    const notification = { code: e.notifyCode, subcode: e.notifySubcode, data: e.notifyData };
    const cause = `BGP Error: ${birdText(e.notifyCode, e.notifySubcode)}`;
    if (e.code.startsWith('open-')) this.fire({ type: 'BGPOpenMsgErr', notification }, cause);
    else if (e.code.startsWith('bad-')) this.fire({ type: 'BGPHeaderErr', notification }, cause);
    else if (e.code === 'notification-malformed') this.fire({ type: 'NotifMsg' }, 'Received: malformed NOTIFICATION');
    else this.fire({ type: 'UpdateMsgErr', notification }, cause);
  }

  #onMessage(msg: Message): void {
    switch (msg.type) {
      case 'open':
        return this.#onOpen(msg);
      case 'keepalive':
        return this.fire(KEEPALIVE_MSG);
      case 'update':
        this.#owner.counters.updatesIn++;
        this.#current = msg;
        this.fire(UPDATE_MSG);
        this.#current = null;
        return;
      case 'route-refresh':
        this.#current = msg;
        this.fire({ type: 'RouteRefreshMsg' });
        this.#current = null;
        return;
      case 'notification': {
        this.#owner.counters.notificationsIn++;
        const text = birdText(msg.code, msg.subcode) + (msg.shutdownMessage ? `: "${msg.shutdownMessage}"` : '');
        this.#owner.notified(this, false, text);
        // RFC 4271 §8.1.2 event 24: the peer refuses our version.
        const verErr = msg.code === 2 && msg.subcode === 1;
        return this.fire({ type: verErr ? 'NotifMsgVerErr' : 'NotifMsg' }, `Received: ${text}`);
      }
    }
  }

  #onOpen(open: OpenMessage): void {
    if (this.fsm.state !== 'OpenSent') {
      this.fire({ type: 'BGPOpen' }); // unexpected here: the FSM answers with an FSM error
      return;
    }
    const d = this.#owner.decideOpen(this, open);
    if (!d.accept) {
      if (d.collision) this.fire({ type: 'OpenCollisionDump' }, 'Connection collision');
      else if (d.notification) this.fire({ type: 'BGPOpenMsgErr', notification: d.notification });
      return;
    }
    this.negotiated = d.negotiated;
    this.#ctxIn = d.negotiated.decode;
    this.#ctxOut = d.negotiated.encode;
    this.#bytesIn = d.negotiated.decode.as4 && !d.negotiated.decode.addPath.ipv4;
    this.#framer.setExtendedMessage(d.negotiated.extendedMessage);
    this.fire({ type: 'BGPOpen' });
  }
}

/**
 * BIRD's wording of a NOTIFICATION in `show protocols`: the subcode's name alone when there is one
 * ("Bad peer AS", "Administrative shutdown"), else the code's ("Hold timer expired").
 */
export function birdText(code: number, subcode: number): string {
  return notificationName(code, subcode).replace(/^[^:]+: /, '');
}

/** BIRD-style socket error text: "Connection refused", "Connection reset by peer". */
function describeSocketError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'Connection refused';
    case 'ECONNRESET':
      return 'Connection reset by peer';
    case 'ETIMEDOUT':
      return 'Connection timed out';
    case 'EHOSTUNREACH':
      return 'No route to host';
    case 'ENETUNREACH':
      return 'Network is unreachable';
    case 'EPIPE':
      return 'Broken pipe';
    default:
      return err.message;
  }
}
