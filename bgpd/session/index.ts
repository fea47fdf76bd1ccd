// Public surface of the session layer, for the RIB, the speaker and the control socket.
//   Session            one peer: start/stop/abort, acceptIncoming, send (pre-packed UPDATEs) with
//                      backpressure, sendUpdate, sendEndOfRib, sendRouteRefresh, status()
//   SessionListener    what the RIB hears: established, update, endOfRib, routeRefresh, down
//                      (keepStale for graceful restart), staleSweep, drain
//   Listener           TCP listener of a port with per-peer MD5 keys
//   negotiate/buildOpen  OPEN checks and capability negotiation (pure)
//   transition         the RFC 4271 FSM (pure)
export { Session, type SessionConfig, type SessionListener, type SessionStatus, type DownInfo } from './session.js';
export { Listener, connectTcp, type ListenerOptions, type ConnectOptions } from './transport.js';
export { buildOpen, negotiate, routerIdFromText, routerIdToText, type Families, type LocalCapabilities, type Negotiated, type PeerGracefulRestart } from './negotiate.js';
export { transition, initialFsm, STATES, type FsmEvent, type FsmAction, type FsmState, type StateName } from './fsm.js';
export { AdjRibIn, prefixText, type AdjRoute } from './adj-rib-in.js';
export { birdText } from './connection.js';
export type { Counters } from './connection.js';
