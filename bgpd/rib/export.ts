// What a route looks like to one kind of peer: the iBGP/eBGP and route-reflection rules of who may
// receive a path (RFC 4271 §9.2, RFC 4456 §8), the attributes rewritten on the way out (AS_PATH
// prepend, LOCAL_PREF, MED, NEXT_HOP with BIRD's self/keep defaults, ORIGINATOR_ID and CLUSTER_LIST)
// and Calico's prefixAdvertisements communities from the export verdict. Pure functions of plain
// data; the Adj-RIB-Out caches their results per update group.
import { AFI, SAFI, type AsPathSegment, type LargeCommunity, type PathAttributes } from '../wire/types.js';
import { emptyPrefixList } from '../wire/prefix.js';
import type { Attr } from './attrs.js';

/** The facts about a receiving peer that decide how routes are rewritten for it. */
export interface ExportTarget {
  ibgp: boolean;
  /** We reflect to this peer as its route reflector (RFC 4456 client). */
  rrClient: boolean;
  localAs: number;
  nextHop: 'auto' | 'self' | 'keep';
  /** Our address on the session: the next hop we announce as "self". */
  localAddress: string;
  family: 4 | 6;
  /** Our cluster id when this node is a route reflector (Node routeReflectorClusterID), else null. */
  clusterId: number | null;
}

/** Where the path being exported came from. */
export interface ExportSource {
  local: boolean;
  ebgp: boolean;
  rrClient: boolean;
  /** BGP identifier of the peer it came from (ORIGINATOR_ID when we reflect it first). */
  routerId: number;
}

/** Group key of a target: peers with equal keys (and export policy) get the same UPDATEs. */
export function targetKey(t: ExportTarget): string {
  return `${t.ibgp ? 'i' : 'e'}${t.rrClient ? 'c' : ''}|${t.localAs}|${t.nextHop}|${t.localAddress}|${t.family}|${t.clusterId ?? ''}`;
}

/**
 * RFC 4271 §9.2: a path learned from an iBGP peer is not sent to another iBGP peer; RFC 4456 §8: a
 * route reflector sends a client's path to every peer and a non-client's path to clients only.
 */
export function mayExport(src: ExportSource, t: ExportTarget): boolean {
  if (src.local || src.ebgp || !t.ibgp) return true;
  if (t.clusterId === null) return false;
  return src.rrClient || t.rrClient;
}

/** The attributes `attr` carries to target `t`, or null when there is no next hop to give. */
export function exportAttrs(attr: Attr, src: ExportSource, t: ExportTarget, extra: { communities: number[]; largeCommunities: LargeCommunity[] } | null): PathAttributes | null {
  const a = attr.attrs;
  const out: PathAttributes = { origin: src.local ? 0 : (a.origin ?? 2) };
  let path: AsPathSegment[] = src.local ? [] : (a.asPath ?? []).map((s) => ({ type: s.type, asns: [...s.asns] }));
  if (!t.ibgp) {
    // RFC 4271 §5.1.2: prepend our AS on the way to another AS (confederation parts are not sent).
    path = path.filter((s) => s.type === 1 || s.type === 2);
    if (path[0]?.type === 2 && path[0].asns.length < 255) path[0] = { type: 2, asns: [t.localAs, ...path[0].asns] };
    else path.unshift({ type: 2, asns: [t.localAs] });
  }
  out.asPath = path;
  // Next hop: BIRD's defaults are self towards eBGP and keep towards iBGP; our own routes (and
  // paths without a usable next hop) always get ours. Reflected paths keep theirs (RFC 4456 §10).
  const self = src.local || t.nextHop === 'self' || (t.nextHop === 'auto' && !t.ibgp) || attr.nextHops.length === 0;
  const keep = self ? null : familyNextHops(attr, t.family);
  const nh = keep ?? (t.localAddress ? [t.localAddress] : null);
  if (!nh) return null;
  if (t.family === 4) out.nextHop = nh[0];
  else out.mpReach = { afi: AFI.IPv6, safi: SAFI.Unicast, nextHops: [...nh], nlri: emptyPrefixList(AFI.IPv6) };
  // RFC 4271 §5.1.4: a MED learned from a neighbouring AS is not passed to other ASes.
  if (a.med !== undefined && !src.local && (t.ibgp || !src.ebgp)) out.med = a.med;
  if (t.ibgp) out.localPref = src.ebgp || src.local ? 100 : (a.localPref ?? 100);
  if (a.atomicAggregate) out.atomicAggregate = true;
  if (a.aggregator) out.aggregator = { ...a.aggregator };
  const communities = [...(a.communities ?? [])];
  const large: LargeCommunity[] = (a.largeCommunities ?? []).map((l) => [l[0], l[1], l[2]]);
  if (extra) {
    for (const c of extra.communities) if (!communities.includes(c)) communities.push(c);
    for (const l of extra.largeCommunities) if (!large.some((x) => x[0] === l[0] && x[1] === l[1] && x[2] === l[2])) large.push([l[0], l[1], l[2]]);
  }
  if (communities.length) out.communities = communities;
  if (a.extCommunities?.length) out.extCommunities = [...a.extCommunities];
  if (large.length) out.largeCommunities = large;
  if (t.ibgp && !src.ebgp && !src.local && t.clusterId !== null) {
    // RFC 4456 §8: reflecting sets ORIGINATOR_ID once and prepends our CLUSTER_ID.
    out.originatorId = a.originatorId ?? src.routerId;
    out.clusterList = [t.clusterId, ...(a.clusterList ?? [])];
  } else if (t.ibgp && !src.ebgp && !src.local && a.originatorId !== undefined) {
    out.originatorId = a.originatorId;
    if (a.clusterList) out.clusterList = [...a.clusterList];
  }
  // RFC 4271 §5: unrecognised transitive attributes go on with the Partial bit set.
  const unknown = (a.unknown ?? []).filter((u) => u.flags & 0x40).map((u) => ({ flags: u.flags | 0x20, type: u.type, value: u.value }));
  if (unknown.length) out.unknown = unknown;
  return out;
}

function familyNextHops(attr: Attr, family: 4 | 6): string[] | null {
  const v6 = family === 6;
  const nh = attr.nextHops.filter((h) => h.includes(':') === v6);
  return nh.length ? nh : null;
}
