// `npm run lab [-- OPTIONS]`: builds a small Calico cluster in network namespaces, runs our daemon
// on every node and shows it working (or exactly where it does not). See docs/operations.md.
//   --mode direct|vxlan|crosssubnet|ipip   encapsulation of the IPPool (default direct)
//   --nodes N                              number of nodes (default 3)
//   --route-reflector                      k8s-w0 becomes a route reflector, mesh off
//   --keep                                 leave the lab running and print how to look around
//   --down [ID]                            remove kept labs (all, or the one with that id)
import { pathToFileURL } from 'node:url';
import { MAX_NODES, MODES, type Mode } from './cluster.js';
import { abortActiveLabs, runLab, type LabOptions } from './lab.js';
import { downKept } from './netlab.js';

const USAGE = `usage: npm run lab -- [--mode ${MODES.join('|')}] [--nodes N] [--route-reflector] [--keep] | --down [ID]`;

export type Command = { kind: 'run'; options: LabOptions } | { kind: 'down'; id?: string } | { kind: 'help' };

export function parseLabArgs(argv: string[]): Command {
  const o: LabOptions = { mode: 'direct', nodes: 3, routeReflector: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--mode': {
        const m = value();
        if (!(MODES as readonly string[]).includes(m)) throw new Error(`--mode must be one of ${MODES.join(', ')}\n${USAGE}`);
        o.mode = m as Mode;
        break;
      }
      case '--nodes': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > MAX_NODES) throw new Error(`--nodes must be 1..${MAX_NODES}\n${USAGE}`);
        o.nodes = n;
        break;
      }
      case '--route-reflector':
        o.routeReflector = true;
        break;
      case '--keep':
        o.keep = true;
        break;
      case '--down': {
        const next = inline ?? (argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : undefined);
        return next ? { kind: 'down', id: next } : { kind: 'down' };
      }
      case '-h':
      case '--help':
        return { kind: 'help' };
      default:
        throw new Error(`unknown argument ${a}\n${USAGE}`);
    }
  }
  return { kind: 'run', options: o };
}

async function main(): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseLabArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (cmd.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    console.error('the lab creates network namespaces: run it as root');
    return 1;
  }
  if (cmd.kind === 'down') {
    const removed = downKept(cmd.id);
    console.log(removed.length ? `removed lab ${removed.join(', ')}` : `no kept lab${cmd.id ? ` with id ${cmd.id}` : ''}`);
    return cmd.id && removed.length === 0 ? 1 : 0;
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: removing the lab`);
      abortActiveLabs();
      process.exit(130);
    });
  }
  const result = await runLab(cmd.options);
  return result.exitCode;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(e.stack ?? e.message);
      abortActiveLabs();
      process.exit(1);
    },
  );
}
