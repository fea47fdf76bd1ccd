// Public surface of the RIB (bgpd/rib): the speaker and the control socket import from here.
//   Rib               Adj-RIB-In per peer, decision (batched), Loc-RIB, Adj-RIB-Out with packing,
//                     update groups, End-of-RIB, route refresh, route reflection, max-prefix
//   AdjRibInView      one peer's Adj-RIB-In by prefix text
//   decide / STEPS    the decision process, one step per function with printable reasons
//   RibRouteView, BestChange   plain data out
export { Rib, type RibOptions } from './rib.js';
export { AdjRibInView } from './adj-rib-in.js';
export { AttrTable, type Attr } from './attrs.js';
export { decide, compare, reason, mergeable, STEPS, addressOrder, type Candidate, type Decision } from './decision.js';
export { exportAttrs, mayExport, targetKey, type ExportSource, type ExportTarget } from './export.js';
export type { PeerLink, RibPeerConfig } from './peer.js';
export type { RibRouteView, BestChange, AdjRoute } from './views.js';
