// A structural diff of desired sessions, so live reconfiguration touches only what changed (as
// BIRD's protocol reconfigure and GoBGP's UpdateConfig do). For each changed session it says
// whether the change needs the session torn down and re-opened (something carried in the OPEN
// or the transport: AS numbers, addresses, port, MD5 key, TTL, graceful-restart time, RR role) or
// can be applied in place (filters, next hop: re-evaluated with a route refresh). Model-wide
// changes say what else must restart: the listener (port, bind mode) or every session (router id).
import type { NodeModel } from '../config/model.js';
import type { DesiredSession } from './session.js';

type Field = keyof DesiredSession;

/** Fields whose change requires a new BGP connection. */
export const RESET_FIELDS: readonly Field[] = [
  'family', 'peerAddress', 'peerPort', 'peerAS', 'localAS', 'localAddress', 'password', 'ttlSecurity', 'multihop',
  'gracefulRestartTime', 'rrClient', 'rrClusterId',
];

export interface SessionChange {
  name: string;
  before: DesiredSession;
  after: DesiredSession;
  fields: Field[];
  /** True when the session must be closed and re-opened; otherwise apply in place. */
  reset: boolean;
}

export interface SessionDiff {
  added: DesiredSession[];
  removed: DesiredSession[];
  changed: SessionChange[];
  unchanged: string[];
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function diffSessions(before: readonly DesiredSession[], after: readonly DesiredSession[]): SessionDiff {
  const old = new Map(before.map((s) => [s.name, s]));
  const out: SessionDiff = { added: [], removed: [], changed: [], unchanged: [] };
  const seen = new Set<string>();
  for (const s of after) {
    seen.add(s.name);
    const o = old.get(s.name);
    if (!o) {
      out.added.push(s);
      continue;
    }
    const keys = new Set<Field>([...(Object.keys(o) as Field[]), ...(Object.keys(s) as Field[])]);
    const fields = [...keys].filter((k) => !same(o[k], s[k])).sort();
    if (fields.length === 0) out.unchanged.push(s.name);
    else out.changed.push({ name: s.name, before: o, after: s, fields, reset: fields.some((f) => RESET_FIELDS.includes(f)) });
  }
  for (const s of before) if (!seen.has(s.name)) out.removed.push(s);
  return out;
}

export interface ModelChange {
  /** Rebind the listening socket (listen port, bind mode or the bound address changed). */
  listener: boolean;
  /** Every session must reset (the router id in every OPEN changed). */
  allSessions: boolean;
  reasons: string[];
}

/** What a model change means beyond the per-session diff. */
export function diffModels(before: NodeModel, after: NodeModel): ModelChange {
  const reasons: string[] = [];
  let listener = false;
  let allSessions = false;
  if (before.listenPort !== after.listenPort) {
    listener = true;
    reasons.push(`listen port ${before.listenPort} → ${after.listenPort}`);
  }
  if (before.bindMode !== after.bindMode) {
    listener = true;
    reasons.push(`bind mode ${before.bindMode} → ${after.bindMode}`);
  }
  if (after.bindMode === 'NodeIP' && (before.ipv4?.address !== after.ipv4?.address || before.ipv6?.address !== after.ipv6?.address)) {
    listener = true;
    reasons.push('node address changed while bound to it');
  }
  if (before.routerId !== after.routerId) {
    allSessions = true;
    reasons.push(`router id ${before.routerId ?? 'none'} → ${after.routerId ?? 'none'}`);
  }
  if (before.asNumber !== after.asNumber) {
    // Sessions using the node AS show it as a localAS change and reset one by one.
    reasons.push(`node AS ${before.asNumber} → ${after.asNumber}`);
  }
  return { listener, allSessions, reasons };
}
