// `bgpd plan --config FILE... --node NAME`: the operator's dry run. From the configuration it
// prints what the daemon would set up on that node — sessions, advertised prefixes (with their
// communities), blackholes for local blocks and kernel routes — without opening a socket or
// touching the kernel. `planNode` is pure; `formatPlan` prints; `runPlan(args)` is the CLI entry
// that bgpd/main.ts calls. Kernel routes depend on learned routes and are computed by fib/: the
// caller passes that computation in through `PlanOptions.kernelRoutes`.
import { hostname } from 'node:os';
import type { Snapshot, ResourceProblem } from '../config/datastore.js';
import { FileDatastore } from '../config/file.js';
import { buildNodeModel, type BuildOptions, type NodeModel } from '../config/model.js';
import { cidr as parseCidr, cidrContains } from '../config/validate.js';
import { computeSessions } from '../peers/compute.js';
import { formatSession } from '../peers/print.js';
import type { DesiredSession } from '../peers/session.js';

export interface Advertisement {
  prefix: string;
  why: 'block' | 'service-cluster-ip' | 'service-external-ip' | 'service-loadbalancer-ip';
  communities: string[];
}

export interface Plan {
  node: string;
  model: NodeModel;
  sessions: DesiredSession[];
  advertised: Advertisement[];
  blackholes: string[];
  /** Lines describing kernel routes, when a kernel-route computation was supplied. */
  kernelRoutes?: string[];
  problems: ResourceProblem[];
}

export interface PlanOptions extends BuildOptions {
  /** The seam to fib/: kernel routes this node would program given its model (and sessions). */
  kernelRoutes?: (model: NodeModel, sessions: DesiredSession[]) => string[];
}

function inside(prefix: string, outer: string): boolean {
  const p = parseCidr('prefix', prefix);
  const o = parseCidr('outer', outer);
  return p.family === o.family && p.prefixLength >= o.prefixLength && cidrContains(o, p.address);
}

/** Communities to attach to a prefix: those of every prefixAdvertisement that covers it. */
function communitiesFor(model: NodeModel, prefix: string): string[] {
  const out: string[] = [];
  for (const a of model.prefixAdvertisements) if (inside(prefix, a.cidr)) for (const c of a.communities) if (!out.includes(c)) out.push(c);
  return out;
}

/**
 * Prefixes exported to peers, per Calico's calico_export_to_bgp_peers: this node's confirmed
 * blocks unless their pool has disableBGPExport, and the service CIDRs.
 */
export function advertisedPrefixes(model: NodeModel): Advertisement[] {
  const out: Advertisement[] = [];
  for (const b of model.localBlocks) {
    const pool = model.ipPools.find((p) => inside(b, p.cidr));
    if (pool?.disableBGPExport) continue;
    out.push({ prefix: b, why: 'block', communities: communitiesFor(model, b) });
  }
  const svc: [string[], Advertisement['why']][] = [
    [model.serviceClusterIPs, 'service-cluster-ip'],
    [model.serviceExternalIPs, 'service-external-ip'],
    [model.serviceLoadBalancerIPs, 'service-loadbalancer-ip'],
  ];
  for (const [list, why] of svc) for (const p of list) out.push({ prefix: p, why, communities: communitiesFor(model, p) });
  return out;
}

/** Local blocks get a blackhole route; a /32 or /128 block is a single address and gets none. */
export function blackholes(model: NodeModel): string[] {
  return model.localBlocks.filter((b) => !b.endsWith('/32') && !b.endsWith('/128'));
}

export function planNode(snap: Snapshot, node: string, opts: PlanOptions = {}): Plan {
  const { model, problems } = buildNodeModel(snap, node, opts);
  const { sessions, problems: sp } = computeSessions(model);
  const plan: Plan = { node, model, sessions, advertised: advertisedPrefixes(model), blackholes: blackholes(model), problems: [...problems, ...sp] };
  if (opts.kernelRoutes) plan.kernelRoutes = opts.kernelRoutes(model, sessions);
  return plan;
}

export function formatPlan(plan: Plan, opts: { sessionsOnly?: boolean } = {}): string {
  const m = plan.model;
  const lines: string[] = [];
  lines.push(`node ${plan.node}${m.nodeFound ? '' : ' (no such Node)'}`);
  lines.push(`  as ${m.asNumber}  router-id ${m.routerId ?? '-'}  ipv4 ${m.ipv4?.cidr ?? '-'}  ipv6 ${m.ipv6?.cidr ?? '-'}  cluster-id ${m.clusterId ?? '-'}  port ${m.listenPort}  mesh ${m.meshEnabled ? 'on' : 'off'}`);
  lines.push(`  sessions (${plan.sessions.length})`);
  for (const s of plan.sessions) lines.push(`    ${formatSession(s)}`);
  if (!opts.sessionsOnly) {
    lines.push(`  advertised (${plan.advertised.length})`);
    for (const a of plan.advertised) lines.push(`    ${a.prefix} ${a.why}${a.communities.length ? ` communities ${a.communities.join(',')}` : ''}`);
    lines.push(`  blackholes (${plan.blackholes.length})`);
    for (const b of plan.blackholes) lines.push(`    blackhole ${b} proto bird`);
    if (plan.kernelRoutes) {
      lines.push(`  kernel routes (${plan.kernelRoutes.length})`);
      for (const r of plan.kernelRoutes) lines.push(`    ${r}`);
    } else {
      lines.push('  kernel routes: depend on routes learned from peers; not computed by this dry run');
    }
  }
  if (plan.problems.length) {
    lines.push(`  problems (${plan.problems.length})`);
    for (const p of plan.problems) lines.push(`    ${p.severity ?? 'error'}: ${p.source}: ${p.message}`);
  }
  return lines.join('\n') + '\n';
}

export interface RunPlanIO {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  hostname: () => string;
}

const USAGE = 'usage: bgpd plan --config FILE|DIR [--config ...] [--node NAME] [--json]\n';

/**
 * CLI entry: `args` are the words after `plan`. Returns the exit code: 0 when the plan has no
 * errors, 1 when some resource was rejected (the plan is still printed), 2 on usage errors.
 */
export async function runPlan(args: string[], io: Partial<RunPlanIO> = {}): Promise<number> {
  const out = io.out ?? ((t: string) => void process.stdout.write(t));
  const err = io.err ?? ((t: string) => void process.stderr.write(t));
  const env = io.env ?? process.env;
  const configs: string[] = [];
  let node: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const val = (): string | undefined => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i]);
    if (a === '--config' || a.startsWith('--config=')) {
      const v = val();
      if (!v) return (err(USAGE), 2);
      configs.push(v);
    } else if (a === '--node' || a.startsWith('--node=')) {
      node = val();
      if (!node) return (err(USAGE), 2);
    } else if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') return (out(USAGE), 0);
    else return (err(`unknown argument ${JSON.stringify(a)}\n${USAGE}`), 2);
  }
  if (configs.length === 0) return (err(USAGE), 2);
  node ??= env.NODENAME || (io.hostname ?? hostname)();
  const ds = new FileDatastore(configs, { watch: false });
  const snap = await ds.start();
  await ds.stop();
  const routerId = env.CALICO_ROUTER_ID;
  const plan = planNode(snap, node, { ...(routerId ? { routerId } : {}), secretNamespace: env.NAMESPACE || 'kube-system' });
  if (json) {
    // Passwords never leave the process in a printout.
    const redacted = { ...plan, sessions: plan.sessions.map((s) => (s.password !== undefined ? { ...s, password: '<redacted>' } : s)) };
    out(JSON.stringify(redacted, (k, v) => (k === 'meshPassword' || (k === 'password' && typeof v === 'string' && v !== '<redacted>') ? '<redacted>' : v), 2) + '\n');
  } else {
    out(formatPlan(plan));
  }
  return plan.problems.some((p) => (p.severity ?? 'error') === 'error') ? 1 : 0;
}
