// Starts the feeder speaker (speaker.ts) as its own process inside a namespace and follows its
// events. From dist/ it runs the compiled speaker.js; from the TypeScript sources (vitest) it
// transpiles speaker.ts once into the topology's scratch directory — the speaker imports only Node.
// The reflector benchmark's receivers (receiver.ts) start the same way (nodeScript).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Topology } from '../../helpers/netns.js';
import type { FeedMode } from './speaker.js';

export interface FeederOptions {
  listen: string;
  port?: number;
  n: number;
  mode: FeedMode;
  localAs: number;
  routerId: string;
  nextHop: string;
  firstPrefix?: string;
  /** iBGP feed: empty AS path and LOCAL_PREF (see speaker.ts). */
  ibgp?: boolean;
  /** Hold our OPEN until go() is called. */
  gate?: boolean;
}

export interface Feeder {
  pid: number;
  /** Epoch ms at which the session reached Established (feeder side). */
  established: Promise<number>;
  /** Epoch ms at which the last UPDATE byte was handed to the kernel. */
  sent: Promise<{ at: number; bytes: number; updates: number }>;
  /** Open a gated session: the feeder sends its OPEN now. */
  go(): void;
}

/**
 * The runnable form of a Node-only program next to this file (`speaker`, `receiver`): its build under
 * dist/, or (when run from the sources) the program and the sibling modules it imports transpiled into
 * the topology's directory as .mjs files.
 */
export async function nodeScript(topo: Topology, name: string): Promise<string> {
  const here = dirname(fileURLToPath(import.meta.url));
  const compiled = join(here, `${name}.js`);
  if (existsSync(compiled)) return compiled;
  const file = topo.file(`${name}.mjs`);
  if (existsSync(file)) return file;
  const ts = (await import('typescript')).default;
  const source = readFileSync(join(here, `${name}.ts`), 'utf8');
  const siblings = [...source.matchAll(/from '\.\/([\w-]+)\.js'/g)].map((m) => m[1]);
  for (const sibling of siblings) await nodeScript(topo, sibling);
  const out = ts.transpileModule(source.replace(/from '\.\/([\w-]+)\.js'/g, "from './$1.mjs'"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  writeFileSync(file, out.outputText);
  return file;
}

export async function startFeeder(topo: Topology, ns: string, o: FeederOptions): Promise<Feeder> {
  const script = await nodeScript(topo, 'speaker');
  const proc = topo.spawn(ns, process.execPath, [
    script, '--listen', o.listen, '--port', String(o.port ?? 179), '--n', String(o.n), '--mode', o.mode,
    '--as', String(o.localAs), '--router-id', o.routerId, '--next-hop', o.nextHop,
    ...(o.firstPrefix ? ['--first-prefix', o.firstPrefix] : []), ...(o.ibgp ? ['--ibgp'] : []), ...(o.gate ? ['--gate'] : []),
  ], { stdio: [o.gate ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  const waiters: { event: string; resolve: (e: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  const fail = (why: string): void => {
    for (const w of waiters.splice(0)) w.reject(new Error(`feeder: ${why}`));
  };
  followEvents<Record<string, unknown>>(proc, (e) => {
    events.push(e);
    if (e.event === 'error') fail(String(e.message));
    for (const w of waiters.filter((x) => x.event === e.event)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e);
    }
  }, fail);
  const next = (event: string): Promise<Record<string, unknown>> => {
    const seen = events.find((e) => e.event === event);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => waiters.push({ event, resolve, reject }));
  };
  await next('listening');
  const established = next('established').then((e) => Number(e.at));
  const sent = next('sent').then((e) => ({ at: Number(e.at), bytes: Number(e.bytes), updates: Number(e.updates) }));
  // Whoever does not await these must not see an unhandled rejection when the feeder is killed.
  established.catch(() => undefined);
  sent.catch(() => undefined);
  return { pid: proc.pid!, established, sent, go: () => proc.stdin?.write('go\n') };
}

/**
 * Follow a harness program (feeder, receivers): each JSON line it prints goes to `onEvent`; its exit goes
 * to `onExit` with the tail of its stderr.
 */
export function followEvents<E>(proc: ChildProcess, onEvent: (e: E) => void, onExit: (why: string) => void): void {
  let partial = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onEvent(JSON.parse(line) as E);
  });
  proc.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  proc.on('exit', (code) => onExit(`exited with ${code}: ${err}`));
}
