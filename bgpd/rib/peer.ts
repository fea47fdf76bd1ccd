// One peer's tables inside the RIB: its Adj-RIB-In (the attribute id per prefix, whether import
// policy accepted it, the graceful-restart stale mark, when it arrived) and its Adj-RIB-Out (the
// outgoing attribute id per prefix, and the queue of prefixes whose export must be looked at again).
// All per-prefix state is typed arrays indexed by pid, grown on demand; no object per route.
import type { CodecContext } from '../wire/types.js';
import type { ExportFilter, ImportFilter, PolicyPeer } from '../policy/types.js';
import { grow } from './prefixes.js';
import type { Candidate } from './decision.js';
import { AttrRef, type AttrTable } from './attrs.js';
import type { ExportSource, ExportTarget } from './export.js';

/** What the RIB needs of a session: a structural subset of bgpd/session's Session. */
export interface PeerLink {
  send(messages: Buffer[]): boolean;
  readonly encodeContext: CodecContext | null;
  readonly localAddress: string | null;
  readonly writable?: boolean;
  sendEndOfRib(afi: 1 | 2): boolean;
  sendRouteRefresh(afi: 1 | 2, subtype: 0 | 1 | 2): boolean;
}

export interface RibPeerConfig {
  /** Protocol name (Mesh_10_0_0_2). */
  name: string;
  peerAddress: string;
  localAs: number;
  peerAs: number;
  family: 4 | 6;
  /** This node reflects routes to the peer (RFC 4456 client). */
  rrClient: boolean;
  nextHop: 'auto' | 'self' | 'keep';
  /** Accept paths holding our AS up to this many times (BGPPeer numAllowedLocalASNumbers). */
  numAllowedLocalAS: number;
  filters: string[];
  /** Tear the session down (Cease/1) when it sends more prefixes than this. */
  maxPrefixes: number;
}

export const ACCEPTED = 1;
export const STALE = 2;

export class RibPeer {
  readonly slot: number;
  readonly cfg: RibPeerConfig;
  readonly local: boolean;
  readonly ibgp: boolean;
  readonly policyPeer: PolicyPeer;
  readonly source: ExportSource;
  readonly candidate: Candidate;
  /** The decision's handle on this peer's path for the prefix being decided (re-pointed, never made). */
  readonly handle: AttrRef;
  /** The PolicyRoute origin of this peer's routes (null for this node's own). */
  readonly origin: { session: string; ibgp: boolean; peerAddress: string } | null;
  link: PeerLink | null = null;
  importFilter: ImportFilter = () => true;
  exportFilter: ExportFilter | null = null;
  policyKey = '';
  /** Set while established: how routes are rewritten for the peer, and its update group. */
  target: ExportTarget | null = null;
  groupKey = '';

  // Adj-RIB-In
  inAttr = new Int32Array(0);
  inFlags = new Uint8Array(0);
  /** Arrival, in tenths of a second from the RIB's epoch. */
  inSince = new Uint32Array(0);
  received = 0;
  accepted = 0;
  preferred = 0;
  eorReceived = false;

  // Adj-RIB-Out
  out = new Int32Array(0);
  queued = new Uint8Array(0);
  queue = new Int32Array(0);
  qHead = 0;
  qTail = 0;
  exported = 0;
  waitingDrain = false;
  /** A table dump (initial or refresh) walks the Loc-RIB: the pid it reached, or -1. */
  dumpAt = -1;
  sendEor = false;
  sendEorr = false;

  constructor(slot: number, cfg: RibPeerConfig, local: boolean, localRouterId: number, attrs: AttrTable) {
    this.slot = slot;
    // A copy in one shape (one map for every peer's config, whoever built it: the hot paths read it).
    this.cfg = {
      name: cfg.name,
      peerAddress: cfg.peerAddress,
      localAs: cfg.localAs,
      peerAs: cfg.peerAs,
      family: cfg.family,
      rrClient: cfg.rrClient,
      nextHop: cfg.nextHop,
      numAllowedLocalAS: cfg.numAllowedLocalAS,
      filters: cfg.filters,
      maxPrefixes: cfg.maxPrefixes,
    };
    this.local = local;
    this.ibgp = local || cfg.localAs === cfg.peerAs;
    this.policyPeer = { session: cfg.name, ibgp: this.ibgp, filters: cfg.filters, family: cfg.family };
    this.source = { local, ebgp: !this.ibgp, rrClient: cfg.rrClient, routerId: localRouterId };
    this.origin = local ? null : { session: cfg.name, ibgp: this.ibgp, peerAddress: cfg.peerAddress };
    this.handle = new AttrRef(attrs, 0);
    this.candidate = { attr: this.handle, local, ebgp: !this.ibgp, localAs: cfg.localAs, peerRouterId: localRouterId, peerOrder: '', igpCost: undefined };
  }

  get afi(): 1 | 2 {
    return this.cfg.family === 4 ? 1 : 2;
  }

  /** The BGP identifier of the peer, learned from its OPEN. */
  setRouterId(id: number): void {
    this.source.routerId = id;
    this.candidate.peerRouterId = id;
  }

  ensureIn(pid: number): void {
    if (pid < this.inAttr.length) return;
    const n = Math.max(1024, this.inAttr.length * 2, pid + 1);
    this.inAttr = grow(this.inAttr, n);
    this.inFlags = grow(this.inFlags, n);
    this.inSince = grow(this.inSince, n);
  }

  attrAt(pid: number): number {
    return pid < this.inAttr.length ? this.inAttr[pid] : 0;
  }

  outAt(pid: number): number {
    return pid < this.out.length ? this.out[pid] : 0;
  }

  /** Queue a prefix for the Adj-RIB-Out to look at again. */
  enqueue(pid: number): void {
    if (pid >= this.queued.length) {
      const n = Math.max(1024, this.queued.length * 2, pid + 1);
      this.queued = grow(this.queued, n);
      this.out = grow(this.out, n);
    }
    if (this.queued[pid]) return;
    this.queued[pid] = 1;
    if (this.qTail === this.queue.length) {
      if (this.qHead > 0) {
        this.queue.copyWithin(0, this.qHead, this.qTail);
        this.qTail -= this.qHead;
        this.qHead = 0;
      }
      if (this.qTail === this.queue.length) this.queue = grow(this.queue, Math.max(1024, this.queue.length * 2));
    }
    this.queue[this.qTail++] = pid;
  }

  get pending(): number {
    return this.qTail - this.qHead;
  }

  /** Forget the Adj-RIB-Out (the session went down): nothing is advertised any more. */
  resetOut(): void {
    this.out.fill(0);
    this.queued.fill(0);
    this.qHead = this.qTail = 0;
    this.exported = 0;
    this.waitingDrain = false;
    this.dumpAt = -1;
    this.sendEor = this.sendEorr = false;
  }
}
