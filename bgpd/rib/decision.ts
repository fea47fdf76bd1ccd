// The decision process (RFC 4271 §9.1.2.2, RFC 4456 §9, in BIRD's order): one small function per
// step, each a comparison of two candidate paths that returns < 0 when the first is better, > 0 when
// the second is, 0 on a tie. The first step that does not tie decides, and its name is the printable
// reason. Multipath (ECMP): paths that tie with the best on every step up to the IGP cost are used
// together, as BIRD's bgp_rte_mergable allows with `merge paths on` (calico-node's kernel protocol).
import type { Attr } from './attrs.js';

export interface Candidate {
  attr: Attr;
  /** This node's own route (BIRD: a static route's preference 200 beats BGP's 100). */
  local: boolean;
  ebgp: boolean;
  /** The AS we run on the session the path came from (its neighbour AS when the path is empty). */
  localAs: number;
  /** The BGP identifier of the peer the path came from. */
  peerRouterId: number;
  /** The peer's address in a form that sorts like the address (see addressOrder). */
  peerOrder: string;
  /** Cost to the next hop when the IGP knows it (never, yet, for Calico); undefined otherwise. */
  igpCost: number | undefined;
}

export type Step = (a: Candidate, b: Candidate) => number;

/** LOCAL_PREF in force: eBGP's is not ours to take (RFC 4271 §5.1.5); the default is 100. */
export function effectiveLocalPref(c: Candidate): number {
  return c.ebgp || c.local ? 100 : (c.attr.localPref ?? 100);
}

const neighborAs = (c: Candidate): number => (c.attr.neighborAs !== 0 ? c.attr.neighborAs : c.localAs);

/** BIRD's protocol preference: this node's own routes (static/kernel) before anything learned. */
export const preferLocal: Step = (a, b) => Number(b.local) - Number(a.local);
/** §9.1.2.1: the highest degree of preference (LOCAL_PREF). */
export const highestLocalPref: Step = (a, b) => effectiveLocalPref(b) - effectiveLocalPref(a);
/** §9.1.2.2 (a): the shortest AS_PATH (an AS_SET counts one). */
export const shortestAsPath: Step = (a, b) => a.attr.asPathLen - b.attr.asPathLen;
/** §9.1.2.2 (b): the lowest ORIGIN (IGP < EGP < INCOMPLETE). */
export const lowestOrigin: Step = (a, b) => a.attr.origin - b.attr.origin;
/** §9.1.2.2 (c): the lowest MED, compared only between paths from the same neighbouring AS. */
export const lowestMed: Step = (a, b) => (neighborAs(a) === neighborAs(b) ? a.attr.med - b.attr.med : 0);
/** §9.1.2.2 (d): a path learned by eBGP over one learned by iBGP. */
export const ebgpOverIbgp: Step = (a, b) => Number(b.ebgp) - Number(a.ebgp);
/** §9.1.2.2 (e): the lowest interior cost to the next hop, where both are known. */
export const lowestIgpCost: Step = (a, b) => (a.igpCost !== undefined && b.igpCost !== undefined ? a.igpCost - b.igpCost : 0);
/** §9.1.2.2 (f) with RFC 4456 §9 (a): the lowest ORIGINATOR_ID, else the peer's BGP identifier. */
export const lowestRouterId: Step = (a, b) => (a.attr.originatorId ?? a.peerRouterId) - (b.attr.originatorId ?? b.peerRouterId);
/** RFC 4456 §9 (b): the shorter CLUSTER_LIST. */
export const shortestClusterList: Step = (a, b) => a.attr.clusterListLen - b.attr.clusterListLen;
/** §9.1.2.2 (g): the lowest peer address. */
export const lowestPeerAddress: Step = (a, b) => (a.peerOrder < b.peerOrder ? -1 : a.peerOrder > b.peerOrder ? 1 : 0);

export const STEPS: readonly { name: string; step: Step }[] = [
  { name: 'preference', step: preferLocal },
  { name: 'local-pref', step: highestLocalPref },
  { name: 'as-path length', step: shortestAsPath },
  { name: 'origin', step: lowestOrigin },
  { name: 'MED', step: lowestMed },
  { name: 'eBGP over iBGP', step: ebgpOverIbgp },
  { name: 'IGP cost', step: lowestIgpCost },
  { name: 'router id', step: lowestRouterId },
  { name: 'cluster-list length', step: shortestClusterList },
  { name: 'peer address', step: lowestPeerAddress },
];
/** Paths tying up to here may be used together (multipath). */
const MERGEABLE_STEPS = STEPS.findIndex((s) => s.name === 'IGP cost') + 1;

/** < 0: a is better; > 0: b is better; 0: the same path as far as the decision can tell. */
export function compare(a: Candidate, b: Candidate): number {
  for (let i = 0; i < STEPS.length; i++) {
    const r = STEPS[i].step(a, b);
    if (r !== 0) return r;
  }
  return 0;
}

/** The name of the step that decides between a and b ('equal' when none does). */
export function reason(a: Candidate, b: Candidate): string {
  for (const s of STEPS) if (s.step(a, b) !== 0) return s.name;
  return 'equal';
}

/** a and b tie on every step that multipath requires to be equal. */
export function mergeable(a: Candidate, b: Candidate): boolean {
  if (a.local || b.local) return false;
  for (let i = 0; i < MERGEABLE_STEPS; i++) if (STEPS[i].step(a, b) !== 0) return false;
  return true;
}

export interface Decision {
  /** Index of the best candidate, -1 when there is none. */
  best: number;
  /** Indexes of the multipath set, best first (just [best] without ECMP partners). */
  ecmp: number[];
  /** Why the best beat the runner-up ('only path' when alone). */
  reason: string;
}

/** Choose among candidates (the same prefix). */
export function decide(cands: readonly Candidate[]): Decision {
  if (cands.length === 0) return { best: -1, ecmp: [], reason: 'no path' };
  let best = 0;
  for (let i = 1; i < cands.length; i++) if (compare(cands[i], cands[best]) < 0) best = i;
  const ecmp = [best];
  let runnerUp = -1;
  for (let i = 0; i < cands.length; i++) {
    if (i === best) continue;
    if (mergeable(cands[best], cands[i])) ecmp.push(i);
    if (runnerUp < 0 || compare(cands[i], cands[runnerUp]) < 0) runnerUp = i;
  }
  return { best, ecmp, reason: runnerUp < 0 ? 'only path' : reason(cands[best], cands[runnerUp]) };
}

/** A string that sorts like the address: IPv4 before IPv6, each numerically. */
export function addressOrder(address: string): string {
  if (!address.includes(':')) return `4${address.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('')}`;
  const [head, tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return `6${groups.map((g) => g.padStart(4, '0')).join('')}`;
}
