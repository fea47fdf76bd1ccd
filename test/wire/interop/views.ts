// One comparable "view" of a BGP message, built two independent ways: from Wireshark's dissector
// fields (tsharkView) and from our codec's typed message (ourView). Equal views mean tshark and our
// codec read the same bytes the same way. The view keeps what both sides express unambiguously:
// header facts, OPEN parameters and capabilities, every path attribute's value (the AS path after
// the RFC 6793 §4.2.3 merge, as our decoder hands it out), prefixes with path ids, NOTIFICATION
// codes and shutdown text, ROUTE-REFRESH subtypes.
import { ipv4ToString, ipv6ToString, type Capability, type Message, type PrefixList } from '../../../bgpd/wire/index.js';

export type View = Record<string, unknown>;
type Fields = Record<string, string[]>;

const AS_TRANS = 23456;
const sorted = (xs: string[]): string[] => [...xs].sort();

// ------------------------------------------------------------------------------------------- ours

function prefixes(l: PrefixList | undefined): string[] {
  if (!l) return [];
  const out: string[] = [];
  for (let i = 0; i < l.count; i++) {
    const a = l.afi === 1 ? ipv4ToString(l.addrs[i]) : ipv6ToString(l.addrs, 4 * i);
    out.push(`${l.pathIds ? `${l.pathIds[i]}:` : ''}${a}/${l.lens[i]}`);
  }
  return out;
}

const CAP_CODE: Record<Capability['kind'], number> = {
  multiprotocol: 1, 'route-refresh': 2, 'extended-nexthop': 5, 'extended-message': 6, 'graceful-restart': 64,
  as4: 65, 'add-path': 69, 'enhanced-route-refresh': 70, llgr: 71, fqdn: 73, unknown: -1,
};
const MODE: Record<string, number> = { receive: 1, send: 2, both: 3 };

function capView(caps: Capability[]): View {
  const v: View = { codes: caps.map((c) => (c.kind === 'unknown' ? c.code : CAP_CODE[c.kind])) };
  for (const c of caps) {
    if (c.kind === 'multiprotocol') ((v.mp ??= []) as string[]).push(`${c.afi}/${c.safi}`);
    if (c.kind === 'as4') v.as4 = c.asn;
    if (c.kind === 'add-path') for (const f of c.families) ((v.addPath ??= []) as string[]).push(`${f.afi}/${f.safi}/${MODE[f.mode]}`);
    if (c.kind === 'graceful-restart') {
      v.gr = {
        restartTime: c.restartTime, restarting: c.restarting, notification: c.notification,
        families: c.families.map((f) => `${f.afi}/${f.safi}/${f.forwarding ? 1 : 0}`),
      };
    }
    if (c.kind === 'extended-nexthop') v.enh = c.entries.map((e) => `${e.afi}/${e.safi}/${e.nextHopAfi}`);
    if (c.kind === 'fqdn') v.fqdn = `${c.hostname}|${c.domain}`;
  }
  return v;
}

export function ourView(m: Message): View {
  switch (m.type) {
    case 'keepalive':
      return { type: 'keepalive' };
    case 'route-refresh':
      return { type: m.type, afi: m.afi, safi: m.safi, subtype: m.subtype };
    case 'notification':
      return { type: m.type, code: m.code, subcode: m.subcode, shutdownMessage: m.shutdownMessage };
    case 'open':
      return { type: m.type, version: m.version, myAs: m.myAs, holdTime: m.holdTime, bgpId: ipv4ToString(m.bgpId), caps: capView(m.capabilities) };
    case 'update': {
      const a = m.attributes;
      const v: View = { type: 'update', withdrawn: prefixes(m.withdrawn), nlri: prefixes(m.nlri) };
      if (a.origin !== undefined) v.origin = a.origin;
      if (a.asPath) v.asPath = a.asPath.map((s) => `${s.type}:${s.asns.join(' ')}`).join(';');
      if (a.nextHop !== undefined) v.nextHop = a.nextHop;
      if (a.med !== undefined) v.med = a.med;
      if (a.localPref !== undefined) v.localPref = a.localPref;
      if (a.atomicAggregate) v.atomicAggregate = true;
      if (a.aggregator) v.aggregator = `${a.aggregator.asn}:${a.aggregator.address}`;
      if (a.communities) v.communities = sorted(a.communities.map(String));
      if (a.originatorId !== undefined) v.originatorId = ipv4ToString(a.originatorId);
      if (a.clusterList) v.clusterList = a.clusterList.map(ipv4ToString);
      if (a.mpReach) {
        v.mpReach = { afi: a.mpReach.afi, safi: a.mpReach.safi, nextHops: a.mpReach.nextHops, nlri: sorted(prefixes(a.mpReach.nlri)) };
      }
      if (a.mpUnreach) v.mpUnreach = { afi: a.mpUnreach.afi, safi: a.mpUnreach.safi, nlri: sorted(prefixes(a.mpUnreach.nlri)) };
      if (a.extCommunities) v.extCommunities = a.extCommunities.map((x) => `0x${(x >> 56n).toString(16).padStart(2, '0')}`);
      if (a.largeCommunities) v.largeCommunities = a.largeCommunities.map((l) => l.join(':'));
      if (a.unknown?.length) v.unknown = a.unknown.map((u) => u.type);
      return v;
    }
  }
}

// ----------------------------------------------------------------------------------------- tshark

const one = (f: Fields, k: string): string | undefined => f[k]?.[0];
const num = (f: Fields, k: string): number | undefined => (f[k] ? Number(f[k][0]) : undefined);

function tsharkCaps(f: Fields): View {
  const v: View = { codes: (f['bgp.cap.type'] ?? []).map(Number) };
  const zip = (...ks: string[]): string[] => (f[ks[0]] ?? []).map((_, i) => ks.map((k) => Number(f[k]?.[i])).join('/'));
  if (f['bgp.cap.mp.afi']) v.mp = zip('bgp.cap.mp.afi', 'bgp.cap.mp.safi');
  if (f['bgp.cap.4as']) v.as4 = num(f, 'bgp.cap.4as');
  if (f['bgp.cap.ap.afi']) v.addPath = zip('bgp.cap.ap.afi', 'bgp.cap.ap.safi', 'bgp.cap.ap.sendreceive');
  if (f['bgp.cap.gr.timers.restart_time']) {
    v.gr = {
      restartTime: num(f, 'bgp.cap.gr.timers.restart_time'),
      restarting: one(f, 'bgp.cap.gr.timers.restart_flag') === '1',
      notification: one(f, 'bgp.cap.gr.timers.notification_flag') === '1',
      families: zip('bgp.cap.gr.afi', 'bgp.cap.gr.safi', 'bgp.cap.gr.flag.pfs'),
    };
  }
  if (f['bgp.cap.enh.afi']) v.enh = zip('bgp.cap.enh.afi', 'bgp.cap.enh.safi', 'bgp.cap.enh.nhafi');
  if (f['bgp.cap.orf.fqdn.hostname']) {
    v.fqdn = `${one(f, 'bgp.cap.orf.fqdn.hostname')}|${one(f, 'bgp.cap.orf.fqdn.domain_name') ?? ''}`;
  }
  return v;
}

interface Segment {
  type: number;
  asns: number[];
}

/**
 * Rebuild AS_PATH and AS4_PATH from the flattened segment fields: walk the attributes in wire order
 * and take segments until each attribute's length is used up.
 */
function tsharkPaths(f: Fields, as4Session: boolean): { asPath?: Segment[]; as4Path?: Segment[] } {
  const types = (f['bgp.update.path_attribute.type_code'] ?? []).map(Number);
  const lens = (f['bgp.update.path_attribute.length'] ?? []).map(Number);
  const segTypes = (f['bgp.update.path_attribute.as_path_segment.type'] ?? []).map(Number);
  const segLens = (f['bgp.update.path_attribute.as_path_segment.length'] ?? []).map(Number);
  const as2 = (f['bgp.update.path_attribute.as_path_segment.as2'] ?? []).map(Number);
  const as4 = (f['bgp.update.path_attribute.as_path_segment.as4'] ?? []).map(Number);
  let seg = 0;
  let i2 = 0;
  let i4 = 0;
  const out: { asPath?: Segment[]; as4Path?: Segment[] } = {};
  types.forEach((t, k) => {
    if (t !== 2 && t !== 17) return;
    const wide = t === 17 || as4Session;
    const segs: Segment[] = [];
    for (let used = 0; used < lens[k]; seg++) {
      const n = segLens[seg];
      const asns = wide ? as4.slice(i4, (i4 += n)) : as2.slice(i2, (i2 += n));
      segs.push({ type: segTypes[seg], asns });
      used += 2 + n * (wide ? 4 : 2);
    }
    if (t === 2) out.asPath = segs;
    else out.as4Path = segs;
  });
  return out;
}

/** RFC 6793 §4.2.3: how many ASNs a path counts for (an AS_SET counts one, confederation segments none). */
function pathCount(p: Segment[]): number {
  return p.reduce((n, s) => n + (s.type === 2 ? s.asns.length : s.type === 1 ? 1 : 0), 0);
}

/** RFC 6793 §4.2.3: keep the leading ASNs of AS_PATH that AS4_PATH does not cover, then AS4_PATH. */
function mergeAs4(asPath: Segment[], as4Path: Segment[]): Segment[] {
  const keep = pathCount(asPath) - pathCount(as4Path);
  if (keep < 0) return asPath;
  const out: Segment[] = [];
  let left = keep;
  for (const s of asPath) {
    if (left <= 0) break;
    if (s.type === 2) {
      const take = s.asns.slice(0, left);
      out.push({ type: 2, asns: take });
      left -= take.length;
    } else if (s.type === 1) {
      out.push(s);
      left -= 1;
    } else out.push(s);
  }
  for (const s of as4Path) {
    const last = out[out.length - 1];
    if (last && last.type === 2 && s.type === 2) last.asns.push(...s.asns);
    else out.push({ type: s.type, asns: [...s.asns] });
  }
  return out;
}

function tsharkPrefixes(f: Fields, key: string, pathIds: string[], lens: string[]): string[] {
  // Lengths and path ids are listed for every prefix of the message in wire order; MP prefixes come
  // first when MP_REACH/MP_UNREACH precede the NLRI, which the caller arranges via `lens` offsets.
  return (f[key] ?? []).map((p, i) => `${pathIds.length ? `${pathIds[i]}:` : ''}${p}/${lens[i]}`);
}

export function tsharkView(f: Fields, ctx: { as4: boolean; addPath: { ipv4: boolean; ipv6: boolean } }): View {
  const type = Number(one(f, 'bgp.type'));
  switch (type) {
    case 4:
      return { type: 'keepalive' };
    case 5:
      return { type: 'route-refresh', afi: num(f, 'bgp.route_refresh.afi'), safi: num(f, 'bgp.route_refresh.safi'), subtype: num(f, 'bgp.route_refresh.subtype') ?? 0 };
    case 3: {
      const minorKey = Object.keys(f).find((k) => k.startsWith('bgp.notify.minor_error'));
      return {
        type: 'notification', code: num(f, 'bgp.notify.major_error'), subcode: minorKey ? Number(f[minorKey][0]) : 0,
        shutdownMessage: one(f, 'bgp.notify.communication'),
      };
    }
    case 1:
      return {
        type: 'open', version: num(f, 'bgp.open.version'), myAs: num(f, 'bgp.open.myas'), holdTime: num(f, 'bgp.open.holdtime'),
        bgpId: one(f, 'bgp.open.identifier'), caps: tsharkCaps(f),
      };
    default:
      return tsharkUpdate(f, ctx);
  }
}

function tsharkUpdate(f: Fields, ctx: { as4: boolean; addPath: { ipv4: boolean; ipv6: boolean } }): View {
  const types = (f['bgp.update.path_attribute.type_code'] ?? []).map(Number);
  const has = (t: number): boolean => types.includes(t);
  // Prefix lengths and path ids are shared lists over the whole message in wire order: withdrawn
  // routes, then attributes (MP_REACH / MP_UNREACH NLRI in attribute order), then the NLRI field.
  const lens = [...(f['bgp.prefix_length'] ?? [])];
  const ids = [...(f['bgp.nlri_path_id'] ?? [])];
  const take = (count: number, addPath: boolean): { lens: string[]; ids: string[] } => ({
    lens: lens.splice(0, count),
    ids: addPath ? ids.splice(0, count) : [],
  });
  const wd = take(f['bgp.withdrawn_prefix']?.length ?? 0, ctx.addPath.ipv4);
  const withdrawn = tsharkPrefixes(f, 'bgp.withdrawn_prefix', wd.ids, wd.lens);
  const mpParts: Record<number, string[]> = {};
  for (const t of types) {
    if (t !== 14 && t !== 15) continue;
    const which = t === 14 ? 'reach' : 'unreach';
    const v4 = num(f, `bgp.update.path_attribute.mp_${which}_nlri.afi`) === 1;
    const key = `bgp.mp_${which}_nlri_${v4 ? 'ipv4' : 'ipv6'}_prefix`;
    const p = take(f[key]?.length ?? 0, v4 ? ctx.addPath.ipv4 : ctx.addPath.ipv6);
    mpParts[t] = tsharkPrefixes(f, key, p.ids, p.lens);
  }
  const nl = take(f['bgp.nlri_prefix']?.length ?? 0, ctx.addPath.ipv4);
  const v: View = { type: 'update', withdrawn, nlri: tsharkPrefixes(f, 'bgp.nlri_prefix', nl.ids, nl.lens) };
  if (has(1)) v.origin = num(f, 'bgp.update.path_attribute.origin');
  const paths = tsharkPaths(f, ctx.as4);
  const aggAs = (f['bgp.update.path_attribute.aggregator_as'] ?? []).map(Number);
  const aggIp = f['bgp.update.path_attribute.aggregator_origin'] ?? [];
  // RFC 6793 §4.2.3: on a 2-octet session, AS4_AGGREGATOR and AS4_PATH count only when AGGREGATOR
  // (if any) carries AS_TRANS.
  const aggIdx = has(7) ? types.filter((t) => t === 7 || t === 18).indexOf(7) : -1;
  const as4AggIdx = has(18) ? types.filter((t) => t === 7 || t === 18).indexOf(18) : -1;
  const useAs4 = !ctx.as4 && (aggIdx < 0 || aggAs[aggIdx] === AS_TRANS);
  if (paths.asPath) {
    const p = useAs4 && paths.as4Path ? mergeAs4(paths.asPath, paths.as4Path) : paths.asPath;
    v.asPath = p.map((s) => `${s.type}:${s.asns.join(' ')}`).join(';');
  }
  if (has(3)) v.nextHop = one(f, 'bgp.update.path_attribute.next_hop');
  if (has(4)) v.med = num(f, 'bgp.update.path_attribute.multi_exit_disc');
  if (has(5)) v.localPref = num(f, 'bgp.update.path_attribute.local_pref');
  if (has(6)) v.atomicAggregate = true;
  if (aggIdx >= 0) {
    const i = useAs4 && as4AggIdx >= 0 ? as4AggIdx : aggIdx;
    v.aggregator = `${aggAs[i]}:${aggIp[i]}`;
  }
  if (has(8)) {
    const asn = f['bgp.update.path_attribute.community_as'] ?? [];
    const val = f['bgp.update.path_attribute.community_value'] ?? [];
    const wk = (f['bgp.update.path_attribute.community_wellknown'] ?? []).map((x) => String(Number(x)));
    v.communities = sorted([...asn.map((a, i) => String(Number(a) * 65536 + Number(val[i]))), ...wk]);
  }
  if (has(9)) v.originatorId = one(f, 'bgp.update.path_attribute.originator_id');
  if (has(10)) v.clusterList = f['bgp.path_attribute.cluster_id'] ?? [];
  if (has(14)) {
    const nh = [...(f['bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6'] ?? []), ...(f['bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6.link_local'] ?? [])];
    v.mpReach = {
      afi: num(f, 'bgp.update.path_attribute.mp_reach_nlri.afi'), safi: num(f, 'bgp.update.path_attribute.mp_reach_nlri.safi'),
      nextHops: nh, nlri: sorted(mpParts[14]),
    };
  }
  if (has(15)) {
    v.mpUnreach = {
      afi: num(f, 'bgp.update.path_attribute.mp_unreach_nlri.afi'), safi: num(f, 'bgp.update.path_attribute.mp_unreach_nlri.safi'),
      nlri: sorted(mpParts[15]),
    };
  }
  if (has(16)) v.extCommunities = f['bgp.ext_com.type'] ?? [];
  if (has(32)) {
    const ga = f['bgp.large_communities.ga'] ?? [];
    v.largeCommunities = ga.map((g, i) => `${g}:${f['bgp.large_communities.ldp1'][i]}:${f['bgp.large_communities.ldp2'][i]}`);
  }
  const known = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32]);
  const unknown = types.filter((t) => !known.has(t));
  if (unknown.length) v.unknown = unknown;
  return v;
}
