// TestStatusSource: a status source filled by the test itself (the speaker implements the real one),
// with builders for BGP protocols and routes shaped like a Calico node's.
import ipaddr from 'ipaddr.js';
import { emptyChangeStats, type BgpAttributes, type ChannelStatus, type DaemonStatus, type FibStatus, type ProtocolStatus, type RouteQuery, type RouteStatus, type StatusSource } from '../../bgpd/control/status.js';

export class TestStatusSource implements StatusSource {
  daemonStatus: DaemonStatus;
  protocolList: ProtocolStatus[] = [];
  routeList: RouteStatus[] = [];
  fibStatus: FibStatus | null = { operations: { add: 0, replace: 0, delete: 0 }, errors: 0, routes: 0 };
  routeCalls = 0;
  /** Keep routeList's order (BIRD walks its table in hash order) instead of sorting by prefix. */
  ordered = false;

  constructor(now: number) {
    this.daemonStatus = { routerId: '10.0.0.1', startedAt: now - 3600_000, reconfiguredAt: now - 60_000, gracefulRestart: null, phase: 'running' };
  }

  daemon(): DaemonStatus {
    return structuredClone(this.daemonStatus);
  }

  protocols(): readonly ProtocolStatus[] {
    return structuredClone(this.protocolList);
  }

  *routes(query: RouteQuery): Iterable<RouteStatus> {
    this.routeCalls++;
    const sorted = this.ordered ? [...this.routeList] : [...this.routeList].sort((a, b) => comparePrefix(a.prefix, b.prefix) || Number(b.best) - Number(a.best));
    if (query.kind === 'all') return yield* sorted;
    if (query.kind === 'exact') return yield* sorted.filter((r) => r.prefix === query.prefix);
    const addr = ipaddr.parse(query.address.split('/')[0]);
    const wantLen = query.address.includes('/') ? Number(query.address.split('/')[1]) : addr.kind() === 'ipv4' ? 32 : 128;
    let best: string | null = null;
    let bestLen = -1;
    for (const r of sorted) {
      const [net, len] = ipaddr.parseCIDR(r.prefix);
      if (net.kind() !== addr.kind() || len > wantLen || len <= bestLen) continue;
      if (addr.match(net, len)) {
        best = r.prefix;
        bestLen = len;
      }
    }
    yield* sorted.filter((r) => r.prefix === best);
  }

  fib(): FibStatus | null {
    return this.fibStatus;
  }
}

function comparePrefix(a: string, b: string): number {
  const [na, la] = ipaddr.parseCIDR(a);
  const [nb, lb] = ipaddr.parseCIDR(b);
  if (na.kind() !== nb.kind()) return na.kind() === 'ipv4' ? -1 : 1;
  const ba = na.toByteArray();
  const bb = nb.toByteArray();
  for (let i = 0; i < ba.length; i++) if (ba[i] !== bb[i]) return ba[i] - bb[i];
  return la - lb;
}

export function channel(family: 'ipv4' | 'ipv6', over: Partial<ChannelStatus['routes']> = {}): ChannelStatus {
  return {
    family,
    state: 'up',
    preference: 100,
    inputFilter: 'ACCEPT',
    outputFilter: 'calico_export_to_bgp_peers',
    routes: { received: 0, imported: 0, filtered: 0, exported: 0, preferred: 0, installed: 0, ...over },
    changes: emptyChangeStats(),
  };
}

export interface PeerSpec {
  name: string;
  address: string;
  state?: ProtocolStatus['state'];
  bgpState?: ProtocolStatus['bgp'] extends infer B ? (B extends { state: infer S } ? S : never) : never;
  since: number;
  lastError?: string;
  routes?: Partial<ChannelStatus['routes']>;
  updatesIn?: number;
  updatesOut?: number;
}

export function bgpProtocol(s: PeerSpec): ProtocolStatus {
  const bgpState = s.bgpState ?? 'Established';
  const up = bgpState === 'Established';
  return {
    name: s.name,
    proto: 'BGP',
    table: 'master',
    state: s.state ?? (up ? 'up' : 'start'),
    since: s.since,
    info: '',
    description: '',
    channels: [channel(s.address.includes(':') ? 'ipv6' : 'ipv4', s.routes)],
    bgp: {
      state: bgpState,
      neighborAddress: s.address,
      neighborPort: 179,
      neighborAs: 64512,
      localAs: 64512,
      neighborId: up ? s.address : null,
      neighborCaps: up ? ['refresh', 'enhanced-refresh', 'restart-able', 'AS4'] : [],
      sessionFlags: up ? ['internal', 'multihop', 'AS4'] : [],
      sourceAddress: up ? '10.0.0.1' : null,
      holdTimer: up ? { remaining: 200, total: 240 } : null,
      keepaliveTimer: up ? { remaining: 50, total: 80 } : null,
      connectDelay: up ? null : { remaining: 3, total: 5 },
      neighborRestarting: false,
      lastError: s.lastError ?? '',
      updatesIn: s.updatesIn ?? 0,
      updatesOut: s.updatesOut ?? 0,
      messagesIn: 0,
      messagesOut: 0,
      establishedCount: up ? 1 : 0,
    },
  };
}

export function otherProtocol(name: string, proto: string, since: number): ProtocolStatus {
  return { name, proto, table: 'master', state: 'up', since, info: '', description: '', channels: [channel('ipv4')], bgp: null };
}

export function bgpAttrs(over: Partial<BgpAttributes> = {}): BgpAttributes {
  return {
    origin: 'IGP',
    asPath: [],
    nextHop: ['10.0.0.2'],
    med: null,
    localPref: 100,
    atomicAggregate: false,
    aggregator: null,
    communities: [],
    largeCommunities: [],
    extCommunities: [],
    originatorId: null,
    clusterList: [],
    ...over,
  };
}

export function bgpRoute(prefix: string, protocol: string, gateway: string, since: number, over: Partial<RouteStatus> = {}): RouteStatus {
  return {
    prefix,
    kind: 'router',
    nextHops: [{ gateway, iface: 'eth0', weight: 1 }],
    iface: null,
    protocol,
    source: 'BGP',
    from: null,
    since,
    preference: 100,
    igpMetric: 0,
    best: true,
    bgp: bgpAttrs({ nextHop: [gateway] }),
    ...over,
  };
}
