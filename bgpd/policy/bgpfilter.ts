// BGPFilter rules compiled to plain match records, with the semantics of the BIRD functions
// confd generates for them ('bgp_<name>_importFilterV4' / '_exportFilterV4', ...):
// - a rule's conditions are ANDed: `net <op> cidr` (with prefixLength: `net <op> [cidr{lo,hi}]`,
//   lo = max(cidr length, min), hi = min(family max, max)), `source ~ [RTS_BGP]` for RemotePeers,
//   `defined(ifname) && ifname ~ "<glob>"` for interface; a rule without conditions always matches;
// - prefixLength without a cidr is not rendered by confd, so it constrains nothing here either;
// - the first matching rule's accept/reject ends the whole filter; with no match the next filter
//   in the peer's list runs, then Calico's own filter (export) or `accept` (import).
// peerType (eBGP/iBGP) is decided when compiling for a peer: a rule for the other kind is dropped.
import type { BGPFilterRule } from '../../config/resources.js';
import type { NodeModel } from '../../config/model.js';
import { covers, parseRange, type Range } from './prefix.js';
import type { PolicyPeer, PolicyRoute } from './types.js';

const OP_NONE = 0;
const OP_EQUAL = 1;
const OP_NOT_EQUAL = 2;
const OP_IN = 3;
const OP_NOT_IN = 4;

export interface CompiledRule {
  accept: boolean;
  op: number;
  range: Range | null;
  lo: number;
  hi: number;
  remotePeers: boolean;
  iface: RegExp | null;
}

/** BIRD's shell-like pattern (`*` any string, `?` one character), anchored at both ends. */
export function globRegExp(glob: string): RegExp {
  let src = '^';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(src + '$', 's');
}

function compileRule(rule: BGPFilterRule, family: 4 | 6): CompiledRule | null {
  const max = family === 4 ? 32 : 128;
  const out: CompiledRule = { accept: rule.action === 'Accept', op: OP_NONE, range: null, lo: 0, hi: max, remotePeers: rule.source === 'RemotePeers', iface: null };
  if (rule.cidr) {
    const rg = parseRange(rule.cidr.cidr);
    // The config layer rejects such a filter; should one slip through, the rule cannot match
    // a route of this family, as BIRD would never have loaded it.
    if (!rg || rg.family !== family) return null;
    out.range = rg;
    out.op = { Equal: OP_EQUAL, NotEqual: OP_NOT_EQUAL, In: OP_IN, NotIn: OP_NOT_IN }[rule.matchOperator ?? 'In'] ?? OP_IN;
    out.lo = Math.max(rg.len, rule.prefixLength?.min ?? 0);
    out.hi = Math.min(max, rule.prefixLength?.max ?? max);
  }
  if (rule.interface !== undefined && rule.interface !== '') out.iface = globRegExp(rule.interface);
  return out;
}

/** One rule against one route (families already matched). */
export function ruleMatches(c: CompiledRule, r: PolicyRoute): boolean {
  if (c.op !== OP_NONE) {
    const rg = c.range as Range;
    let hit: boolean;
    if (c.op === OP_EQUAL || c.op === OP_NOT_EQUAL) hit = r.len === rg.len && r.len >= c.lo && r.len <= c.hi && covers(rg, r);
    else hit = r.len >= c.lo && r.len <= c.hi && covers(rg, r);
    if (c.op === OP_NOT_EQUAL || c.op === OP_NOT_IN) hit = !hit;
    if (!hit) return false;
  }
  if (c.remotePeers && !r.from) return false;
  if (c.iface !== null && (typeof r.iface !== 'string' || !c.iface.test(r.iface))) return false;
  return true;
}

/** Verdict of a rule list: 1 accept, -1 reject, 0 no rule matched. */
export function runRules(rules: CompiledRule[], r: PolicyRoute): number {
  for (let i = 0; i < rules.length; i++) {
    const c = rules[i];
    if (ruleMatches(c, r)) return c.accept ? 1 : -1;
  }
  return 0;
}

export type Direction = 'import' | 'export';

/**
 * The rules a peer's filters contribute, in order, for one direction and family. A filter
 * named by the peer but absent from the model is skipped, as confd skips it.
 */
export function peerRules(model: NodeModel, peer: PolicyPeer, dir: Direction, family: 4 | 6): CompiledRule[] {
  const out: CompiledRule[] = [];
  const filters = model.filters ?? {};
  for (const name of peer.filters ?? []) {
    const f = Object.prototype.hasOwnProperty.call(filters, name) ? filters[name] : undefined;
    if (!f) continue;
    const list = dir === 'import' ? (family === 4 ? f.importV4 : f.importV6) : family === 4 ? f.exportV4 : f.exportV6;
    for (const rule of list ?? []) {
      if (rule.peerType === 'iBGP' && !peer.ibgp) continue;
      if (rule.peerType === 'eBGP' && peer.ibgp) continue;
      const c = compileRule(rule, family);
      if (c) out.push(c);
    }
  }
  return out;
}

/** The part of the model a peer's rules depend on, as text (for Policy.key). */
export function filtersKey(model: NodeModel, peer: PolicyPeer): string {
  const filters = model.filters ?? {};
  return JSON.stringify(
    (peer.filters ?? []).map((name) => {
      const f = Object.prototype.hasOwnProperty.call(filters, name) ? filters[name] : undefined;
      return f ? [name, f.exportV4, f.importV4, f.exportV6, f.importV6] : [name, null];
    }),
  );
}
