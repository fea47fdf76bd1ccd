// Loc-RIB → kernel: what calico-node's BIRD kernel protocol does with `calico_kernel_programming`.
// Keeps the current best route of every prefix, turns each into a kernel route intent with fib/'s
// encapsulation decision (this node's pools, subnets and the peers' VXLAN endpoints from the model),
// blackholes this node's blocks, and hands the intents to the Fib. After a restart the kernel keeps
// our old routes as stale (fib reconcile) until sessions converge or the restart time runs out, then
// the ones nobody re-asserted are swept (DESIGN.md §3: restart with kernel routes kept).
import type { NodeModel } from '../config/model.js';
import { blackholeRoute, defaultDevices, kernelRoute, poolFor, type EncapContext, type Fib, type RouteIntent, type RouteResult } from '../fib/index.js';
import { policyRoute, type Policy } from './policy/index.js';
import type { BestChange } from './rib/index.js';
import type { FibStatus, TraceLog } from './control/index.js';

export interface KernelOptions {
  /**
   * Leave routes inside VXLAN pools to Felix, as BIRD in calico-node does (its kernel filter rejects
   * them); by default this daemon programs them itself (DESIGN.md §3).
   */
  leaveVxlanToFelix?: boolean;
}

export interface KernelLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

interface Best {
  nextHops: string[];
  session: string;
}

/** The encapsulation context of a model: pools, this node's subnets, the other nodes' VTEPs. */
export function encapContext(model: NodeModel): EncapContext {
  const vteps: EncapContext['vteps'] = [];
  for (const n of model.nodes) {
    if (n.name === model.nodeName || !n.vxlan?.mac) continue;
    if (n.ipv4 && n.vxlan.ipv4Addr) vteps.push({ nodeAddress: n.ipv4.address, vtepAddress: n.vxlan.ipv4Addr, mac: n.vxlan.mac });
    const mac6 = n.vxlan.macV6 ?? n.vxlan.mac;
    if (n.ipv6 && n.vxlan.ipv6Addr) vteps.push({ nodeAddress: n.ipv6.address, vtepAddress: n.vxlan.ipv6Addr, mac: mac6 });
  }
  return {
    pools: model.ipPools.map((p) => ({ cidr: p.cidr, ipipMode: p.ipipMode, vxlanMode: p.vxlanMode, disabled: p.disabled })),
    localSubnets: [model.ipv4, model.ipv6].filter((c) => !!c).map((c) => `${c!.address}/${c!.prefixLength}`),
    vteps,
    ...defaultDevices,
  };
}

function describe(intent: RouteIntent): string {
  if (intent.type === 'blackhole') return 'blackhole';
  return intent.nextHops.map((h) => `via ${h.gateway}${h.device ? ` dev ${h.device}` : ''}${h.onlink ? ' onlink' : ''}`).join(', ');
}

const hostPrefix = (address: string): string => `${address}/${address.includes(':') ? 128 : 32}`;

export class KernelSync {
  readonly #fib: Fib;
  readonly #log: KernelLog;
  readonly #trace: TraceLog | null;
  #ctx: EncapContext | null = null;
  #policy: Policy | null = null;
  #best = new Map<string, Best>();
  /** Prefixes we asked the kernel for: the route, and the session it came from (null: a blackhole). */
  #installed = new Map<string, { intent: RouteIntent; session: string | null }>();
  #perSession = new Map<string, number>();
  #blackholes = new Set<string>();
  /** BGPPeer reachableBy: a static route to the peer through its gateway (confd's protocol static). */
  #statics = new Map<string, string>();
  /** With leaveVxlanToFelix: a context holding only the VXLAN pools, to ask whether a prefix is in one. */
  #felixPools: EncapContext | null = null;
  #swept = false;
  readonly #opts: KernelOptions;

  constructor(fib: Fib, log: KernelLog, trace: TraceLog | null = null, opts: KernelOptions = {}) {
    this.#fib = fib;
    this.#log = log;
    this.#trace = trace;
    this.#opts = opts;
  }

  /** A new model and its compiled policy: recompute the context and blackholes, re-decide every route. */
  setModel(model: NodeModel, policy: Policy): void {
    this.#ctx = encapContext(model);
    this.#policy = policy;
    const blackholes = new Set(this.#policy.originated().filter((o) => o.kind === 'block' && o.blackhole).map((o) => o.prefix));
    for (const b of this.#blackholes) if (!blackholes.has(b) && !this.#best.has(b)) this.#apply(b, null, null);
    this.#blackholes = blackholes;
    for (const b of blackholes) if (!this.#best.has(b)) this.#apply(b, blackholeRoute(b), null);
    this.#felixPools = this.#opts.leaveVxlanToFelix ? { ...this.#ctx, pools: this.#ctx.pools.filter((p) => p.vxlanMode !== 'Never') } : null;
    for (const [prefix, best] of this.#best) this.#program(prefix, best);
  }

  /** Static routes to peers (BGPPeer reachableBy): peer address → gateway. Replaces the previous set. */
  setStatics(statics: Map<string, string>): void {
    for (const [peer] of this.#statics) if (!statics.has(peer)) this.#fib.setRoute(hostPrefix(peer), null);
    for (const [peer, gateway] of statics) {
      if (this.#statics.get(peer) === gateway) continue;
      this.#fib.setRoute(hostPrefix(peer), { dst: hostPrefix(peer), type: 'unicast', nextHops: [{ gateway }], neighbours: [], fdb: [] });
    }
    this.#statics = new Map(statics);
  }

  /** Best routes changed in the RIB (batched). Our own routes are the blackholes above. */
  bestChanged(changes: BestChange[]): void {
    for (const c of changes) {
      if (c.session === null || c.nextHops.length === 0) {
        this.#best.delete(c.prefix);
        this.#apply(c.prefix, this.#blackholes.has(c.prefix) ? blackholeRoute(c.prefix) : null, null);
        continue;
      }
      const best = { nextHops: c.nextHops, session: c.session };
      this.#best.set(c.prefix, best);
      this.#trace?.record({ type: 'selected', prefix: c.prefix, at: Date.now(), peer: c.session, reason: `best of ${c.nextHops.length} path${c.nextHops.length === 1 ? '' : 's'}` });
      this.#program(c.prefix, best);
    }
  }

  #program(prefix: string, best: Best): void {
    if (!this.#ctx || !this.#policy) return;
    let allowed = true;
    try {
      allowed = this.#policy.kernelFilter(policyRoute(prefix)) && !(this.#felixPools && poolFor(prefix, this.#felixPools));
    } catch {
      allowed = false;
    }
    const intent = allowed ? kernelRoute({ prefix, nextHops: best.nextHops }, this.#ctx) : null;
    this.#apply(prefix, intent ?? (this.#blackholes.has(prefix) ? blackholeRoute(prefix) : null), intent ? best.session : null);
  }

  #apply(prefix: string, intent: RouteIntent | null, session: string | null): void {
    this.#fib.setRoute(prefix, intent);
    const before = this.#installed.get(prefix)?.session ?? null;
    if (before !== null) this.#perSession.set(before, (this.#perSession.get(before) ?? 1) - 1);
    if (intent) {
      this.#installed.set(prefix, { intent, session });
      if (session !== null) this.#perSession.set(session, (this.#perSession.get(session) ?? 0) + 1);
    } else {
      this.#installed.delete(prefix);
    }
  }

  /** The kernel answered for a route (Fib's onRouteResult): the trace says what really happened. */
  routeResult(prefix: string, r: RouteResult): void {
    if (!this.#trace) return;
    const at = Date.now();
    if (!r.ok) this.#trace.record({ type: 'install-failed', prefix, at, error: `${r.code}: ${r.message}` });
    else if (r.op === 'delete') this.#trace.record({ type: 'removed', prefix, at });
    else {
      const asked = this.#installed.get(prefix)?.intent;
      this.#trace.record({ type: 'installed', prefix, at, detail: asked ? describe(asked) : r.op });
    }
  }

  /** Sessions converged (or the restart time ran out): drop the stale routes of the last run, once. */
  sweepStale(reason: string): number {
    if (this.#swept) return 0;
    this.#swept = true;
    const n = this.#fib.sweepStale();
    this.#log.info({ routes: n, reason }, 'stale kernel routes of the previous run swept');
    return n;
  }

  get swept(): boolean {
    return this.#swept;
  }

  /** Kernel routes of ours that came from one session. */
  installedBy(session: string): number {
    return this.#perSession.get(session) ?? 0;
  }

  status(): FibStatus {
    const s = this.#fib.status();
    return { operations: s.operations, errors: s.errors, routes: s.routes };
  }
}
