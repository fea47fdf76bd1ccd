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

export function emptyChannel(family: 'ipv4' | 'ipv6', up: boolean): ChannelStatus {
  return {
    family,
    state: up ? 'up' : 'down',
    preference: 100,
    inputFilter: 'ACCEPT',
    outputFilter: 'calico_export_to_bgp_peers',
    routes: { received: 0, imported: 0, filtered: 0, exported: 0, preferred: 0, installed: 0 },
    changes: emptyChangeStats(),
  };
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
    description: extra.description ?? '',
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
