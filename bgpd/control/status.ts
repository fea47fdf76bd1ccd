// The status source: the plain-data view of the daemon that the control socket, bgpctl, health and
// metrics are served from. The speaker implements StatusSource; everything in bgpd/control only
// reads it. Values are snapshots (plain objects, no live references into the RIB), so a reply can be
// printed from them while the daemon moves on. Times are milliseconds since the epoch.

/** BIRD 1.6's protocol states as `show protocols` prints them (nest/proto.c proto_state_name). */
export type ProtoState = 'up' | 'start' | 'down' | 'stop' | 'flush' | 'wait' | 'feed';

/**
 * The BGP state of a session as BIRD names it (proto/bgp/bgp.c bgp_state_dsc): the RFC 4271 FSM
 * states, `Passive` for a passive session waiting in Idle, `Down` for a protocol that is down.
 */
export type BgpState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established' | 'Passive' | 'Down';

export interface GracefulRestartStatus {
  /** Channels (sessions) still waiting for End-of-RIB before recovery ends. */
  waitingFor: number;
  /** Seconds left on the recovery wait timer, and its full length. */
  waitRemaining: number;
  waitTotal: number;
}

export interface DaemonStatus {
  /** Dotted-quad router id. */
  routerId: string;
  /** When the daemon started (`Last reboot on`). */
  startedAt: number;
  /** When the configuration was last (re)loaded (`Last reconfiguration on`). */
  reconfiguredAt: number;
  /** Set while graceful-restart recovery runs (`0024 Graceful restart recovery in progress`). */
  gracefulRestart: GracefulRestartStatus | null;
  /** `running` unless a reload or shutdown is under way (BIRD's 0013 line says which). */
  phase: 'running' | 'reconfiguring' | 'shutting-down';
}

/** Route counts of a protocol or channel (BIRD `Routes: N imported, N exported, N preferred`). */
export interface RouteCounts {
  /** Routes in the Adj-RIB-In before import policy (prefixes received). */
  received: number;
  /** Routes accepted by import policy into the RIB. */
  imported: number;
  /** Routes rejected by import policy but kept (BIRD's `filtered`). */
  filtered: number;
  /** Routes advertised to the peer (Adj-RIB-Out). */
  exported: number;
  /** Imported routes that are the best path for their prefix. */
  preferred: number;
  /** Routes from this protocol programmed into the kernel. */
  installed: number;
}

/** BIRD's `Route change stats` table (nest/proto.c proto_show_stats). */
export interface ChangeStats {
  importUpdates: { received: number; rejected: number; filtered: number; ignored: number; accepted: number };
  importWithdraws: { received: number; rejected: number; ignored: number; accepted: number };
  exportUpdates: { received: number; rejected: number; filtered: number; accepted: number };
  exportWithdraws: { received: number; accepted: number };
}

/** One address family of a protocol. Calico's sessions carry one; a session may carry two. */
export interface ChannelStatus {
  family: 'ipv4' | 'ipv6';
  state: 'up' | 'down';
  preference: number;
  /** Filter names as BIRD prints them: a name, `ACCEPT` or `REJECT`. */
  inputFilter: string;
  outputFilter: string;
  routes: RouteCounts;
  changes: ChangeStats;
}

export interface TimerStatus {
  /** Seconds left, and the timer's full length in seconds. */
  remaining: number;
  total: number;
}

export interface BgpDetails {
  state: BgpState;
  neighborAddress: string;
  neighborPort: number;
  neighborAs: number;
  localAs: number;
  /** Set once the session is up. */
  neighborId: string | null;
  /** BIRD's capability words: refresh, enhanced-refresh, restart-able|restart-aware, AS4, add-path-rx, add-path-tx, ext-messages. */
  neighborCaps: string[];
  /** BIRD's session words: internal|external, multihop, route-reflector, AS4, add-path-rx, add-path-tx. */
  sessionFlags: string[];
  sourceAddress: string | null;
  holdTimer: TimerStatus | null;
  keepaliveTimer: TimerStatus | null;
  /** The connect-retry wait while the session is starting. */
  connectDelay: TimerStatus | null;
  /** The peer is restarting and its routes are kept as stale (BIRD `Neighbor graceful restart active`). */
  neighborRestarting: boolean;
  /** The last error with BIRD's class prefix, e.g. `Socket: Connection refused`, `BGP Error: Hold timer expired`; '' if none. */
  lastError: string;
  /** Message counters since the daemon started. */
  updatesIn: number;
  updatesOut: number;
  messagesIn: number;
  messagesOut: number;
  /** How many times the session reached Established. */
  establishedCount: number;
}

export interface ProtocolStatus {
  name: string;
  /** BIRD's protocol type name: `BGP`, `Kernel`, `Device`, `Direct`, `Static`. */
  proto: string;
  /** Routing table name; `master` as in calico-node's BIRD. */
  table: string;
  state: ProtoState;
  /** When `state` last changed. */
  since: number;
  /** For non-BGP protocols, the `info` column; BGP protocols derive it from `bgp`. */
  info: string;
  description: string;
  channels: ChannelStatus[];
  bgp: BgpDetails | null;
}

export type Origin = 'IGP' | 'EGP' | 'Incomplete';

export interface BgpAttributes {
  origin: Origin;
  /** AS_PATH segments; AS_SET segments are printed in braces. */
  asPath: { type: 'sequence' | 'set'; asns: number[] }[];
  /** BGP next hop(s) as received: one address, or a global and a link-local for IPv6. */
  nextHop: string[];
  med: number | null;
  localPref: number | null;
  atomicAggregate: boolean;
  aggregator: { as: number; id: string } | null;
  communities: [number, number][];
  largeCommunities: [number, number, number][];
  /** Extended communities as BIRD prints them, e.g. `(rt, 10, 20)`. */
  extCommunities: string[];
  originatorId: string | null;
  clusterList: string[];
}

export interface NextHop {
  gateway: string;
  /** Outgoing interface, when known. */
  iface: string | null;
  weight: number;
}

export interface RouteStatus {
  prefix: string;
  /** `router` via next hop(s); `device` straight onto an interface; the rest drop traffic. */
  kind: 'router' | 'device' | 'blackhole' | 'unreachable' | 'prohibit';
  nextHops: NextHop[];
  /** For `device` routes, the interface. */
  iface: string | null;
  /** Name of the protocol the route came from (a session name, or e.g. `static1`). */
  protocol: string;
  /** BIRD's route source for `Type:`: BGP, static, device, inherit. */
  source: 'BGP' | 'static' | 'device' | 'inherit';
  /** The BGP neighbour it was learned from, when that differs from the gateway. */
  from: string | null;
  since: number;
  preference: number;
  /**
   * IGP metric of a recursively resolved BGP next hop, as BIRD prints it after the preference:
   * `(100/0)`, `?` when unknown, `-` when the next hop does not resolve; null when not recursive.
   */
  igpMetric: number | '?' | '-' | null;
  /** The best route of its prefix (BIRD marks it `*`). */
  best: boolean;
  bgp: BgpAttributes | null;
}

/** Which routes to show: all, the longest match for an address or prefix (`for`), or one prefix exactly. */
export type RouteQuery = { kind: 'all' } | { kind: 'for'; address: string } | { kind: 'exact'; prefix: string };

export interface FibStatus {
  /** Kernel route operations done since start, by kind. */
  operations: { add: number; replace: number; delete: number };
  errors: number;
  /** Routes of ours in the kernel now. */
  routes: number;
}

/**
 * What the daemon exposes to the control plane. Every call returns a snapshot and must not block.
 * `routes()` yields the routes of each prefix adjacently, best first; the iterator may be consumed
 * across event-loop turns (the printer yields between chunks), so it must tolerate RIB changes
 * meanwhile (a snapshot, or an iterator that skips what disappeared).
 */
export interface StatusSource {
  daemon(): DaemonStatus;
  protocols(): readonly ProtocolStatus[];
  routes(query: RouteQuery): Iterable<RouteStatus>;
  /**
   * Optional O(1) totals for `show route count` of the whole table (benchmarks poll it every few
   * milliseconds); without it the count walks routes().
   */
  routeCount?(): { routes: number; networks: number };
  /** Kernel programming counters; null when the FIB is disabled (`--no-fib`). */
  fib(): FibStatus | null;
}

/** The BGP state a protocol row reports, with BIRD's `Down` for a protocol that is down. */
export function bgpStateOf(p: ProtocolStatus): BgpState | null {
  if (!p.bgp) return null;
  return p.state === 'down' ? 'Down' : p.bgp.state;
}

/** Zeroed change statistics, for sources that do not count them. */
export function emptyChangeStats(): ChangeStats {
  return {
    importUpdates: { received: 0, rejected: 0, filtered: 0, ignored: 0, accepted: 0 },
    importWithdraws: { received: 0, rejected: 0, ignored: 0, accepted: 0 },
    exportUpdates: { received: 0, rejected: 0, filtered: 0, accepted: 0 },
    exportWithdraws: { received: 0, accepted: 0 },
  };
}
