// Real BGP daemons (bird2, FRR bgpd, GoBGP, ExaBGP) started inside a test Topology's namespaces,
// with the one query each needs: its CLI. Shared by the wire-capture script, the interop tests and the
// ingest benchmark. Every daemon runs in the foreground as the direct child of `ip netns exec` (which
// execs it), so the child's pid is the daemon's pid — the benchmark reads its peak RSS from /proc.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { nsExec, waitFor, type Topology } from '../../helpers/netns.js';

export interface Daemon {
  readonly kind: 'bird2' | 'frr' | 'gobgp' | 'exabgp';
  readonly ns: string;
  readonly proc: ChildProcess;
  /** Last lines of the daemon's stderr/stdout, for error messages. */
  log(): string;
}

function keepLog(proc: ChildProcess): () => string {
  let buf = '';
  const add = (d: Buffer): void => {
    buf = (buf + d.toString()).slice(-8000);
  };
  proc.stdout?.on('data', add);
  proc.stderr?.on('data', add);
  return () => buf;
}

function exited(d: { proc: ChildProcess }): boolean {
  return d.proc.exitCode !== null || d.proc.signalCode !== null;
}

function ensureAlive(d: { proc: ChildProcess; log(): string }, what: string): void {
  if (exited(d)) throw new Error(`${what} exited (${d.proc.exitCode ?? d.proc.signalCode}): ${d.log()}`);
}

/** Wait until `ready` holds, failing at once (with the daemon's log) if the daemon exits first. */
async function waitReady(d: { proc: ChildProcess; log(): string }, what: string, ready: () => boolean): Promise<void> {
  await waitFor(what, () => exited(d) || ready());
  ensureAlive(d, what);
}

/** Peak resident set size (VmHWM) of a process in bytes, or undefined when it is gone. */
export function peakRss(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------- bird2

export class Bird implements Daemon {
  readonly kind = 'bird2' as const;
  readonly log: () => string;
  constructor(
    readonly ns: string,
    readonly proc: ChildProcess,
    readonly socket: string,
  ) {
    this.log = keepLog(proc);
  }

  birdc(...args: string[]): string {
    return nsExec(this.ns, 'birdc', ['-s', this.socket, ...args]);
  }
}

export async function startBird(topo: Topology, ns: string, name: string, conf: string): Promise<Bird> {
  const file = topo.file(`${name}.bird.conf`);
  const socket = topo.file(`${name}.bird.ctl`);
  writeFileSync(file, conf);
  const proc = topo.spawn(ns, 'bird', ['-f', '-c', file, '-s', socket, '-P', topo.file(`${name}.bird.pid`)]);
  const bird = new Bird(ns, proc, socket);
  await waitReady(bird, `bird ${name}`, () => existsSync(socket) && bird.birdc('show status').includes('Daemon is up'));
  return bird;
}

// ------------------------------------------------------------------------------------------------ FRR

export class Frr implements Daemon {
  readonly kind = 'frr' as const;
  readonly log: () => string;
  constructor(
    readonly ns: string,
    readonly proc: ChildProcess,
    readonly vtyDir: string,
  ) {
    this.log = keepLog(proc);
  }

  vtysh(...commands: string[]): string {
    return nsExec(this.ns, 'vtysh', ['--vty_socket', this.vtyDir, '-d', 'bgpd', ...commands.flatMap((c) => ['-c', c])]);
  }

  /** Run commands in configuration mode (`configure terminal` first). */
  configure(...commands: string[]): string {
    return this.vtysh('configure terminal', ...commands);
  }
}

/**
 * FRR's bgpd alone (-Z: no zebra, so it never touches the kernel), its vty socket in the topology.
 * `log: false` for measurements: logging to stdout makes bgpd three times slower at ingesting a table.
 */
export async function startFrr(topo: Topology, ns: string, name: string, conf: string, opts: { log?: boolean } = {}): Promise<Frr> {
  const file = topo.file(`${name}.frr.conf`);
  const vtyDir = topo.file(`${name}.frr.vty`);
  mkdirSync(vtyDir, { recursive: true });
  writeFileSync(file, conf);
  const proc = topo.spawn(ns, '/usr/lib/frr/bgpd', [
    '-f', file, '-Z', '-S', '-n', '--vty_socket', vtyDir, '-i', topo.file(`${name}.frr.pid`),
    '-u', 'root', '-g', 'root', ...(opts.log === false ? [] : ['--log', 'stdout']),
  ]);
  const frr = new Frr(ns, proc, vtyDir);
  await waitReady(frr, `frr ${name}`, () => existsSync(`${vtyDir}/bgpd.vty`) && frr.vtysh('show bgp summary json').length > 0);
  return frr;
}

// ---------------------------------------------------------------------------------------------- GoBGP

export class Gobgp implements Daemon {
  readonly kind = 'gobgp' as const;
  readonly log: () => string;
  constructor(
    readonly ns: string,
    readonly proc: ChildProcess,
  ) {
    this.log = keepLog(proc);
  }

  /** The gobgp CLI; each namespace has its own loopback, so the default API address is private. */
  gobgp(...args: string[]): string {
    return nsExec(this.ns, 'gobgp', ['-u', '127.0.0.1', '-p', '50051', ...args]);
  }
}

export async function startGobgp(topo: Topology, ns: string, name: string, toml: string): Promise<Gobgp> {
  const file = topo.file(`${name}.gobgp.toml`);
  writeFileSync(file, toml);
  const proc = topo.spawn(ns, 'gobgpd', [
    '-f', file, '-t', 'toml', '--api-hosts', '127.0.0.1:50051', '--pprof-disable', '-p', '-l', 'warn',
  ]);
  const g = new Gobgp(ns, proc);
  await waitReady(g, `gobgpd ${name}`, () => g.gobgp('global').includes('AS'));
  return g;
}

// --------------------------------------------------------------------------------------------- ExaBGP

export class Exabgp implements Daemon {
  readonly kind = 'exabgp' as const;
  readonly log: () => string;
  constructor(
    readonly ns: string,
    readonly proc: ChildProcess,
  ) {
    this.log = keepLog(proc);
  }
}

/** ExaBGP with its environment pinned: no pid/api files in shared places, logs to stdout. */
export async function startExabgp(topo: Topology, ns: string, name: string, conf: string): Promise<Exabgp> {
  const file = topo.file(`${name}.exabgp.conf`);
  writeFileSync(file, conf);
  const env = {
    ...process.env,
    'exabgp.daemon.user': 'root',
    'exabgp.daemon.drop': 'false',
    'exabgp.log.destination': 'stdout',
    'exabgp.api.cli': 'false',
    'exabgp.tcp.bind': '',
  };
  const proc = topo.spawn(ns, 'exabgp', [file], { env });
  const e = new Exabgp(ns, proc);
  await new Promise((r) => setTimeout(r, 500));
  ensureAlive(e, `exabgp ${name}`);
  return e;
}
