// The speaker as the control plane sees it: implements bgpd/control's StatusSource from the
// speaker's sessions, its RIB views and the kernel programmer's counters. Read-only and snapshot
// based: every call copies plain data out, nothing here changes the speaker. Kept apart from the
// speaker so the RIB never learns BIRD's printing conventions.
import { ipv4ToString, ipv6ToString } from './wire/addr.js';
import { parsePrefix, type ParsedPrefix } from './wire/prefix.js';
import { AFI, type PathAttributes } from './wire/types.js';
import type { SessionConfig, SessionStatus } from './session/index.js';
import {
  calicoLocalProtocols,
  emptyChannel,
  protocolFromSession,
  type BgpAttributes,
  type DaemonStatus,
  type FibStatus,
  type ProtocolStatus,
  type RouteQuery,
  type RouteStatus,
  type StatusSource,
} from './control/index.js';
import type { RibRouteView } from './rib/index.js';

/** What the status source reads of the speaker (bgpd/speaker.ts implements it). */
export interface SpeakerView {
  status(): SessionStatus[];
  session(name: string): { readonly config: SessionConfig } | undefined;
  /** The peer is our route-reflector client. */
  isRrClient?(name: string): boolean;
  routes(): Iterable<RibRouteView>;
  routesOf(prefix: string): RibRouteView[];
  routeCount(): { routes: number; networks: number };
  peerCounts(session: string): { received: number; imported: number; filtered: number; exported: number; preferred: number } | null;
  converged(): boolean;
  localCounts(): { originated: number; kernel: number };
  /** Another program's kernel route for exactly this prefix (learned as BIRD's kernel protocol does). */
  kernelRoute?(prefix: string): { iface: string | null; gateway: string | null } | undefined;
}

export interface StatusSourceOptions {
  speaker: SpeakerView;
  routerId: () => string;
  startedAt: number;
  /** Kernel counters, or null with --no-fib. */
  fib: () => FibStatus | null;
  /** Graceful-restart recovery: our own restart (R bit) wait, in seconds, while it runs. */
  restartWait: () => { total: number; startedAt: number } | null;
  /** Routes this speaker installed per session in the kernel, when known. */
  installed?: (session: string) => number;
}

const ORIGIN = ['IGP', 'EGP', 'Incomplete'] as const;

/** BIRD's text of one extended community (RFC 4360): route target / origin, else generic. */
function extCommunityText(v: bigint): string {
  const type = Number((v >> 56n) & 0xffn);
  const sub = Number((v >> 48n) & 0xffn);
  const kind = sub === 2 ? 'rt' : sub === 3 ? 'ro' : null;
  if (kind && (type === 0 || type === 2)) return `(${kind}, ${Number((v >> 32n) & 0xffffn)}, ${Number(v & 0xffffffffn)})`;
  if (kind && type === 1) return `(${kind}, ${ipv4ToString(Number((v >> 16n) & 0xffffffffn))}, ${Number(v & 0xffffn)})`;
  return `(generic, 0x${((v >> 32n) & 0xffffffffn).toString(16)}, 0x${(v & 0xffffffffn).toString(16)})`;
}

export function bgpAttributesOf(a: PathAttributes, nextHops: string[]): BgpAttributes {
  return {
    origin: ORIGIN[a.origin ?? 0],
    asPath: (a.asPath ?? []).map((s) => ({ type: s.type === 1 || s.type === 4 ? 'set' : 'sequence', asns: [...s.asns] })),
    nextHop: nextHops.length ? [...nextHops] : a.nextHop ? [a.nextHop] : [...(a.mpReach?.nextHops ?? [])],
    med: a.med ?? null,
    localPref: a.localPref ?? null,
    atomicAggregate: a.atomicAggregate ?? false,
    aggregator: a.aggregator ? { as: a.aggregator.asn, id: a.aggregator.address } : null,
    communities: (a.communities ?? []).map((c) => [c >>> 16, c & 0xffff] as [number, number]),
    largeCommunities: (a.largeCommunities ?? []).map((c) => [c[0], c[1], c[2]] as [number, number, number]),
    extCommunities: (a.extCommunities ?? []).map(extCommunityText),
    originatorId: a.originatorId !== undefined ? ipv4ToString(a.originatorId) : null,
    clusterList: (a.clusterList ?? []).map(ipv4ToString),
  };
}

/**
 * One RIB path as BIRD prints it: BGP routes via their next hops, our own blocks as static blackholes,
 * other programs' kernel routes as kernel1's (calico-node's BIRD learns them with preference 10).
 */
export function routeStatusOf(r: RibRouteView, kernel?: { iface: string | null; gateway: string | null }): RouteStatus {
  if (r.session === null && kernel) {
    return {
      prefix: r.prefix,
      kind: kernel.gateway ? 'router' : 'device',
      nextHops: kernel.gateway ? [{ gateway: kernel.gateway, iface: kernel.iface, weight: 1 }] : [],
      iface: kernel.iface,
      protocol: 'kernel1',
      source: 'inherit',
      from: null,
      since: r.since,
      preference: 10,
      igpMetric: null,
      best: r.best,
      bgp: null,
    };
  }
  if (r.session === null) {
    return {
      prefix: r.prefix,
      kind: 'blackhole',
      nextHops: [],
      iface: null,
      protocol: 'static1',
      source: 'static',
      from: null,
      since: r.since,
      preference: 200,
      igpMetric: null,
      best: r.best,
      bgp: null,
    };
  }
  const gateway = r.nextHops[0] ?? null;
  return {
    prefix: r.prefix,
    kind: 'router',
    nextHops: r.nextHops.map((g) => ({ gateway: g, iface: null, weight: 1 })),
    iface: null,
    protocol: r.session,
    source: 'BGP',
    from: r.peerAddress && r.peerAddress !== gateway ? r.peerAddress : null,
    since: r.since,
    preference: 100,
    // Calico's sessions are multihop, so BIRD resolves their next hops recursively and prints an IGP metric.
    igpMetric: 0,
    best: r.best,
    bgp: bgpAttributesOf(r.attrs, r.nextHops),
  };
}

const textOf = (p: ParsedPrefix): string => `${p.afi === AFI.IPv4 ? ipv4ToString(p.addr[0]) : ipv6ToString(p.addr)}/${p.len}`;

/** Prefixes that may hold an address or prefix, longest first (BIRD's `show route for`). */
function coveringPrefixes(target: string): string[] {
  const p = parsePrefix(target.includes('/') ? target : `${target}/${target.includes(':') ? 128 : 32}`);
  if (!p) return [];
  const base = textOf(p).split('/')[0];
  const out: string[] = [];
  for (let len = p.len; len >= 0; len--) out.push(textOf(parsePrefix(`${base}/${len}`)!));
  return out;
}

export class SpeakerStatusSource implements StatusSource {
  readonly #o: StatusSourceOptions;
  #reconfiguredAt: number;
  #phase: DaemonStatus['phase'] = 'running';

  constructor(opts: StatusSourceOptions) {
    this.#o = opts;
    this.#reconfiguredAt = opts.startedAt;
  }

  reconfigured(at = Date.now()): void {
    this.#reconfiguredAt = at;
  }

  setPhase(phase: DaemonStatus['phase']): void {
    this.#phase = phase;
  }

  daemon(): DaemonStatus {
    const wait = this.#o.restartWait();
    let gracefulRestart: DaemonStatus['gracefulRestart'] = null;
    if (wait && !this.#o.speaker.converged()) {
      const left = Math.max(0, wait.total - Math.floor((Date.now() - wait.startedAt) / 1000));
      const waitingFor = this.#o.speaker.status().filter((s) => s.state !== 'Established').length;
      if (left > 0) gracefulRestart = { waitingFor, waitRemaining: left, waitTotal: wait.total };
    }
    return { routerId: this.#o.routerId(), startedAt: this.#o.startedAt, reconfiguredAt: this.#reconfiguredAt, gracefulRestart, phase: this.#phase };
  }

  protocols(): readonly ProtocolStatus[] {
    const sp = this.#o.speaker;
    // Counters, not a table walk: calico-node's probes ask for the protocols every few seconds.
    const local = sp.localCounts();
    const out: ProtocolStatus[] = calicoLocalProtocols(this.#o.startedAt, { static: local.originated, kernel: local.kernel });
    for (const s of sp.status()) {
      const config = sp.session(s.name)?.config;
      if (!config) continue;
      const up = s.state === 'Established';
      const counts = sp.peerCounts(s.name);
      const families = s.families ?? config.families;
      const channels = [...(families.ipv4 ? ['ipv4' as const] : []), ...(families.ipv6 ? ['ipv6' as const] : [])].map((f) => {
        const ch = emptyChannel(f, up);
        if (counts) ch.routes = { ...counts, installed: this.#o.installed?.(s.name) ?? 0 };
        return ch;
      });
      out.push(protocolFromSession(s, config, { channels, rrClient: sp.isRrClient?.(s.name) ?? false }));
    }
    return out;
  }

  *routes(query: RouteQuery): Iterable<RouteStatus> {
    const sp = this.#o.speaker;
    if (query.kind === 'exact') {
      for (const r of sp.routesOf(query.prefix)) yield this.#status(r);
      return;
    }
    if (query.kind === 'for') {
      for (const prefix of coveringPrefixes(query.address)) {
        const found = sp.routesOf(prefix);
        if (found.length) {
          for (const r of found) yield this.#status(r);
          return;
        }
      }
      return;
    }
    for (const r of sp.routes()) yield this.#status(r);
  }

  #status(r: RibRouteView): RouteStatus {
    return routeStatusOf(r, r.session === null ? this.#o.speaker.kernelRoute?.(r.prefix) : undefined);
  }

  routeCount(): { routes: number; networks: number } {
    return this.#o.speaker.routeCount();
  }

  fib(): FibStatus | null {
    return this.#o.fib();
  }
}
