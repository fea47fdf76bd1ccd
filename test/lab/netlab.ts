// What the lab creates on this machine, and how it is removed: network namespaces named
// `bgpdlab-<id>-…`, processes started inside them, and a scratch directory. The record is plain
// data kept in a state file from the first namespace on, so a lab kept with `--keep` — or left
// behind by a run that was killed outright — can be taken down later by another process
// (`--down`). Teardown is synchronous so it can run from a signal handler.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NS_PREFIX = 'bgpdlab-';

export interface LabRecord {
  id: string;
  created: string;
  description: string;
  dir: string;
  namespaces: string[];
  pids: number[];
  /** The process running the lab; a lab whose owner is gone and that was not kept is an orphan. */
  owner: number;
  kept: boolean;
}

/** Run a command; returns stdout, throws with its stderr. */
export function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

/** Where kept labs are recorded: /run when writable (root), else the temporary directory. */
export function stateDir(): string {
  for (const d of ['/run/calico-bgpd-lab', join(tmpdir(), 'calico-bgpd-lab-state')]) {
    try {
      mkdirSync(d, { recursive: true });
      accessSync(d, constants.W_OK);
      return d;
    } catch {
      /* try the next one */
    }
  }
  throw new Error('no writable directory for the lab state');
}

export class NetLab {
  readonly id = randomBytes(3).toString('hex');
  readonly dir: string;
  readonly record: LabRecord;
  #torn = false;

  constructor(description: string) {
    this.dir = join(tmpdir(), `calico-bgpd-lab-${this.id}`);
    mkdirSync(this.dir, { recursive: true });
    this.record = { id: this.id, created: new Date().toISOString(), description, dir: this.dir, namespaces: [], pids: [], owner: process.pid, kept: false };
    this.#stateFile = join(stateDir(), `${this.id}.json`);
    this.#save();
  }

  readonly #stateFile: string;

  #save(): void {
    writeFileSync(this.#stateFile, JSON.stringify(this.record, null, 2) + '\n');
  }

  /** Namespace name for a lab member, e.g. `bgpdlab-1a2b3c-w0`. */
  nsName(member: string): string {
    return `${NS_PREFIX}${this.id}-${member}`;
  }

  netns(member: string): string {
    const ns = this.nsName(member);
    // Recorded before it exists, so a run killed between the two leaves nothing unrecorded.
    this.record.namespaces.push(ns);
    this.#save();
    run('ip', ['netns', 'add', ns]);
    this.ip(ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /** `ip -n NS …` */
  ip(ns: string, ...args: string[]): string {
    return run('ip', ['-n', ns, ...args]);
  }

  exec(ns: string, cmd: string, ...args: string[]): string {
    return run('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  sysctl(ns: string, key: string, value: string | number): void {
    this.exec(ns, 'sysctl', '-q', '-w', `${key}=${value}`);
  }

  /**
   * Start a long-running process in a namespace, detached, with output to `logFile`: it outlives
   * this process when the lab is kept, and teardown finds it by pid.
   */
  daemon(ns: string, cmd: string, args: string[], logFile: string): number {
    const fd = openSync(logFile, 'a');
    try {
      const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { detached: true, stdio: ['ignore', fd, fd] });
      child.unref();
      if (child.pid === undefined) throw new Error(`cannot start ${cmd}`);
      this.record.pids.push(child.pid);
      this.#save();
      return child.pid;
    } finally {
      closeSync(fd);
    }
  }

  file(name: string): string {
    return join(this.dir, name);
  }

  /** Record this lab so `--down` can remove it later; returns the state file. */
  keep(): string {
    this.record.kept = true;
    this.#save();
    return this.#stateFile;
  }

  teardown(): void {
    if (this.#torn) return;
    this.#torn = true;
    destroyRecord(this.record);
    rmSync(this.#stateFile, { force: true });
  }
}

/** Kill the processes and delete the namespaces and files of a lab. Never throws. */
export function destroyRecord(r: LabRecord): void {
  const kill = (pid: number) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  for (const pid of r.pids) kill(pid);
  // Anything else still running inside our namespaces (a daemon that forked) goes too.
  for (const ns of r.namespaces) {
    try {
      for (const pid of run('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean)) kill(Number(pid));
    } catch {
      /* namespace gone */
    }
  }
  for (const ns of [...r.namespaces].reverse()) {
    try {
      run('ip', ['netns', 'del', ns]);
    } catch {
      /* already gone */
    }
  }
  rmSync(r.dir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Labs recorded on this machine, from their state files. */
export function recordedLabs(): { file: string; record: LabRecord }[] {
  const d = stateDir();
  const out: { file: string; record: LabRecord }[] = [];
  for (const f of readdirSync(d).filter((x) => x.endsWith('.json'))) {
    try {
      out.push({ file: join(d, f), record: JSON.parse(readFileSync(join(d, f), 'utf8')) as LabRecord });
    } catch {
      /* not ours or half-written: leave it */
    }
  }
  return out;
}

/**
 * Remove kept labs and orphans (all, or the one with this id); returns the ids removed. A lab
 * still being run by a live process is left alone.
 */
export function downKept(id?: string): string[] {
  const removed: string[] = [];
  for (const { file, record } of recordedLabs()) {
    if (id && record.id !== id) continue;
    if (!record.kept && alive(record.owner)) continue;
    destroyRecord(record);
    rmSync(file, { force: true });
    removed.push(record.id);
  }
  return removed;
}
