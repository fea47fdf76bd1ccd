// compilePolicy: a NodeModel becomes the closures the RIB runs per route. The decisions are those
// of the BIRD configuration confd writes today:
// - export (the peer's BGPFilter export functions, then calico_export_to_bgp_peers(internal), then
//   reject): reject_disabled_pools (pools with disableBGPExport); for iBGP reject_tunnel_routes
//   (ifname ~ "*.cali" or "*.calico"); apply_communities (prefixAdvertisements, every matching
//   entry adds); calico_aggr (per confirmed block: accept the block, reject what is inside it);
//   accept static routes (the service CIDRs); accept what is inside an export-enabled pool;
//   reject the rest;
// - import (the peer's BGPFilter import functions, then accept: Calico used "import all" before
//   BGPFilters existed);
// - calico_kernel_programming: reject the service CIDRs (confd's rejectcidrs), accept the rest.
//   Which pools go to Felix instead (VXLAN) is fib/'s business, not a verdict here.
// The closures do not allocate: verdicts with communities are built once per distinct set of
// matching prefixAdvertisements and then shared.
import type { NodeModel } from '../../config/model.js';
import type { LargeCommunity } from '../wire/types.js';
import { filtersKey, peerRules, runRules } from './bgpfilter.js';
import { covers, parseRange, rangeText, routeFamily, sameNet, type Range } from './prefix.js';
import type { ExportFilter, ExportVerdict, ImportFilter, OriginatedRoute, Policy, PolicyPeer, PolicyRoute } from './types.js';

export type { ExportFilter, ExportVerdict, ImportFilter, OriginatedRoute, Policy, PolicyPeer, PolicyRoute } from './types.js';
export { policyRoute, parseRange } from './prefix.js';

type Verdict = Exclude<ExportVerdict, null>;

/** Accepted with nothing to add. Frozen: shared by every route and peer. */
export const ACCEPT: Verdict = Object.freeze({ communities: Object.freeze([]) as unknown as number[], largeCommunities: Object.freeze([]) as unknown as LargeCommunity[] });

interface Advert {
  range: Range;
  communities: number[];
  large: LargeCommunity[];
}

/** "a:b" (16-bit halves) or "a:b:c" (32-bit parts); null when it is neither. */
export function parseCommunity(text: string): { standard: number } | { large: LargeCommunity } | null {
  const parts = String(text).split(':');
  if (!parts.every((p) => /^\d{1,10}$/.test(p))) return null;
  const n = parts.map(Number);
  if (n.length === 2 && n[0] <= 0xffff && n[1] <= 0xffff) return { standard: n[0] * 65536 + n[1] };
  if (n.length === 3 && n.every((x) => x <= 0xffffffff)) return { large: [n[0], n[1], n[2]] };
  return null;
}

/** Ranges of one family, split at compile time so the hot path never checks the family. */
interface ByFamily<T> {
  4: T[];
  6: T[];
}

function split(cidrs: string[]): ByFamily<Range> {
  const out: ByFamily<Range> = { 4: [], 6: [] };
  for (const c of cidrs) {
    const rg = parseRange(c);
    if (rg) out[rg.family].push(rg);
  }
  return out;
}

function anyCovers(list: Range[], r: PolicyRoute): boolean {
  for (let i = 0; i < list.length; i++) if (covers(list[i], r)) return true;
  return false;
}

const SMALL = 1 << 12;

class Communities {
  #adverts: ByFamily<Advert & { bit: number }> = { 4: [], 6: [] };
  #all: Advert[] = [];
  #cache = new Map<number | string, Verdict>();
  /** Verdicts by mask for the first advertisements: an array index is cheaper than a Map. */
  #small: (Verdict | undefined)[] = [];

  constructor(model: NodeModel) {
    for (const a of model.prefixAdvertisements ?? []) {
      const range = parseRange(a.cidr);
      if (!range) continue;
      const communities: number[] = [];
      const large: LargeCommunity[] = [];
      for (const c of a.communities ?? []) {
        const p = parseCommunity(c);
        if (p && 'standard' in p) communities.push(p.standard);
        else if (p) large.push(p.large);
      }
      if (!communities.length && !large.length) continue;
      const bit = this.#all.length;
      this.#all.push({ range, communities, large });
      this.#adverts[range.family].push({ range, communities, large, bit });
    }
  }

  get size(): number {
    return this.#all.length;
  }

  /** The communities every prefixAdvertisement covering `r` adds (BIRD's `add` keeps a set). */
  verdict(fam: 4 | 6, r: PolicyRoute): Verdict {
    const list = this.#adverts[fam];
    if (list.length === 0) return ACCEPT;
    if (this.#all.length <= 31) {
      let mask = 0;
      for (let i = 0; i < list.length; i++) if (covers(list[i].range, r)) mask |= 1 << list[i].bit;
      if (mask === 0) return ACCEPT;
      if (mask < SMALL) return this.#small[mask] ?? (this.#small[mask] = this.#build(mask, (b) => (mask & (1 << b)) !== 0));
      return this.#cache.get(mask) ?? this.#build(mask, (b) => (mask & (1 << b)) !== 0);
    }
    // Many advertisements: a string key (allocates; only configurations this large pay for it).
    const hits: number[] = [];
    for (let i = 0; i < list.length; i++) if (covers(list[i].range, r)) hits.push(list[i].bit);
    if (hits.length === 0) return ACCEPT;
    const key = hits.join(',');
    return this.#cache.get(key) ?? this.#build(key, (b) => hits.includes(b));
  }

  #build(key: number | string, has: (bit: number) => boolean): Verdict {
    const std: number[] = [];
    const large: LargeCommunity[] = [];
    this.#all.forEach((a, bit) => {
      if (!has(bit)) return;
      for (const c of a.communities) if (!std.includes(c)) std.push(c);
      for (const l of a.large) if (!large.some((x) => x[0] === l[0] && x[1] === l[1] && x[2] === l[2])) large.push(Object.freeze([...l]) as unknown as LargeCommunity);
    });
    const v: Verdict = Object.freeze({ communities: Object.freeze(std) as unknown as number[], largeCommunities: Object.freeze(large) as unknown as LargeCommunity[] });
    this.#cache.set(key, v);
    return v;
  }
}

/** The tunnel devices Felix owns; BIRD's reject_tunnel_routes matches "*.cali" and "*.calico". */
export function isFelixTunnel(iface: string | null): boolean {
  return typeof iface === 'string' && (iface.endsWith('.cali') || iface.endsWith('.calico'));
}

export function compilePolicy(model: NodeModel): Policy {
  const pools = model.ipPools ?? [];
  const noExport = split(pools.filter((p) => p.disableBGPExport).map((p) => p.cidr));
  const exportPools = split(pools.filter((p) => !p.disableBGPExport).map((p) => p.cidr));
  const blocks = split(model.localBlocks ?? []);
  const serviceCidrs = [...new Set([...(model.serviceClusterIPs ?? []), ...(model.serviceExternalIPs ?? []), ...(model.serviceLoadBalancerIPs ?? [])])];
  const services = split(serviceCidrs);
  const communities = new Communities(model);

  // calico_export_to_bgp_peers(internal) for one family.
  function calicoExport(fam: 4 | 6, internal: boolean, r: PolicyRoute): ExportVerdict {
    if (anyCovers(noExport[fam], r)) return null;
    if (internal && isFelixTunnel(r.iface)) return null;
    // apply_communities has no effect on the verdict, so its lookup waits for an accept.
    const bl = blocks[fam];
    for (let i = 0; i < bl.length; i++) {
      if (sameNet(bl[i], r)) return communities.verdict(fam, r);
      if (covers(bl[i], r)) return null;
    }
    if (anyCovers(services[fam], r) || anyCovers(exportPools[fam], r)) return communities.verdict(fam, r);
    return null;
  }

  const globalKey = JSON.stringify([
    pools.map((p) => [p.cidr, p.disableBGPExport]),
    model.localBlocks ?? [],
    serviceCidrs,
    (model.prefixAdvertisements ?? []).map((a) => [a.cidr, a.communities]),
  ]);

  return {
    exportFilter(peer: PolicyPeer): ExportFilter {
      const internal = !!peer.ibgp;
      const rules4 = peerRules(model, peer, 'export', 4);
      const rules6 = peerRules(model, peer, 'export', 6);
      return (r: PolicyRoute): ExportVerdict => {
        const fam = routeFamily(r);
        if (fam === 0) return null;
        const rules = fam === 4 ? rules4 : rules6;
        if (rules.length !== 0) {
          const f = runRules(rules, r);
          // A BGPFilter's accept ends the filter before apply_communities runs: nothing added.
          if (f === 1) return ACCEPT;
          if (f === -1) return null;
        }
        return calicoExport(fam, internal, r);
      };
    },

    importFilter(peer: PolicyPeer): ImportFilter {
      const rules4 = peerRules(model, peer, 'import', 4);
      const rules6 = peerRules(model, peer, 'import', 6);
      return (r: PolicyRoute): boolean => {
        const fam = routeFamily(r);
        if (fam === 0) return false;
        const rules = fam === 4 ? rules4 : rules6;
        return rules.length === 0 || runRules(rules, r) !== -1;
      };
    },

    kernelFilter(r: PolicyRoute): boolean {
      const fam = routeFamily(r);
      if (fam === 0) return false;
      return !anyCovers(services[fam], r);
    },

    originated(): OriginatedRoute[] {
      const out: OriginatedRoute[] = [];
      for (const fam of [4, 6] as const) {
        for (const rg of blocks[fam]) out.push({ prefix: rangeText(rg), kind: 'block', blackhole: rg.len !== (fam === 4 ? 32 : 128) });
      }
      const seen = new Set(out.map((o) => o.prefix));
      for (const fam of [4, 6] as const) {
        for (const rg of services[fam]) {
          const prefix = rangeText(rg);
          if (seen.has(prefix)) continue;
          seen.add(prefix);
          // confd's static routes for services are blackholes; calico_kernel_programming keeps
          // them out of the kernel.
          out.push({ prefix, kind: 'service', blackhole: true });
        }
      }
      return out;
    },

    key(peer: PolicyPeer): string {
      return `${peer.ibgp ? 'i' : 'e'}|${peer.family}|${filtersKey(model, peer)}|${globalKey}`;
    },
  };
}
