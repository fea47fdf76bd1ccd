#!/usr/bin/env node
// The bgpd daemon entry: parses the command line, reads the datastore, builds this node's model and
// hands it to the speaker; reloads on SIGHUP and file changes; on SIGTERM closes every session
// without NOTIFICATION so peers keep our routes through a restart (RFC 4724). The only place that
// wires subsystems together.
//   bgpd --config FILE --node NAME [--socket PATH] [--log-level info] [--port 179] [--no-fib]
//   bgpd plan --config FILE --node NAME   (dry run: sessions, advertised prefixes, blackholes)
import { hostname } from 'node:os';
import { pino } from 'pino';
import { FileDatastore } from '../config/file.js';
import { buildNodeModel } from '../config/model.js';
import type { Snapshot } from '../config/datastore.js';
import { Speaker } from './speaker.js';
import { runPlan } from './plan.js';

export interface Args {
  config: string[];
  node: string;
  socket: string;
  logLevel: string;
  port?: number;
  noFib: boolean;
  processTitle: string | null;
  gracefulRestart: boolean;
}

export class UsageError extends Error {
  readonly code = 'USAGE' as const;
}

const USAGE = 'usage: bgpd --config FILE [--config FILE…] [--node NAME] [--socket PATH] [--log-level LEVEL] [--port N] [--no-fib] [--no-process-title] [--no-graceful-restart]';

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Args {
  const a: Args = {
    config: [],
    node: env.NODENAME || hostname(),
    socket: '/var/run/calico/bird.ctl',
    logLevel: 'info',
    noFib: false,
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
      case '--log-level':
        a.logLevel = value();
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
        if (d !== 'file') throw new UsageError(`datastore ${d} is not available in this build\n${USAGE}`);
        break;
      }
      case '-h':
      case '--help':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown argument ${flag}\n${USAGE}`);
    }
  }
  if (a.config.length === 0) throw new UsageError(`--config is required\n${USAGE}`);
  return a;
}

/**
 * What calico-node's environment says about the model: CALICO_ROUTER_ID (an address, or "hash" for
 * IPv6-only nodes) and NAMESPACE, where the BGP password Secrets live.
 */
export function modelOptions(env: NodeJS.ProcessEnv): { routerId?: string; secretNamespace: string } {
  return { ...(env.CALICO_ROUTER_ID ? { routerId: env.CALICO_ROUTER_ID } : {}), secretNamespace: env.NAMESPACE || 'kube-system' };
}

export async function run(args: Args): Promise<{ stop(): Promise<void> }> {
  const log = pino({ level: args.logLevel, base: { node: args.node } });
  if (args.processTitle) process.title = args.processTitle;
  const speaker = new Speaker({ log, restarting: args.gracefulRestart, ...(args.port !== undefined ? { port: args.port } : {}) });
  const store = new FileDatastore(args.config, { watch: true, sighup: true });
  const apply = async (snap: Snapshot): Promise<void> => {
    // The model's problems already include the snapshot's own.
    const { model, problems } = buildNodeModel(snap, args.node, modelOptions(process.env));
    for (const p of problems) log.warn({ source: p.source }, p.message);
    if (!model.nodeFound) log.warn({}, `no Node named ${args.node}: no sessions`);
    try {
      await speaker.apply(model);
    } catch (e) {
      log.error({ err: (e as Error).message }, 'cannot apply configuration');
    }
  };
  store.onChange((snap) => void apply(snap));
  store.onError((e) => log.error({ err: e.message }, 'datastore unreadable; keeping the last configuration'));
  await apply(await store.start());
  log.info({ config: args.config, fib: !args.noFib }, 'bgpd running');
  return {
    stop: async () => {
      await store.stop();
      await speaker.stop({ graceful: true });
    },
  };
}

async function main(): Promise<void> {
  // `bgpd plan …`: the operator's dry run; it reads the datastore and prints, touching nothing.
  if (process.argv[2] === 'plan') {
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
  const shutdown = (): void => {
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
