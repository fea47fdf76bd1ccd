// Test topology helpers: network namespaces, veth links, and processes started inside them.
// Every name is unique per run (two runs never collide) and everything made is removed by
// `Topology.destroy()`, which tests call from afterAll/afterEach so cleanup happens even on failure.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A short unique token; interface names are limited to 15 characters, so keep prefixes short. */
export function uniqueId(): string {
  return randomBytes(3).toString('hex');
}

/** Run a command and return its stdout; throws with stderr on failure. */
export function sh(cmd: string, args: string[], opts: { input?: string } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** Run a command inside a network namespace. */
export function nsExec(ns: string, cmd: string, args: string[], opts: { input?: string } = {}): string {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false && v !== null) return v as T;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export class Topology {
  readonly id = uniqueId();
  readonly dir: string;
  #namespaces: string[] = [];
  #procs: ChildProcess[] = [];

  constructor(readonly tag: string) {
    this.dir = mkdtempSync(join(tmpdir(), `bgpd-${tag}-`));
  }

  /** Create a namespace named `<tag>-<name>-<id>` with loopback up; returns its name. */
  netns(name: string): string {
    const ns = `${this.tag}-${name}-${this.id}`;
    sh('ip', ['netns', 'add', ns]);
    this.#namespaces.push(ns);
    nsExec(ns, 'ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /**
   * Join two namespaces with a veth pair and address both ends ("10.0.0.1/24" style, or IPv6).
   * Returns the interface names (unique per topology, at most 15 characters).
   */
  link(nsA: string, addrA: string | string[], nsB: string, addrB: string | string[]): [string, string] {
    const n = this.#links++;
    const a = `va${n}${this.id}`;
    const b = `vb${n}${this.id}`;
    sh('ip', ['link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
    for (const [ns, ifname, addrs] of [
      [nsA, a, addrA],
      [nsB, b, addrB],
    ] as const) {
      for (const addr of ([] as string[]).concat(addrs)) {
        const v6 = addr.includes(':');
        nsExec(ns, 'ip', [...(v6 ? ['-6'] : []), 'addr', 'add', addr, 'dev', ifname, ...(v6 ? ['nodad'] : [])]);
      }
      nsExec(ns, 'ip', ['link', 'set', ifname, 'up']);
    }
    return [a, b];
  }
  #links = 0;

  /** Start a process inside a namespace; it is killed by destroy(). */
  spawn(ns: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...opts,
    });
    this.#procs.push(child);
    return child;
  }

  /** A path inside this topology's scratch directory. */
  file(name: string): string {
    return join(this.dir, name);
  }

  async destroy(): Promise<void> {
    for (const p of this.#procs) {
      if (p.exitCode === null && p.signalCode === null) {
        try {
          p.kill('SIGCONT');
          p.kill('SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    // Processes started by `ip netns exec` may have forked (daemons): kill whatever still runs in
    // our namespaces before deleting them.
    for (const ns of this.#namespaces) {
      try {
        const pids = sh('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean);
        for (const pid of pids) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      } catch {
        /* namespace already gone */
      }
    }
    await new Promise((r) => setTimeout(r, 50));
    for (const ns of this.#namespaces.reverse()) {
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
    this.#namespaces = [];
    rmSync(this.dir, { recursive: true, force: true });
  }
}
