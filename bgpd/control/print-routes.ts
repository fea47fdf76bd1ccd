// BIRD 1.6's text of `show route [for X] [all] [primary] [protocol P] [count]` (nest/rt-table.c
// rt_show_rte / rt_show_net / rt_show_cont, nest/rt-attr.c rta_show, proto/bgp/attrs.c
// bgp_get_route_info), printed from the routes a status source yields.
import { Code, type Printed, type ReplyLine } from './reply.js';
import type { BgpAttributes, RouteStatus } from './status.js';
import { formatSince } from './timefmt.js';

export interface RouteFilter {
  primary: boolean;
  protocol: string | null;
}

export interface RouteTally {
  /** Routes that passed the filter and were shown. */
  shown: number;
  /** Routes looked at, and their distinct prefixes. */
  routes: number;
  networks: number;
}

const line = (code: number, text: string): ReplyLine => ({ code, text });

function via(r: RouteStatus): string {
  switch (r.kind) {
    case 'router':
      if (r.nextHops.length > 1) return 'multipath';
      if (r.nextHops.length === 0) return 'unreachable';
      return r.nextHops[0].iface ? `via ${r.nextHops[0].gateway} on ${r.nextHops[0].iface}` : `via ${r.nextHops[0].gateway}`;
    case 'device':
      return `dev ${r.iface ?? ''}`;
    default:
      return r.kind;
  }
}

/** The origin AS is the last AS of a final AS_SEQUENCE (BIRD's as_path_get_last). */
function originAs(b: BgpAttributes): number | null {
  const last = b.asPath[b.asPath.length - 1];
  if (!last || last.type !== 'sequence' || last.asns.length === 0) return null;
  return last.asns[last.asns.length - 1];
}

function routeInfo(r: RouteStatus): string {
  const metric = r.igpMetric === null ? '' : `/${r.igpMetric}`;
  if (!r.bgp) return ` (${r.preference}${metric})`;
  const as = originAs(r.bgp);
  const origin = { IGP: 'i', EGP: 'e', Incomplete: '?' }[r.bgp.origin];
  return ` (${r.preference}${metric}) [${as === null ? '' : `AS${as}`}${origin}]`;
}

export function routeLine(r: RouteStatus, firstOfPrefix: boolean, now: number): string {
  const from = r.from && !r.nextHops.some((h) => h.gateway === r.from) ? ` from ${r.from}` : '';
  return `${(firstOfPrefix ? r.prefix : '').padEnd(18)} ${via(r)} [${r.protocol} ${formatSince(r.since, now)}${from}]${r.best ? ' *' : ''}${routeInfo(r)}`;
}

export function asPathText(b: BgpAttributes): string {
  return b.asPath.map((s) => (s.type === 'set' ? `{${s.asns.join(' ')}}` : s.asns.join(' '))).join(' ');
}

/** `BGP.x: value` lines in attribute-code order, as rta_show / ea_show print them. */
export function attributeLines(b: BgpAttributes): string[] {
  const out = [`BGP.origin: ${b.origin}`, `BGP.as_path: ${asPathText(b)}`, `BGP.next_hop: ${b.nextHop.join(' ')}`];
  if (b.med !== null) out.push(`BGP.med: ${b.med}`);
  if (b.localPref !== null) out.push(`BGP.local_pref: ${b.localPref}`);
  if (b.atomicAggregate) out.push('BGP.atomic_aggr: ');
  if (b.aggregator) out.push(`BGP.aggregator: ${b.aggregator.id} AS${b.aggregator.as}`);
  if (b.communities.length > 0) out.push(`BGP.community: ${b.communities.map(([a, v]) => `(${a},${v})`).join(' ')}`);
  if (b.originatorId) out.push(`BGP.originator_id: ${b.originatorId}`);
  if (b.clusterList.length > 0) out.push(`BGP.cluster_list: ${b.clusterList.join(' ')}`);
  if (b.extCommunities.length > 0) out.push(`BGP.ext_community: ${b.extCommunities.join(' ')}`);
  if (b.largeCommunities.length > 0) out.push(`BGP.large_community: ${b.largeCommunities.map(([g, l1, l2]) => `(${g}, ${l1}, ${l2})`).join(' ')}`);
  return out;
}

/** Routes examined between pause points. */
const WALK_STEP = 1024;

/**
 * Routes of one prefix come adjacently; each is counted, then shown if it passes the filter. A null
 * every WALK_STEP routes lets the server pause even when the filter shows nothing.
 */
export function* walkRoutes(routes: Iterable<RouteStatus>, filter: RouteFilter, tally: RouteTally): Generator<{ route: RouteStatus; firstShown: boolean } | null> {
  let prefix: string | null = null;
  let shownInPrefix = 0;
  for (const r of routes) {
    if (tally.routes % WALK_STEP === WALK_STEP - 1) yield null;
    if (r.prefix !== prefix) {
      prefix = r.prefix;
      shownInPrefix = 0;
      tally.networks++;
    }
    tally.routes++;
    if (filter.primary && !r.best) continue;
    if (filter.protocol !== null && r.protocol !== filter.protocol) continue;
    tally.shown++;
    yield { route: r, firstShown: shownInPrefix++ === 0 };
  }
}

export function* printRoutes(routes: Iterable<RouteStatus>, opts: RouteFilter & { verbose: boolean; count: boolean; lookup: boolean }, now: number): Printed {
  const tally: RouteTally = { shown: 0, routes: 0, networks: 0 };
  for (const item of walkRoutes(routes, opts, tally)) {
    if (item === null || opts.count) {
      if (item === null) yield null;
      continue;
    }
    const { route: r, firstShown } = item;
    yield line(Code.ROUTE, routeLine(r, firstShown, now));
    if (r.kind === 'router' && r.nextHops.length > 1) {
      for (const h of r.nextHops) yield line(Code.ROUTE, `\tvia ${h.gateway} on ${h.iface ?? ''} weight ${h.weight}`);
    }
    if (opts.verbose) {
      yield line(Code.ROUTE_TYPE, `\tType: ${r.source} unicast univ`);
      if (r.bgp) for (const a of attributeLines(r.bgp)) yield line(Code.ROUTE_ATTR, `\t${a}`);
    }
  }
  // A lookup (`for X`, or one prefix) that finds nothing is an error in BIRD, a table walk is not.
  if (opts.lookup && tally.routes === 0) return line(Code.NETWORK_NOT_IN_TABLE, 'Network not in table');
  if (opts.count) return line(Code.ROUTE_COUNT, `${tally.shown} of ${tally.routes} routes for ${tally.networks} networks`);
  return line(Code.OK, '');
}
