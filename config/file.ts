// The YAML file datastore: one or more files, or directories of *.yaml/*.yml/*.json files, holding
// Calico v3 resources as calicoctl users write them plus v1 Secrets. It implements the Datastore
// contract: start() gives the first snapshot, reload() (SIGHUP) and file changes (fs.watch,
// debounced) give new ones. A bad edit never drops what runs: a file that no longer parses keeps
// its last good contents, and a resource that turns invalid keeps its last good version, each
// with a problem saying so. Reading never throws for bad content.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { CalicoResource, Datastore, ResourceProblem, SecretResource, Snapshot } from './datastore.js';
import { keyOf, readYamlText } from './yamlfile.js';

export interface FileDatastoreOptions {
  /** Follow file changes with fs.watch (default true). */
  watch?: boolean;
  /** Quiet time after the last change before re-reading, ms (default 200): editors write in steps. */
  debounceMs?: number;
  /** Reload on SIGHUP by installing a process handler (default false; the daemon's main may do it). */
  sighup?: boolean;
}

interface Good {
  resources: CalicoResource[];
  secrets: SecretResource[];
}

const EXTENSIONS = ['.yaml', '.yml', '.json'];

export class FileDatastore implements Datastore {
  readonly #paths: string[];
  readonly #opts: Required<FileDatastoreOptions>;
  #lastGood = new Map<string, Good>();
  #last: Snapshot | undefined;
  #lastJson = '';
  #changeListeners: ((s: Snapshot) => void)[] = [];
  #errorListeners: ((e: Error) => void)[] = [];
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<Snapshot> | undefined;
  #again = false;
  #stopped = false;
  #onHup = (): void => void this.reload();

  constructor(paths: string | string[], opts: FileDatastoreOptions = {}) {
    this.#paths = (Array.isArray(paths) ? paths : [paths]).map((p) => p);
    this.#opts = { watch: opts.watch ?? true, debounceMs: opts.debounceMs ?? 200, sighup: opts.sighup ?? false };
  }

  async start(): Promise<Snapshot> {
    const snap = await this.reload();
    if (this.#opts.watch) this.#startWatching();
    if (this.#opts.sighup) process.on('SIGHUP', this.#onHup);
    return snap;
  }

  onChange(listener: (snap: Snapshot) => void): void {
    this.#changeListeners.push(listener);
  }

  onError(listener: (err: Error) => void): void {
    this.#errorListeners.push(listener);
  }

  /** The most recent snapshot (undefined before start()). */
  get snapshot(): Snapshot | undefined {
    return this.#last;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
    process.off('SIGHUP', this.#onHup);
    await this.#reading?.catch(() => undefined);
  }

  /**
   * Re-read every file now; listeners hear of the result only if it differs from the last
   * snapshot. Concurrent calls share one read, and a call during a read schedules one more.
   */
  reload(): Promise<Snapshot> {
    if (this.#reading) {
      this.#again = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      let snap: Snapshot;
      do {
        this.#again = false;
        snap = await this.#readAll();
      } while (this.#again && !this.#stopped);
      this.#reading = undefined;
      this.#publish(snap);
      // Unreadable files are a source failure (the contract's onError), not just bad content.
      const unreadable = snap.problems.filter((p) => p.message.startsWith('cannot read:'));
      if (unreadable.length && !this.#stopped) {
        this.#emitError(new Error(unreadable.map((p) => `${p.source}: ${p.message}`).join('; ')));
      }
      return snap;
    })();
    return this.#reading;
  }

  #publish(snap: Snapshot): void {
    const first = this.#last === undefined;
    this.#last = snap;
    const json = JSON.stringify(snap);
    if (json === this.#lastJson) return;
    this.#lastJson = json;
    if (first || this.#stopped) return;
    for (const l of this.#changeListeners) {
      try {
        l(snap);
      } catch (err) {
        this.#emitError(err as Error);
      }
    }
  }

  #emitError(err: Error): void {
    for (const l of this.#errorListeners) l(err);
  }

  /** Expand directories into their files (sorted), keeping explicit files as given. */
  async #files(): Promise<string[]> {
    const out: string[] = [];
    for (const p of this.#paths) {
      let st;
      try {
        st = await stat(p);
      } catch {
        // A path named on the command line that vanished is an accident (or a replace caught
        // half-way), not a request to drop everything in it: pass it on so its last good
        // contents are kept. Files that leave a watched directory are removed resources.
        out.push(p);
        continue;
      }
      if (st.isDirectory()) {
        const names = (await readdir(p)).filter((n) => EXTENSIONS.some((e) => n.endsWith(e)) && !n.startsWith('.')).sort();
        out.push(...names.map((n) => join(p, n)));
      } else {
        out.push(p);
      }
    }
    return out;
  }

  async #readAll(): Promise<Snapshot> {
    const problems: ResourceProblem[] = [];
    const files = await this.#files();
    const resources: CalicoResource[] = [];
    const secrets: SecretResource[] = [];
    const seen = new Set<string>();
    for (const file of files) {
      seen.add(file);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        problems.push({ source: file, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, severity: 'error' });
        this.#keep(file, resources, secrets, problems, 'file unreadable');
        continue;
      }
      const c = readYamlText(file, text);
      problems.push(...c.problems);
      if (c.unparsable) {
        this.#keep(file, resources, secrets, problems, 'file does not parse');
        continue;
      }
      // Resources that turned invalid keep their last good version.
      const prev = this.#lastGood.get(file);
      const kept: Good = { resources: [...c.resources], secrets: [...c.secrets] };
      for (const key of c.rejected) {
        const old = prev?.resources.find((r) => keyOf(r.kind, r.metadata.name) === key);
        const oldSecret = prev?.secrets.find((s) => keyOf('Secret', s.name) === key);
        if (old) {
          kept.resources.push(old);
          problems.push({ source: old.source ?? file, message: `keeping the last good ${key} until the error is fixed`, severity: 'warning' });
        } else if (oldSecret) {
          kept.secrets.push(oldSecret);
          problems.push({ source: oldSecret.source ?? file, message: `keeping the last good ${key} until the error is fixed`, severity: 'warning' });
        }
      }
      this.#lastGood.set(file, kept);
      resources.push(...kept.resources);
      secrets.push(...kept.secrets);
    }
    for (const f of [...this.#lastGood.keys()]) if (!seen.has(f)) this.#lastGood.delete(f);
    return { resources, secrets, problems };
  }

  #keep(file: string, resources: CalicoResource[], secrets: SecretResource[], problems: ResourceProblem[], why: string): void {
    const prev = this.#lastGood.get(file);
    if (!prev) return;
    resources.push(...prev.resources);
    secrets.push(...prev.secrets);
    problems.push({ source: file, message: `${why}: keeping its last good contents (${prev.resources.length + prev.secrets.length} resources)`, severity: 'warning' });
  }

  #startWatching(): void {
    // Watch directories, not files: editors and `kubectl`-style tools replace files by rename,
    // which ends a watch on the old inode.
    const dirs = new Set<string>();
    for (const p of this.#paths) {
      const abs = resolve(p);
      dirs.add(abs);
      dirs.add(dirname(abs));
    }
    for (const d of dirs) {
      try {
        const w = watch(d, { persistent: false }, () => this.#schedule());
        w.on('error', () => undefined);
        this.#watchers.push(w);
      } catch {
        // Not a directory (a file path) or gone: its parent's watch covers it.
      }
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.reload().catch((err: Error) => this.#emitError(err));
    }, this.#opts.debounceMs);
  }
}
