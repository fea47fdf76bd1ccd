// One address family's view of a status source, for a second control socket (bird6.ctl): calico-node
// ran BIRD and BIRD6 side by side, and calicoctl reads IPv6 peers from bird6.ctl. BGP protocols are
// kept by their neighbour's family, others (kernel, device) in both views; routes by their prefix.
import type { ProtocolStatus, RouteQuery, RouteStatus, StatusSource } from './status.js';

export type Family = 'ipv4' | 'ipv6';

export function familyOf(address: string): Family {
  return address.includes(':') ? 'ipv6' : 'ipv4';
}

function keepProtocol(p: ProtocolStatus, family: Family): boolean {
  return !p.bgp || familyOf(p.bgp.neighborAddress) === family;
}

export function familyView(source: StatusSource, family: Family): StatusSource {
  return {
    daemon: () => source.daemon(),
    protocols: () => source.protocols().filter((p) => keepProtocol(p, family)),
    routes: (query: RouteQuery): Iterable<RouteStatus> => {
      if (query.kind === 'for' && familyOf(query.address) !== family) return [];
      if (query.kind === 'exact' && familyOf(query.prefix) !== family) return [];
      return filterRoutes(source.routes(query), family);
    },
    fib: () => source.fib(),
  };
}

function* filterRoutes(routes: Iterable<RouteStatus>, family: Family): Generator<RouteStatus> {
  for (const r of routes) if (familyOf(r.prefix) === family) yield r;
}
