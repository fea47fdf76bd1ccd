#!/usr/bin/env -S node --max-semi-space-size=2 --v8-pool-size=1
// The bgpd daemon entry: parses the command line, reads the datastore, builds this node's model and
// hands it to the speaker; reloads on SIGHUP and file changes; on SIGTERM closes every session
// without NOTIFICATION so peers keep our routes through a restart (RFC 4724). The only place that
// wires subsystems together.
//   bgpd --config FILE --node NAME [--socket PATH] [--log-level info] [--port 179] [--no-fib]
//   bgpd --datastore kubernetes --node NAME [--kubeconfig FILE]
//   bgpd plan --config FILE --node NAME   (dry run: sessions, advertised prefixes, blackholes)
// The first line holds node's flags for the daemon and is the only place they are set: the `bgpd`
// binary runs through it, and the benchmarks, the lab (test/helpers/daemon.ts) and calico-node's service
// script (docs/deploy/bird.run) read them from it. Young-generation semi-spaces of 2 MB instead of Node
// 20's 16 MB, and one V8 helper thread instead of four, lower the resident memory at the same speed
// (figures in docs/operations.md, "Node's launch flags").
import { hostname } from 'node:os';
import { buildNodeModel, DEFAULT_RESTART_TIME } from '../config/model.js';
import type { DesiredSession } from '../peers/index.js';
import type { Datastore, Snapshot } from '../config/datastore.js';
import type { Fib, KernelRouteWatcher } from '../fib/index.js';
import { EventLog, LogHub, startControlPlane, type ControlPlane } from './control/index.js';
import type { KernelSync } from './kernel.js';
import { Speaker } from './speaker.js';
import { SpeakerStatusSource } from './status-source.js';

export interface Args {
  datastore: 'file' | 'kubernetes';
  config: string[];
  /** Kubernetes datastore: a kubeconfig file (default KUBECONFIG, else in-cluster). */
  kubeconfig?: string;
  node: string;
  socket: string;
  /** A second control socket with only the IPv6 view (calico-node's bird6.ctl), or null. */
  socket6: string | null;
  /** `host:port` of the Prometheus endpoint, or null for none. */
  metrics: string | null;
  logLevel: string;
  /** --log-level was given: BGPConfiguration's logSeverityScreen does not override it. */
  logLevelSet: boolean;
  port?: number;
  noFib: boolean;
  /** Leave routes inside VXLAN pools to Felix, as BIRD in calico-node does. */
  leaveVxlanToFelix: boolean;
  processTitle: string | null;
  gracefulRestart: boolean;
}

export class UsageError extends Error {
  readonly code = 'USAGE' as const;
}

const USAGE =
  'usage: bgpd (--config FILE [--config FILE…] | --datastore kubernetes [--kubeconfig FILE]) [--node NAME] [--socket PATH] [--socket6 PATH] [--metrics HOST:PORT] [--log-level LEVEL] [--port N] [--no-fib] [--leave-vxlan-to-felix] [--no-process-title] [--no-graceful-restart]';

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Args {
  const a: Args = {
    datastore: 'file',
    config: [],
    node: env.NODENAME || hostname(),
    socket: '/var/run/calico/bird.ctl',
    socket6: null,
    metrics: null,
    logLevel: 'info',
    logLevelSet: false,
    noFib: false,
    leaveVxlanToFelix: false,
    processTitle: 'bird',
    gracefulRestart: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--config':
        a.config.push(value());
        break;
      case '--node':
        a.node = value();
        break;
      case '--socket':
        a.socket = value();
        break;
      case '--socket6':
        a.socket6 = value();
        break;
      case '--metrics':
        a.metrics = value();
        break;
      case '--kubeconfig':
        a.kubeconfig = value();
        break;
      case '--log-level':
        a.logLevel = value();
        a.logLevelSet = true;
        break;
      case '--port': {
        const p = Number(value());
        if (!Number.isInteger(p) || p < 1 || p > 65535) throw new UsageError(`--port must be 1..65535\n${USAGE}`);
        a.port = p;
        break;
      }
      case '--no-fib':
        a.noFib = true;
        break;
      case '--leave-vxlan-to-felix':
        a.leaveVxlanToFelix = true;
        break;
      case '--process-title':
        a.processTitle = value();
        break;
      case '--no-process-title':
        a.processTitle = null;
        break;
      case '--no-graceful-restart':
        a.gracefulRestart = false;
        break;
      case '--datastore': {
        const d = value();
        if (d !== 'file' && d !== 'kubernetes') throw new UsageError(`unknown datastore ${d} (file or kubernetes)\n${USAGE}`);
        a.datastore = d;
        break;
      }
      case '-h':
      case '--help':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown argument ${flag}\n${USAGE}`);
    }
  }
  if (a.datastore === 'file' && a.config.length === 0) throw new UsageError(`--config is required\n${USAGE}`);
  if (a.datastore === 'kubernetes' && a.config.length > 0) throw new UsageError(`--config is for the file datastore; the kubernetes datastore reads the API server\n${USAGE}`);
  return a;
}

/**
 * What calico-node's environment says about the model: CALICO_ROUTER_ID (an address, or "hash" for
 * IPv6-only nodes) and NAMESPACE, where the BGP password Secrets live.
 */
export function modelOptions(env: NodeJS.ProcessEnv): { routerId?: string; secretNamespace: string } {
  return { ...(env.CALICO_ROUTER_ID ? { routerId: env.CALICO_ROUTER_ID } : {}), secretNamespace: env.NAMESPACE || 'kube-system' };
}

/** BGPPeer reachableBy: peer address → gateway of the static route confd would have written. */
export function reachableBy(sessions: readonly DesiredSession[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of sessions) if (d.reachableBy) out.set(d.peerAddress, d.reachableBy);
  return out;
}

export async function run(args: Args): Promise<{ stop(): Promise<void> }> {
  const logs = new LogHub({ level: args.logLevel, base: { node: args.node } });
  const log = logs.root;
  if (args.processTitle) process.title = args.processTitle;
  const startedAt = Date.now();
  // The route trace behind `bgpctl trace`; recorded where the kernel is programmed (it costs a text per prefix).
  const events = new EventLog();
  const speaker = new Speaker({ log, peerLog: (name, neighbor) => logs.peer(name, neighbor), ...(args.noFib ? {} : { trace: events }), restarting: args.gracefulRestart, ...(args.port !== undefined ? { port: args.port } : {}) });
  let routerId = '0.0.0.0';
  let restartTime = 0;
  // The kernel: adopt our routes of the last run as stale before anything is learned (fib reconcile).
  // fib/ and its netlink binding are loaded only here: a --no-fib daemon never needs them.
  let kernel: KernelSync | null = null;
  let fib: Fib | null = null;
  const kernelModules = args.noFib ? null : await Promise.all([import('../fib/index.js'), import('./kernel.js')]);
  if (kernelModules) {
    const [{ Fib }, { KernelSync }] = kernelModules;
    try {
      fib = await Fib.open({ log, onRouteResult: (dst, r) => kernel?.routeResult(dst, r) });
      await fib.reconcile();
      kernel = new KernelSync(fib, log, events, { leaveVxlanToFelix: args.leaveVxlanToFelix });
    } catch (e) {
      fib?.close();
      fib = null;
      log.error({ err: (e as Error).message }, 'cannot open the kernel routing table: routes are not programmed');
    }
  }
  // BIRD's `protocol kernel { learn; }`: other programs' routes (Felix's pod routes) reach the RIB as
  // this node's own, so a borrowed /32 is advertised. Read only where we program the kernel.
  let watcher: KernelRouteWatcher | null = null;
  if (kernel && kernelModules) {
    const [{ KernelRouteWatcher }] = kernelModules;
    try {
      watcher = await KernelRouteWatcher.open({
        log,
        scanIntervalMs: 60_000,
        onBatch: (b) => speaker.setKernelRoutes(b.added.map((r) => ({ prefix: r.dst, iface: r.iface, gateway: r.gateway })), b.removed),
      });
    } catch (e) {
      log.error({ err: (e as Error).message }, 'cannot follow the kernel routing table: other programs\' routes (borrowed IPs) are not advertised');
    }
    // Best-route changes are built only for a listener: with --no-fib (route reflectors, benchmarks) none is.
    const k = kernel;
    speaker.onBestChange((changes) => k.bestChanged(changes));
  }
  const status = new SpeakerStatusSource({
    speaker,
    routerId: () => routerId,
    startedAt,
    fib: () => kernel?.status() ?? null,
    installed: (session) => kernel?.installedBy(session) ?? 0,
    // RFC 4724: while we restart, recovery lasts until every session sent End-of-RIB or the restart time.
    restartWait: () => (args.gracefulRestart && restartTime > 0 ? { total: restartTime, startedAt } : null),
  });
  // Each datastore is loaded only when chosen: the Kubernetes client is large (tens of MB resident),
  // and the file datastore's YAML parser is a few MB the Kubernetes datastore never needs.
  const store: Datastore =
    args.datastore === 'kubernetes'
      ? new (await import('../config/kubernetes/index.js')).KubernetesDatastore({ ...(args.kubeconfig ? { kubeconfig: args.kubeconfig } : {}), namespace: modelOptions(process.env).secretNamespace })
      : new (await import('../config/file.js')).FileDatastore(args.config, { watch: true, sighup: true });
  const apply = async (snap: Snapshot): Promise<void> => {
    // The model's problems already include the snapshot's own.
    const { model, problems } = buildNodeModel(snap, args.node, modelOptions(process.env));
    for (const p of problems) log.warn({ source: p.source }, p.message);
    if (!model.nodeFound) log.warn({}, `no Node named ${args.node}: no sessions`);
    if (!args.logLevelSet) logs.setLevel(model.logSeverity);
    routerId = model.routerId ?? routerId;
    // Our kernel routes of the last run wait as long as the longest restart time any peer was given.
    restartTime = Math.max(restartTime, model.meshMaxRestartTime ?? DEFAULT_RESTART_TIME, ...model.peers.map((p) => p.maxRestartTime ?? 0));
    status.setPhase('reconfiguring');
    try {
      await speaker.apply(model);
    } catch (e) {
      log.error({ err: (e as Error).message }, 'cannot apply configuration');
    } finally {
      // The kernel follows the speaker's policy and sessions; routes decided meanwhile wait in KernelSync.
      if (speaker.policy) kernel?.setModel(model, speaker.policy);
      kernel?.setStatics(reachableBy(speaker.desiredSessions()));
      status.setPhase('running');
      status.reconfigured();
    }
  };
  // SIGHUP reloads the file datastore; with Kubernetes the watch already follows every change.
  if (args.datastore === 'kubernetes') process.on('SIGHUP', () => log.info({}, 'SIGHUP: the Kubernetes datastore follows changes by watch; nothing to reload'));
  store.onChange((snap) => void apply(snap));
  store.onError((e) => log.error({ err: e.message }, 'datastore unreadable; keeping the last configuration'));
  let plane: ControlPlane | null = null;
  try {
    plane = await startControlPlane({ source: status, socket: args.socket, socket6: args.socket6, metricsAddress: args.metrics, events, log });
  } catch (e) {
    // calico-node's probes need the socket; say why it is missing, but keep routing.
    log.error({ err: (e as Error).message, socket: args.socket }, 'control socket unavailable');
  }
  await apply(await store.start());
  log.info({ datastore: args.datastore, config: args.config, fib: !!kernel, socket: args.socket }, 'bgpd running');
  // Stale kernel routes of the last run go once every session is up with its End-of-RIB (seen on two
  // checks in a row, so the decisions of the last batch reached the kernel), or after the restart time.
  let convergedChecks = 0;
  const sweeper = setInterval(() => {
    if (!kernel || kernel.swept) return clearInterval(sweeper);
    convergedChecks = speaker.converged() ? convergedChecks + 1 : 0;
    if (convergedChecks >= 2) kernel.sweepStale('sessions converged');
    else if (Date.now() - startedAt > Math.max(restartTime, 1) * 1000) kernel.sweepStale('restart time over');
  }, 1000);
  sweeper.unref();
  return {
    stop: async () => {
      clearInterval(sweeper);
      status.setPhase('shutting-down');
      await store.stop();
      await speaker.stop({ graceful: true });
      await plane?.close();
      // Kernel routes stay: peers keep forwarding to us while we restart (RFC 4724).
      watcher?.close();
      fib?.close();
    },
  };
}

async function main(): Promise<void> {
  // `bgpd plan …`: the operator's dry run; it reads the datastore and prints, touching nothing.
  if (process.argv[2] === 'plan') {
    const { runPlan } = await import('./plan.js');
    process.exitCode = await runPlan(process.argv.slice(3));
    return;
  }
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const daemon = await run(args);
  // A daemon runs until it is told to stop, even when nothing holds the event loop yet (no peer, and
  // the control socket taken): a reload may bring peers, and the service manager expects it up.
  const alive = setInterval(() => {}, 1 << 30);
  const shutdown = (): void => {
    clearInterval(alive);
    void daemon.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

// Run when executed as the bgpd binary, not when imported by tests.
if (process.argv[1] && /bgpd\/main\.(js|ts)$|\/bgpd$/.test(process.argv[1])) {
  main().catch((e: Error) => {
    process.stderr.write(`bgpd: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
