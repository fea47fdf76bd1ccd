// The status of one BGP session as the control socket shows it: the session layer's SessionStatus
// turned into BIRD's protocol view (state up/start/down, BGP state, last error with BIRD's class,
// neighbour, timers, flags). The speaker adds what only the RIB knows: the channels' route counts.
import type { SessionConfig, SessionStatus } from '../session/index.js';
import { routerIdToText } from '../session/index.js';
import { emptyChangeStats, type BgpState, type ChannelStatus, type ProtocolStatus } from './status.js';

export interface SessionExtras {
  /** Route counts per family from the RIB; by default empty channels of the negotiated families. */
  channels?: ChannelStatus[];
  /** The peer is our route-reflector client. */
  rrClient?: boolean;
  /** BIRD's capability words for the peer (refresh, restart-able, AS4, ...), when the speaker knows them. */
  neighborCaps?: string[];
  description?: string;
  /** A session taken down on purpose (removed from the configuration, shutting down). */
  down?: boolean;
}

/** The session layer writes some causes as `Active Socket: ...`; BIRD's last error starts at the class. */
function lastErrorText(text: string): string {
  return text.replace(/^(?:Idle|Connect|Active|OpenSent|OpenConfirm|Established)\s+(?=Socket:|BGP Error:|Received:)/, '');
}

/** A BGP channel as calico-node's BIRD shows it (its export filter is an inline block: `(unnamed)`). */
export function emptyChannel(family: 'ipv4' | 'ipv6', up: boolean): ChannelStatus {
  return {
    family,
    state: up ? 'up' : 'down',
    preference: 100,
    inputFilter: 'ACCEPT',
    outputFilter: '(unnamed)',
    routes: { received: 0, imported: 0, filtered: 0, exported: 0, preferred: 0, installed: 0 },
    changes: emptyChangeStats(),
  };
}

/**
 * The non-BGP protocols calico-node's BIRD lists before its peers (static1 for blackholes, kernel1,
 * device1, direct1), with its preferences and filters; pass the local routes each one holds.
 */
export function calicoLocalProtocols(since: number, counts: { static?: number; kernel?: number; direct?: number } = {}): ProtocolStatus[] {
  const local = (name: string, proto: string, preference: number, outputFilter: string, imported: number): ProtocolStatus => ({
    name,
    proto,
    table: 'master',
    state: 'up',
    since,
    info: '',
    description: '',
    channels: [{ ...emptyChannel('ipv4', true), preference, outputFilter, routes: { received: imported, imported, filtered: 0, exported: 0, preferred: imported, installed: 0 } }],
    bgp: null,
  });
  return [
    local('static1', 'Static', 200, 'REJECT', counts.static ?? 0),
    local('kernel1', 'Kernel', 10, 'calico_kernel_programming', counts.kernel ?? 0),
    local('device1', 'Device', 240, 'REJECT', 0),
    local('direct1', 'Direct', 240, 'REJECT', counts.direct ?? 0),
  ];
}

export function protocolFromSession(s: SessionStatus, config: Pick<SessionConfig, 'passive' | 'multihop' | 'families'>, extra: SessionExtras = {}): ProtocolStatus {
  const up = s.state === 'Established';
  const bgpState: BgpState = extra.down ? 'Down' : s.state === 'Idle' && config.passive ? 'Passive' : s.state;
  const families = s.families ?? config.families;
  const channels = extra.channels ?? [...(families.ipv4 ? [emptyChannel('ipv4', up)] : []), ...(families.ipv6 ? [emptyChannel('ipv6', up)] : [])];
  const internal = s.localAs === s.peerAs;
  return {
    name: s.name,
    proto: 'BGP',
    table: 'master',
    state: extra.down ? 'down' : up ? 'up' : 'start',
    since: s.since,
    info: '',
    description: extra.description ?? 'Connection to BGP peer',
    channels,
    bgp: {
      state: bgpState,
      neighborAddress: s.peerAddress,
      neighborPort: s.peerPort,
      neighborAs: s.peerAs,
      localAs: s.localAs,
      neighborId: up && s.peerId !== null ? routerIdToText(s.peerId) : null,
      neighborCaps: extra.neighborCaps ?? [],
      sessionFlags: [internal ? 'internal' : 'external', ...(config.multihop ? ['multihop'] : []), ...(extra.rrClient ? ['route-reflector'] : []), 'AS4'],
      sourceAddress: s.connection?.localAddress ?? null,
      // The session layer reports the negotiated lengths, not the time left: both are shown as the length.
      holdTimer: up && s.holdTime !== null ? { remaining: s.holdTime, total: s.holdTime } : null,
      keepaliveTimer: up && s.keepaliveTime !== null ? { remaining: s.keepaliveTime, total: s.keepaliveTime } : null,
      connectDelay: null,
      neighborRestarting: s.gracefulRestart === 'peer-restarting',
      lastError: lastErrorText(s.lastError),
      updatesIn: s.counters.updatesIn,
      updatesOut: s.counters.updatesOut,
      messagesIn: s.counters.messagesIn,
      messagesOut: s.counters.messagesOut,
      establishedCount: s.establishedCount,
    },
  };
}
