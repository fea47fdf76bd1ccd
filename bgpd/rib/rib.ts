// The RIB: Adj-RIB-In per peer → import policy → decision → Loc-RIB → export policy → Adj-RIB-Out
// per peer, for IPv4 and IPv6 unicast. UPDATEs are applied at once (interned attributes, numeric
// prefixes) and mark prefixes dirty; the decision runs in batches from setImmediate, a bounded
// number of prefixes per turn, so sessions keep their keepalives whatever the table size. Each batch
// queues the prefixes whose best path changed for every established peer, and each peer's queue is
// packed into UPDATEs (prefixes grouped by outgoing attribute set) until its socket is full; the
// session's drain resumes it. Table dumps (initial, route refresh, policy change) walk the Loc-RIB in
// bounded chunks too and end with End-of-RIB (RFC 4724) or EoRR (RFC 7313).
// It owns no sockets and no kernel state: it talks to sessions through PeerLink and tells listeners
// about best-path changes as plain data.
import { PrefixListBuilder, parsePrefix } from '../wire/prefix.js';
import { UpdateScan, scanUpdate, v4PrefixAt } from '../wire/index.js';
import { encodeAttributesForPacking, packUpdates, packWithdrawals, type EncodedAttributes } from '../wire/pack.js';
import { AFI, type Afi, type PathAttributes, type PrefixList, type UpdateMessage } from '../wire/types.js';
import type { ExportVerdict, Policy, PolicyRoute } from '../policy/types.js';
import { AttrTable, type Attr } from './attrs.js';
import { addressOrder, compare, mergeable } from './decision.js';
import { exportAttrs, mayExport, targetKey, type ExportTarget } from './export.js';
import { ACCEPTED, RibPeer, STALE, type PeerLink, type RibPeerConfig } from './peer.js';
import { PrefixTable, grow } from './prefixes.js';
import type { BestChange, RibRouteView } from './views.js';

export interface RibOptions {
  /**
   * Prefixes (and attribute sets) the per-prefix arrays are made for before they first grow
   * (default FULL_TABLE). Only address space: a page costs memory once a route is written to it.
   */
  capacity?: number;
  routerId: number;
  /** This node's AS (its own routes' neighbour AS). */
  localAs: number;
  /** Node routeReflectorClusterID as a u32: set when this node is a route reflector. */
  clusterId: number | null;
  /** Prefixes decided per setImmediate turn. */
  batch?: number;
  /** Called when a peer sent more prefixes than its limit: the owner tears the session down. */
  onMaxPrefix?(peer: string, limit: number): void;
  /** Told of every prefix put into (or withdrawn from) a peer's Adj-RIB-Out, for the route trace. */
  onAdvertised?(peer: string, prefix: string, withdrawn: boolean): void;
}

/** A full IPv4 Internet table, with room to spare: what the RIB's arrays are first made for. */
export const FULL_TABLE = 1 << 20;

/** Prefixes walked per turn by a dump, and packed per UPDATE run of the Adj-RIB-Out. */
const DUMP_CHUNK = 32768;
const SEND_CHUNK = 4096;

interface OutAttr {
  attrs: PathAttributes;
  enc4: EncodedAttributes | null;
  enc2: EncodedAttributes | null;
}

/** An update group: peers whose outgoing attributes are computed once (same policy and target). */
interface Group {
  target: ExportTarget;
  /** Outgoing attribute id per (source attribute, source peer), per export verdict. */
  cache: Map<ExportVerdict, Map<number, number>>;
  members: number;
}

/** The one PolicyRoute the filters are handed; its attributes are read from the set only if asked. */
class FilledRoute implements PolicyRoute {
  constructor(readonly table: AttrTable) {}
  afi: Afi = AFI.IPv4;
  v4 = 0;
  v6: Uint32Array | null = null;
  v6Offset = 0;
  len = 0;
  /** The attribute set's id. */
  attr = 0;
  from: PolicyRoute['from'] = null;
  iface: string | null = null;

  get attrs(): PathAttributes {
    return this.attr ? this.table.attrsOf(this.attr) : {};
  }
}

export class Rib {
  readonly prefixes: PrefixTable;
  readonly attrs: AttrTable;
  readonly #o: Required<Pick<RibOptions, 'routerId' | 'localAs' | 'clusterId' | 'batch'>> & Pick<RibOptions, 'onMaxPrefix' | 'onAdvertised'>;
  #policy: Policy | null = null;
  #peers: (RibPeer | null)[] = [];
  #byName = new Map<string, RibPeer>();
  /** Peers in slot order, for the decision's candidate walk. */
  #active: RibPeer[] = [];
  readonly #local: RibPeer;
  #localPids = new Map<string, number>();
  /**
   * Routes other programs put in the kernel (BIRD's `protocol kernel { learn; }`): Felix's pod
   * routes and the like, by prefix, with their interface — policy exports a borrowed /32 from them
   * and keeps routes via Felix's tunnel devices from iBGP peers.
   */
  #kernelPids = new Map<string, number>();
  #kernelIface = new Map<number, string | null>();

  // Loc-RIB
  /** The best path's peer slot + 1 per pid (0: none), so fresh memory means "no route"; see #bestSlot. */
  #best: Int32Array;
  #bestAttr: Int32Array;
  #ecmp = new Map<number, number[]>();
  #routes = 0;
  #networks = 0;

  // Dirty prefixes, decided in batches.
  #dirty: Uint8Array;
  #dq: Int32Array;
  #dHead = 0;
  #dTail = 0;
  #scheduled = false;
  #bestListeners: ((c: BestChange[]) => void)[] = [];

  #groups = new Map<string, Group>();
  #outAttrs = new Map<number, OutAttr>();
  #nextOut = 1;
  #route: FilledRoute;
  #localAttr: Attr;
  /** Arrival times are kept in tenths of a second from here (four octets a route). */
  readonly #epoch = Date.now();
  #cands: RibPeer[] = [];
  readonly #scan = new UpdateScan();
  /** The peer the last ingest() was for (names change with addPeer and removePeer only). */
  #lastName = '';
  #lastPeer: RibPeer | undefined = undefined;

  constructor(o: RibOptions) {
    // Copied into one shape whatever the caller passed, so the hot paths that read it see one map
    // (the warm-up's RIB and a speaker's share their optimised code).
    this.#o = { routerId: o.routerId, localAs: o.localAs, clusterId: o.clusterId, batch: o.batch ?? 16384, onMaxPrefix: o.onMaxPrefix, onAdvertised: o.onAdvertised };
    // Made at full size once rather than doubled as the table fills: growing copies every array and
    // leaves the old ones to the garbage collector, which frees them only at its next full cycle.
    const cap = o.capacity ?? FULL_TABLE;
    this.prefixes = new PrefixTable(cap);
    this.attrs = new AttrTable(cap);
    this.#best = new Int32Array(cap);
    this.#bestAttr = new Int32Array(cap);
    this.#dirty = new Uint8Array(cap);
    this.#dq = new Int32Array(cap);
    this.#route = new FilledRoute(this.attrs);
    this.prefixes.onGrow((cap) => {
      this.#best = grow(this.#best, cap);
      this.#bestAttr = grow(this.#bestAttr, cap);
      this.#dirty = grow(this.#dirty, cap);
    });
    this.#local = this.#addPeer({ name: '', peerAddress: '', localAs: o.localAs, peerAs: o.localAs, family: 4, rrClient: false, nextHop: 'keep', numAllowedLocalAS: 0, filters: [], maxPrefixes: Infinity }, true);
    this.#localAttr = this.attrs.intern({ origin: 0, asPath: [] }, []);
    this.#localAttr.refs++; // kept for the life of the RIB
  }

  get routerId(): number {
    return this.#o.routerId;
  }

  // ---- peers ----

  #addPeer(cfg: RibPeerConfig, local = false): RibPeer {
    const p = new RibPeer(this.#peers.length, cfg, local, this.#o.routerId, this.attrs);
    p.candidate.peerOrder = addressOrder(cfg.peerAddress || '0.0.0.0');
    this.#peers.push(p);
    this.#active.push(p);
    if (!local) this.#byName.set(cfg.name, p);
    this.#lastName = '';
    this.#applyPolicy(p);
    return p;
  }

  addPeer(cfg: RibPeerConfig): void {
    if (this.#byName.has(cfg.name)) throw new Error(`peer ${cfg.name} is already in the RIB`);
    this.#addPeer(cfg);
  }

  /** The peer is deconfigured: its routes go and its slot is never reused. */
  removePeer(name: string): void {
    const p = this.#byName.get(name);
    if (!p) return;
    this.down(name, false);
    this.#byName.delete(name);
    this.#lastName = '';
    this.#peers[p.slot] = null;
    this.#active = this.#active.filter((x) => x !== p);
  }

  peer(name: string): RibPeer | undefined {
    return this.#byName.get(name);
  }

  peerNames(): string[] {
    return [...this.#byName.keys()];
  }

  // ---- policy and this node's routes ----

  /** New policy: peers whose key changed get their import and export looked at again. */
  setPolicy(policy: Policy): void {
    this.#policy = policy;
    for (const p of this.#active) if (!p.local) this.#applyPolicy(p);
    this.#schedule();
  }

  #applyPolicy(p: RibPeer): void {
    const pol = this.#policy;
    if (!pol || p.local) return;
    const key = pol.key(p.policyPeer);
    if (key === p.policyKey && p.exportFilter) return;
    p.policyKey = key;
    p.importFilter = pol.importFilter(p.policyPeer);
    p.exportFilter = pol.exportFilter(p.policyPeer);
    // Import again: the verdicts are kept per route so filtered routes can come back.
    for (let pid = 0; pid < p.inAttr.length; pid++) {
      const id = p.inAttr[pid];
      if (id === 0) continue;
      const was = (p.inFlags[pid] & ACCEPTED) !== 0;
      const now = p.importFilter(this.#fill(pid, id, p));
      if (was === now) continue;
      p.inFlags[pid] ^= ACCEPTED;
      p.accepted += now ? 1 : -1;
      this.#routes += now ? 1 : -1;
      this.#markDirty(pid);
    }
    if (p.target) {
      this.#leaveGroup(p);
      this.#joinGroup(p);
      this.#startDump(p);
    }
  }

  /** This node's own routes (policy.originated()): added, kept or withdrawn to match. */
  setOriginated(prefixes: string[]): void {
    const want = new Set(prefixes);
    const now = this.#tick();
    for (const [text, pid] of this.#localPids) {
      if (want.has(text)) continue;
      if (!this.#kernelPids.has(text)) this.#withdraw(this.#local, pid);
      this.#localPids.delete(text);
    }
    for (const text of want) {
      if (this.#localPids.has(text)) continue;
      const pid = this.#pidOf(text);
      if (pid < 0) continue;
      this.#localPids.set(text, pid);
      this.#set(this.#local, pid, this.#localAttr.id, now);
    }
    this.#schedule();
  }

  /** Kernel routes of other programs appeared or changed (`added`) or went (`removed`), by prefix. */
  setKernelRoutes(added: { prefix: string; iface: string | null }[], removed: string[]): void {
    const now = this.#tick();
    for (const text of removed) {
      const pid = this.#kernelPids.get(text);
      if (pid === undefined) continue;
      this.#kernelPids.delete(text);
      this.#kernelIface.delete(pid);
      if (!this.#localPids.has(text)) this.#withdraw(this.#local, pid);
      else this.#markDirty(pid);
    }
    for (const r of added) {
      const pid = this.#pidOf(r.prefix);
      if (pid < 0) continue;
      this.#kernelPids.set(r.prefix, pid);
      this.#kernelIface.set(pid, r.iface);
      if (!this.#localPids.has(r.prefix)) this.#set(this.#local, pid, this.#localAttr.id, now);
      // A changed interface can change what export policy says.
      this.#markDirty(pid);
    }
    this.#schedule();
  }

  /** How many of this node's own routes are originated (blocks, services) and learned from the kernel. */
  localCounts(): { originated: number; kernel: number } {
    return { originated: this.#localPids.size, kernel: this.#kernelPids.size };
  }

  #pidOf(text: string): number {
    const pp = parsePrefix(text);
    if (!pp) return -1;
    return pp.afi === AFI.IPv4 ? this.prefixes.internV4(pp.addr[0], pp.len) : this.prefixes.internV6(pp.addr, 0, pp.len);
  }

  // ---- session events ----

  /** The session is Established: remember the peer's identifier and send it the table. */
  up(name: string, link: PeerLink, peerRouterId: number): void {
    const p = this.#byName.get(name);
    if (!p) return;
    p.link = link;
    p.setRouterId(peerRouterId);
    p.eorReceived = false;
    p.resetOut();
    p.target = {
      ibgp: p.ibgp,
      rrClient: p.cfg.rrClient,
      localAs: p.cfg.localAs,
      nextHop: p.cfg.nextHop,
      localAddress: link.localAddress ?? '',
      family: p.cfg.family,
      clusterId: this.#o.clusterId,
    };
    this.#joinGroup(p);
    p.sendEor = true;
    this.#startDump(p);
  }

  /**
   * The session went down. `keepStale` (graceful restart, RFC 4724 §4.2): its routes stay, marked
   * stale, until swept; otherwise they go now.
   */
  down(name: string, keepStale: boolean): void {
    const p = this.#byName.get(name);
    if (!p) return;
    if (p.target) this.#leaveGroup(p);
    p.target = null;
    p.link = null;
    p.resetOut();
    p.eorReceived = false;
    for (let pid = 0; pid < p.inAttr.length; pid++) {
      if (p.inAttr[pid] === 0) continue;
      if (keepStale) p.inFlags[pid] |= STALE;
      else this.#withdraw(p, pid);
    }
    this.#schedule();
  }

  /** Drop a peer's stale routes of one family (null: all). Returns how many went. */
  sweep(name: string, afi: Afi | null): number {
    const p = this.#byName.get(name);
    if (!p) return 0;
    let n = 0;
    for (let pid = 0; pid < p.inAttr.length; pid++) {
      if (p.inAttr[pid] !== 0 && p.inFlags[pid] & STALE && (afi === null || this.prefixes.afi[pid] === afi)) {
        this.#withdraw(p, pid);
        n++;
      }
    }
    this.#schedule();
    return n;
  }

  endOfRib(name: string): void {
    const p = this.#byName.get(name);
    if (p) p.eorReceived = true;
  }

  /** The peer asked for our routes again (RFC 2918; RFC 7313 between BoRR and EoRR). */
  refresh(name: string, enhanced: boolean): void {
    const p = this.#byName.get(name);
    if (!p?.link || !p.target) return;
    if (enhanced) p.link.sendRouteRefresh(p.afi, 1);
    // Everything is sent again: forget what the peer has.
    p.out.fill(0);
    p.exported = 0;
    p.sendEorr = enhanced;
    this.#startDump(p);
  }

  /** The peer's socket takes more: go on with its queue. */
  drain(name: string): void {
    const p = this.#byName.get(name);
    if (!p?.waitingDrain) return;
    p.waitingDrain = false;
    setImmediate(() => this.#flush(p));
  }

  /**
   * One UPDATE from a peer (RFC 4271 §9): withdrawals, then announcements. Paths that loop (our AS
   * too often in AS_PATH, our router id as ORIGINATOR_ID, our cluster id in CLUSTER_LIST) are
   * handled as withdrawn, as are RFC 7606 treat-as-withdraw UPDATEs.
   */
  update(name: string, u: UpdateMessage, as4 = true): void {
    const p = this.#byName.get(name);
    if (!p) return;
    const a = u.attributes;
    this.#withdrawList(p, u.withdrawn);
    if (a.mpUnreach) this.#withdrawList(p, a.mpUnreach.nlri);
    const hasNlri = u.nlri.count > 0 || (a.mpReach !== undefined && a.mpReach.nlri.count > 0);
    if (hasNlri) {
      if (u.treatAsWithdraw || this.loops(p, a)) {
        this.#withdrawList(p, u.nlri);
        if (a.mpReach) this.#withdrawList(p, a.mpReach.nlri);
      } else {
        const now = this.#tick();
        if (u.nlri.count > 0 && a.nextHop !== undefined) {
          let attr: Attr;
          if (u.attrKey !== undefined && AttrTable.isBare(as4, undefined)) attr = this.attrs.internBytes(u.attrKey, a, a.nextHop);
          else {
            const nh = [a.nextHop];
            const key = u.attrKey ? AttrTable.rawKey(u.attrKey, as4, undefined) : AttrTable.plainKey(a, nh);
            attr = this.attrs.lookup(key) ?? this.attrs.intern(a, nh, key);
          }
          this.#announceList(p, u.nlri, attr.id, now);
        }
        const mp = a.mpReach;
        if (mp && mp.nlri.count > 0 && (mp.afi === AFI.IPv4 || mp.afi === AFI.IPv6) && mp.safi === 1) {
          const key = u.attrKey ? AttrTable.rawKey(u.attrKey, as4, mp.nextHops) : AttrTable.plainKey(a, mp.nextHops);
          this.#announceList(p, mp.nlri, (this.attrs.lookup(key) ?? this.attrs.intern(a, mp.nextHops, key)).id, now);
        }
      }
    }
    this.#schedule();
    if (p.received > p.cfg.maxPrefixes) this.#o.onMaxPrefix?.(p.cfg.name, p.cfg.maxPrefixes);
  }

  /**
   * update() for an UPDATE body buf[start, end) straight from the wire, on a 4-octet session without
   * ADD-PATH: applied from the bytes, with no decoding and no allocation once its attribute set is
   * known, when a validating walk finds it plain (bgpd/wire/scan.ts). False when it is not (errors,
   * MP attributes, End-of-RIB and the like): nothing was done, and the caller decodes it for update().
   */
  ingest(name: string, buf: Buffer, start: number, end: number): boolean {
    // A table arrives as a run of UPDATEs from one peer: its name is looked up once for the run.
    let p = this.#lastPeer;
    if (name !== this.#lastName) {
      p = this.#byName.get(name);
      this.#lastName = name;
      this.#lastPeer = p;
    }
    const s = this.#scan;
    if (!scanUpdate(buf, start, end, p ? p.cfg.localAs : 0, this.#o.clusterId ?? -1, s)) return false;
    if (!p) return true;
    this.#withdrawField(p, buf, s.wStart, s.wEnd);
    if (s.nlriCount > 0) {
      if (this.#looped(p, s.localAsCount, s.hasOriginatorId ? s.originatorId : undefined, s.clusterHit)) this.#withdrawField(p, buf, s.nStart, s.nEnd);
      else {
        const attr = this.attrs.internScanned(buf, s);
        const now = this.#tick();
        const t = this.prefixes;
        for (let o = s.nStart; o < s.nEnd; o += 1 + ((buf[o] + 7) >> 3)) this.#set(p, t.internV4(v4PrefixAt(buf, o), buf[o]), attr, now);
      }
    }
    this.#schedule();
    if (p.received > p.cfg.maxPrefixes) this.#o.onMaxPrefix?.(p.cfg.name, p.cfg.maxPrefixes);
    return true;
  }

  /** What the last ingest() walk found (its NLRI and withdrawn fields), for the route trace. */
  get scanned(): Readonly<UpdateScan> {
    return this.#scan;
  }

  /** RFC 4271 §9.1.2 / RFC 4456 §8: is this path one of our own coming back? */
  loops(p: RibPeer, a: PathAttributes): boolean {
    let mine = 0;
    for (const seg of a.asPath ?? []) for (const asn of seg.asns) if (asn === p.cfg.localAs) mine++;
    const cid = this.#o.clusterId;
    return this.#looped(p, mine, a.originatorId, cid !== null && (a.clusterList?.includes(cid) ?? false));
  }

  /**
   * loops() on what a path says of itself: how often our AS is in its AS_PATH, its ORIGINATOR_ID, and
   * whether its CLUSTER_LIST holds our cluster id (the last two count on iBGP sessions only).
   */
  #looped(p: RibPeer, localAsCount: number, originatorId: number | undefined, clusterHit: boolean): boolean {
    if (localAsCount > p.cfg.numAllowedLocalAS) return true;
    return p.ibgp && ((originatorId !== undefined && originatorId >>> 0 === this.#o.routerId >>> 0) || clusterHit);
  }

  #withdrawList(p: RibPeer, list: PrefixList): void {
    const t = this.prefixes;
    if (list.afi === AFI.IPv4) {
      for (let i = 0; i < list.count; i++) {
        const pid = t.findV4(list.addrs[i], list.lens[i]);
        if (pid >= 0) this.#withdraw(p, pid);
      }
    } else {
      for (let i = 0; i < list.count; i++) {
        const pid = t.internV6(list.addrs, 4 * i, list.lens[i], true);
        if (pid >= 0) this.#withdraw(p, pid);
      }
    }
  }

  /** #withdrawList for a field of IPv4 prefixes buf[from, to) as received (checked by scanUpdate). */
  #withdrawField(p: RibPeer, buf: Buffer, from: number, to: number): void {
    const t = this.prefixes;
    for (let o = from; o < to; o += 1 + ((buf[o] + 7) >> 3)) {
      const pid = t.findV4(v4PrefixAt(buf, o), buf[o]);
      if (pid >= 0) this.#withdraw(p, pid);
    }
  }

  #announceList(p: RibPeer, list: PrefixList, attr: number, now: number): void {
    const t = this.prefixes;
    if (list.afi === AFI.IPv4) {
      for (let i = 0; i < list.count; i++) this.#set(p, t.internV4(list.addrs[i], list.lens[i]), attr, now);
    } else {
      for (let i = 0; i < list.count; i++) this.#set(p, t.internV6(list.addrs, 4 * i, list.lens[i]), attr, now);
    }
  }

  /** Peer p's path for prefix `pid` is now attribute set `attr` (an id). */
  #set(p: RibPeer, pid: number, attr: number, now: number): void {
    p.ensureIn(pid);
    const old = p.inAttr[pid];
    const flags = p.inFlags[pid];
    if (old === attr) {
      if (flags & STALE) p.inFlags[pid] = flags & ~STALE;
      return;
    }
    this.attrs.ref(attr);
    if (old !== 0) this.attrs.releaseId(old);
    else p.received++;
    const ok = p.importFilter(this.#fill(pid, attr, p));
    const was = old !== 0 && (flags & ACCEPTED) !== 0;
    if (ok !== was) {
      p.accepted += ok ? 1 : -1;
      this.#routes += ok ? 1 : -1;
    }
    p.inAttr[pid] = attr;
    p.inFlags[pid] = ok ? ACCEPTED : 0;
    p.inSince[pid] = now;
    this.#markDirty(pid);
  }

  #withdraw(p: RibPeer, pid: number): void {
    if (pid >= p.inAttr.length) return;
    const old = p.inAttr[pid];
    if (old === 0) return;
    this.attrs.releaseId(old);
    p.received--;
    if (p.inFlags[pid] & ACCEPTED) {
      p.accepted--;
      this.#routes--;
    }
    p.inAttr[pid] = 0;
    p.inFlags[pid] = 0;
    this.#markDirty(pid);
  }

  /** The shared PolicyRoute, filled for one prefix and path (no allocation). */
  #fill(pid: number, attr: number, from: RibPeer): PolicyRoute {
    const r = this.#route;
    const t = this.prefixes;
    r.afi = t.afi[pid] as Afi;
    r.len = t.len[pid];
    if (r.afi === AFI.IPv4) {
      r.v4 = t.v4[pid];
      r.v6 = null;
      r.v6Offset = 0;
    } else {
      r.v4 = 0;
      r.v6 = t.v6;
      r.v6Offset = 4 * t.v4[pid];
    }
    r.attr = attr;
    r.from = from.origin;
    r.iface = from.local ? (this.#kernelIface.get(pid) ?? null) : null;
    return r;
  }

  /**
   * Now, in the arrival-time unit. Read from the clock once per turn of the event loop: every UPDATE
   * of one socket read arrived at the same moment.
   */
  #tick(): number {
    if (this.#tickNow < 0) {
      this.#tickNow = Math.round((Date.now() - this.#epoch) / 100);
      queueMicrotask(this.#tickExpire);
    }
    return this.#tickNow;
  }

  #tickNow = -1;
  readonly #tickExpire = (): void => {
    this.#tickNow = -1;
  };

  // ---- decision ----

  /** The peer slot of a prefix's best path, or -1 when it has none. */
  #bestSlot(pid: number): number {
    return this.#best[pid] - 1;
  }

  #markDirty(pid: number): void {
    if (this.#dirty[pid]) return;
    this.#dirty[pid] = 1;
    if (this.#dTail === this.#dq.length) this.#queueRoom();
    this.#dq[this.#dTail++] = pid;
  }

  /** Room at the tail of the dirty queue: decided entries dropped from the front, else twice the size. */
  #queueRoom(): void {
    if (this.#dHead > 0) {
      this.#dq.copyWithin(0, this.#dHead, this.#dTail);
      this.#dTail -= this.#dHead;
      this.#dHead = 0;
    }
    if (this.#dTail === this.#dq.length) this.#dq = grow(this.#dq, this.#dq.length * 2);
  }

  #schedule(): void {
    if (this.#scheduled || this.#dHead === this.#dTail) return;
    this.#scheduled = true;
    setImmediate(() => this.#runBatch());
  }

  /** Decisions waiting to run. */
  get dirty(): number {
    return this.#dTail - this.#dHead;
  }

  #runBatch(): void {
    this.#scheduled = false;
    const end = Math.min(this.#dTail, this.#dHead + this.#o.batch);
    const changes: BestChange[] | null = this.#bestListeners.length ? [] : null;
    while (this.#dHead < end) {
      const pid = this.#dq[this.#dHead++];
      this.#dirty[pid] = 0;
      if (this.#decide(pid) && changes) changes.push(this.#change(pid));
    }
    if (this.#dHead === this.#dTail) this.#dHead = this.#dTail = 0;
    for (const p of this.#active) if (p.pending > 0 && p.target && !p.waitingDrain) this.#flush(p);
    if (changes && changes.length) for (const fn of this.#bestListeners) fn(changes);
    this.#schedule();
  }

  /** Run the decision for one prefix; true when its best path (or multipath set) changed. */
  #decide(pid: number): boolean {
    let best: RibPeer | null = null;
    let n = 0;
    const act = this.#active;
    const cands = this.#cands;
    for (let i = 0; i < act.length; i++) {
      const p = act[i];
      if (pid >= p.inAttr.length) continue;
      const id = p.inAttr[pid];
      if (id === 0 || (p.inFlags[pid] & ACCEPTED) === 0) continue;
      p.candidate.attr = this.attrs.at(p.handle, id);
      cands[n++] = p;
      if (best === null || compare(p.candidate, best.candidate) < 0) best = p;
    }
    let multi: number[] | null = null;
    for (let i = 0; i < n && n > 1; i++) {
      const p = cands[i];
      if (p !== best && mergeable(p.candidate, best!.candidate)) (multi ??= [best!.slot]).push(p.slot);
    }
    const prev = this.#bestSlot(pid);
    const slot = best ? best.slot : -1;
    const attrId = best ? best.candidate.attr.id : 0;
    const prevMulti = this.#ecmp.get(pid);
    const sameMulti = (prevMulti === undefined && multi === null) || (prevMulti !== undefined && multi !== null && prevMulti.length === multi.length && prevMulti.every((s, i) => s === multi![i]));
    if (prev === slot && this.#bestAttr[pid] === attrId && sameMulti) return false;
    if (prev !== slot) {
      const pp = prev >= 0 ? this.#peers[prev] : null;
      if (pp) pp.preferred--;
      if (best) best.preferred++;
      if (prev < 0) this.#networks++;
      if (slot < 0) this.#networks--;
    }
    this.#best[pid] = slot + 1;
    this.#bestAttr[pid] = attrId;
    if (multi) this.#ecmp.set(pid, multi);
    else this.#ecmp.delete(pid);
    for (let i = 0; i < act.length; i++) {
      const p = act[i];
      if (!p.target) continue;
      // A peer is never sent its own path; when it has nothing of ours there is nothing to do.
      if (p === best && p.outAt(pid) === 0) continue;
      p.enqueue(pid);
    }
    return true;
  }

  #change(pid: number): BestChange {
    const slot = this.#bestSlot(pid);
    const p = slot >= 0 ? this.#peers[slot] : null;
    return { prefix: this.prefixes.text(pid), afi: this.prefixes.afi[pid] as 1 | 2, nextHops: p && !p.local ? this.nextHopsOf(pid) : [], session: p && !p.local ? p.cfg.name : null };
  }

  /**
   * BGP next hops of a prefix's best path and its multipath partners (one per path, deduplicated).
   * Without multipath the list is the attribute set's own frozen one: read it, do not change it.
   */
  nextHopsOf(pid: number): string[] {
    const v6 = this.prefixes.afi[pid] === AFI.IPv6;
    const ecmp = this.#ecmp.get(pid);
    if (!ecmp) {
      const slot = this.#bestSlot(pid);
      const p = slot >= 0 ? this.#peers[slot] : null;
      const id = p && !p.local ? p.attrAt(pid) : 0;
      if (id === 0) return [];
      const a = this.attrs.get(id);
      return (v6 ? a.hop6 : a.hop4) as string[];
    }
    const out: string[] = [];
    for (const s of ecmp) {
      const p = this.#peers[s];
      if (!p || p.local) continue;
      const id = p.attrAt(pid);
      if (id === 0) continue;
      const nh = (v6 ? this.attrs.get(id).hop6 : this.attrs.get(id).hop4)[0];
      if (nh && !out.includes(nh)) out.push(nh);
    }
    return out;
  }

  onBestChange(fn: (changes: BestChange[]) => void): void {
    this.#bestListeners.push(fn);
  }

  // ---- Adj-RIB-Out ----

  #joinGroup(p: RibPeer): void {
    const key = `${p.policyKey}#${targetKey(p.target!)}`;
    let g = this.#groups.get(key);
    if (!g) {
      g = { target: p.target!, cache: new Map(), members: 0 };
      this.#groups.set(key, g);
    }
    g.members++;
    p.groupKey = key;
  }

  #leaveGroup(p: RibPeer): void {
    const g = this.#groups.get(p.groupKey);
    if (g && --g.members === 0) {
      for (const m of g.cache.values()) for (const id of m.values()) this.#outAttrs.delete(id);
      this.#groups.delete(p.groupKey);
    }
    p.groupKey = '';
  }

  /** Walk the Loc-RIB in chunks, queueing every prefix for the peer; End-of-RIB follows. */
  #startDump(p: RibPeer): void {
    const started = p.dumpAt >= 0;
    p.dumpAt = 0;
    if (started) return; // the walk under way starts over
    const step = (): void => {
      if (p.dumpAt < 0 || !p.target) return;
      const end = Math.min(this.prefixes.size, p.dumpAt + DUMP_CHUNK);
      const afi = p.afi;
      for (let pid = p.dumpAt; pid < end; pid++) {
        if (this.prefixes.afi[pid] !== afi) continue;
        const best = this.#bestSlot(pid);
        if (best >= 0 || p.outAt(pid) !== 0) {
          if (best === p.slot && p.outAt(pid) === 0) continue;
          p.enqueue(pid);
        }
      }
      p.dumpAt = end >= this.prefixes.size ? -1 : end;
      this.#flush(p);
      if (p.dumpAt >= 0) setImmediate(step);
    };
    setImmediate(step);
  }

  /** Pack and send the peer's queue until it is empty or the socket is full. */
  #flush(p: RibPeer): void {
    const link = p.link;
    const ctx = link?.encodeContext;
    if (!link || !ctx || !p.target || p.waitingDrain) return;
    const g = this.#groups.get(p.groupKey)!;
    const t = this.prefixes;
    const told = this.#o.onAdvertised;
    while (p.qHead < p.qTail) {
      const end = Math.min(p.qTail, p.qHead + SEND_CHUNK);
      const byAttr = new Map<number, PrefixListBuilder>();
      let gone: PrefixListBuilder | null = null;
      const afi = p.afi;
      while (p.qHead < end) {
        const pid = p.queue[p.qHead++];
        p.queued[pid] = 0;
        const want = this.#desired(p, g, pid);
        const have = p.out[pid];
        if (want === have) continue;
        let b: PrefixListBuilder;
        if (want === 0) b = gone ??= new PrefixListBuilder(afi);
        else {
          b = byAttr.get(want) ?? new PrefixListBuilder(afi);
          byAttr.set(want, b);
        }
        if (afi === AFI.IPv4) b.addV4(t.v4[pid], t.len[pid]);
        else b.addV6(t.v6.subarray(4 * t.v4[pid], 4 * t.v4[pid] + 4), t.len[pid]);
        if (have === 0) p.exported++;
        else if (want === 0) p.exported--;
        p.out[pid] = want;
        if (told) told(p.cfg.name, t.text(pid), want === 0);
      }
      const msgs: Buffer[] = [];
      if (gone) msgs.push(...packWithdrawals(gone.finish(), ctx));
      for (const [id, b] of byAttr) {
        const o = this.#outAttrs.get(id)!;
        const enc = ctx.as4 ? (o.enc4 ??= encodeAttributesForPacking(o.attrs, ctx)) : (o.enc2 ??= encodeAttributesForPacking(o.attrs, ctx));
        msgs.push(...packUpdates(enc, b.finish(), ctx));
      }
      if (msgs.length && !link.send(msgs)) {
        // Full socket: wait for drain, unless the queue is done (then only the marker follows).
        p.waitingDrain = true;
        if (p.qHead < p.qTail) return;
      }
    }
    p.qHead = p.qTail = 0;
    if (p.dumpAt < 0) {
      // RFC 4724 §4: End-of-RIB once the initial table is out; RFC 7313 §4: EoRR ends a refresh.
      if (p.sendEor) link.sendEndOfRib(p.afi);
      if (p.sendEorr) link.sendRouteRefresh(p.afi, 2);
      p.sendEor = p.sendEorr = false;
    }
  }

  /** The outgoing attribute id the peer should have for a prefix (0: nothing). */
  #desired(p: RibPeer, g: Group, pid: number): number {
    const slot = this.#bestSlot(pid);
    if (slot < 0 || slot === p.slot || this.prefixes.afi[pid] !== p.afi) return 0;
    const src = this.#peers[slot];
    if (!src || !p.exportFilter) return 0;
    if (!mayExport(src.source, g.target)) return 0;
    const attrId = this.#bestAttr[pid];
    const verdict = p.exportFilter(this.#fill(pid, attrId, src));
    if (verdict === null) return 0;
    let m = g.cache.get(verdict);
    if (!m) {
      m = new Map();
      g.cache.set(verdict, m);
    }
    const key = attrId * 65536 + slot;
    let id = m.get(key);
    if (id === undefined) {
      const out = exportAttrs(this.attrs.get(attrId), src.source, g.target, verdict.communities.length || verdict.largeCommunities.length ? verdict : null);
      id = 0;
      if (out) {
        id = this.#nextOut++;
        this.#outAttrs.set(id, { attrs: out, enc4: null, enc2: null });
      }
      if (m.size > 4 * this.attrs.size + 1024) this.#trimCache(m);
      m.set(key, id);
    }
    return id;
  }

  /** An update group's cache outgrew the attribute table (churn): start it afresh. */
  #trimCache(m: Map<number, number>): void {
    for (const id of m.values()) this.#outAttrs.delete(id);
    m.clear();
  }

  // ---- views ----

  /** Update groups in use (peers sharing export computation). */
  get groupCount(): number {
    return this.#groups.size;
  }

  routeCount(): { routes: number; networks: number } {
    return { routes: this.#routes, networks: this.#networks };
  }

  /** Every path of a prefix that import accepted, best first, then its multipath partners. */
  #pathsOf(pid: number, out: RibRouteView[]): void {
    const best = this.#bestSlot(pid);
    const ecmp = this.#ecmp.get(pid);
    const order: RibPeer[] = [];
    for (const p of this.#active) {
      const id = p.attrAt(pid);
      if (id === 0 || (p.inFlags[pid] & ACCEPTED) === 0) continue;
      order.push(p);
    }
    const rank = (p: RibPeer): number => (p.slot === best ? 0 : ecmp?.includes(p.slot) ? 1 : 2);
    order.sort((a, b) => rank(a) - rank(b));
    const prefix = this.prefixes.text(pid);
    const afi = this.prefixes.afi[pid] as 1 | 2;
    for (const p of order) {
      const a = this.attrs.get(p.inAttr[pid]);
      out.push({
        prefix,
        afi,
        session: p.local ? null : p.cfg.name,
        peerAddress: p.local ? null : p.cfg.peerAddress,
        attrs: a.attrs,
        attrId: a.id,
        nextHops: [...a.nextHops],
        best: p.slot === best,
        since: this.#epoch + p.inSince[pid] * 100,
        stale: (p.inFlags[pid] & STALE) !== 0,
      });
    }
  }

  *routes(): Iterable<RibRouteView> {
    const buf: RibRouteView[] = [];
    for (let pid = 0; pid < this.prefixes.size; pid++) {
      buf.length = 0;
      this.#pathsOf(pid, buf);
      yield* buf;
    }
  }

  routesOf(prefix: string): RibRouteView[] {
    const pid = this.pidOf(prefix);
    const out: RibRouteView[] = [];
    if (pid >= 0) this.#pathsOf(pid, out);
    return out;
  }

  pidOf(prefix: string): number {
    const pp = parsePrefix(prefix);
    if (!pp) return -1;
    return pp.afi === AFI.IPv4 ? this.prefixes.findV4(pp.addr[0], pp.len) : this.prefixes.internV6(pp.addr, 0, pp.len, true);
  }

  /** Best path's slot name for a prefix ('' for this node's own, null for none), for tests. */
  bestOf(prefix: string): { session: string | null; nextHops: string[]; ecmp: number } | null {
    const pid = this.pidOf(prefix);
    const slot = pid < 0 ? -1 : this.#bestSlot(pid);
    if (slot < 0) return null;
    const p = this.#peers[slot]!;
    return { session: p.local ? null : p.cfg.name, nextHops: this.nextHopsOf(pid), ecmp: this.#ecmp.get(pid)?.length ?? 1 };
  }

  /** What the peer was last sent for a prefix: the outgoing attributes, or null. */
  advertised(name: string, prefix: string): PathAttributes | null {
    const p = this.#byName.get(name);
    const pid = this.pidOf(prefix);
    if (!p || pid < 0) return null;
    const id = p.outAt(pid);
    return id ? (this.#outAttrs.get(id)?.attrs ?? null) : null;
  }

  counts(name: string): { received: number; imported: number; filtered: number; exported: number; preferred: number } | null {
    const p = this.#byName.get(name);
    if (!p) return null;
    return { received: p.received, imported: p.accepted, filtered: p.received - p.accepted, exported: p.exported, preferred: p.preferred };
  }

  /** Nothing waits: every decision made and every established peer's queue sent. */
  get idle(): boolean {
    return this.dirty === 0 && this.#active.every((p) => !p.target || (p.pending === 0 && p.dumpAt < 0 && !p.sendEor && !p.sendEorr));
  }
}
