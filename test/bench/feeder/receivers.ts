// Starts the reflector benchmark's clients (receiver.ts: several minimal iBGP receivers in one process)
// inside a namespace and follows their events: when each session came up, when each client first held
// the whole feed, and what each holds when asked.
import type { Topology } from '../../helpers/netns.js';
import { followEvents, nodeScript } from './feeder.js';

export interface ReceiversOptions {
  addresses: string[];
  port?: number;
  localAs: number;
  n: number;
  firstPrefix: string;
}

export interface ClientCounts {
  held: number[];
  other: number[];
  updates: number[];
}

export interface Receivers {
  pid: number;
  /** Epoch ms at which each client's session reached Established. */
  established: Promise<number>[];
  /** Epoch ms at which each client first held every prefix of the feed. */
  full: Promise<number>[];
  /** What each client holds now: feed prefixes, prefixes outside the feed, UPDATEs read. */
  counts(): Promise<ClientCounts>;
}

interface Deferred {
  promise: Promise<number>;
  resolve(at: number): void;
  reject(err: Error): void;
}

function deferred(): Deferred {
  let resolve!: (at: number) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // whoever does not await it must not see an unhandled rejection
  return { promise, resolve, reject };
}

export async function startReceivers(topo: Topology, ns: string, o: ReceiversOptions): Promise<Receivers> {
  const script = await nodeScript(topo, 'receiver');
  const proc = topo.spawn(ns, process.execPath, [
    script, '--listen', o.addresses.join(','), '--port', String(o.port ?? 179), '--as', String(o.localAs),
    '--n', String(o.n), '--first-prefix', o.firstPrefix,
  ], { stdio: ['pipe', 'pipe', 'pipe'] });
  const established = o.addresses.map(deferred);
  const full = o.addresses.map(deferred);
  const listening = deferred();
  const countWaiters: { resolve(c: ClientCounts): void; reject(err: Error): void }[] = [];
  const fail = (why: string): void => {
    const e = new Error(`clients: ${why}`);
    for (const d of [listening, ...established, ...full]) d.reject(e);
    for (const w of countWaiters.splice(0)) w.reject(e);
  };
  followEvents<{ event: string; client?: number; at?: number; message?: string } & Partial<ClientCounts>>(proc, (e) => {
    if (e.event === 'listening') listening.resolve(0);
    else if (e.event === 'established') established[e.client!].resolve(e.at!);
    else if (e.event === 'full') full[e.client!].resolve(e.at!);
    else if (e.event === 'counts') countWaiters.shift()?.resolve({ held: e.held!, other: e.other!, updates: e.updates! });
    else if (e.event === 'error') fail(`client ${e.client ?? '?'}: ${e.message}`);
  }, fail);
  await listening.promise;
  return {
    pid: proc.pid!,
    established: established.map((d) => d.promise),
    full: full.map((d) => d.promise),
    counts: () =>
      new Promise<ClientCounts>((resolve, reject) => {
        countWaiters.push({ resolve, reject });
        proc.stdin?.write('counts\n');
      }),
  };
}
