// One list+watch loop over one Kubernetes collection, the way client-go's Reflector runs it: list
// (paged) to learn the truth and a resourceVersion, then watch from that resourceVersion with
// bookmarks; a watch that ends is resumed from the last resourceVersion seen; 410 Gone (an
// expired resourceVersion or continue token) means relist. The local copy is replaced only by a
// complete list, never cleared by a failure: while the API is unreachable the last known
// objects stay, errors are reported, and the loop retries with capped exponential backoff.
// It owns no conversion: it hands out raw objects.
import type { Watch } from '@kubernetes/client-node';
import type { KubeObject } from './convert.js';

/** One page of a list call, as the API returns it. */
export interface KubeList {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
}

export interface ReflectorOptions {
  /** Names the collection in errors ("bgppeers", "secrets/kube-system/bgp-secrets"). */
  name: string;
  /** The collection's API path, as used for the watch (/apis/crd.projectcalico.org/v1/bgppeers). */
  path: string;
  /** One page of the list; `cont` is the continue token of the previous page. */
  list: (page: { limit: number; cont?: string }) => Promise<KubeList>;
  watch: Watch;
  fieldSelector?: string;
  /** Asks the server to end each watch after this long, so a silently dead connection is noticed. */
  watchTimeoutSeconds: number;
  pageSize: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** How long to wait for the response to a watch request before calling it failed, ms. */
  answerTimeoutMs: number;
  /**
   * A 404 means the collection does not exist (a CRD an older Calico lacks, such as
   * bgpfilters): count it as empty and synced, and look again now and then.
   */
  missingOk?: boolean;
  /** The local copy changed (after a list that differs, or a watch event). */
  onChange: () => void;
  /** A list completed: the local copy is the truth as of that list. */
  onSynced: () => void;
  onError: (err: Error) => void;
}

// A watch that ends sooner than this without an event is suspicious (see #loop).
const QUIET_MS = 1000;

/** An error from the API client, whichever way it carries the HTTP status. */
function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  if (typeof e?.code === 'number') return e.code;
  return undefined;
}

function keyOf(obj: KubeObject): string | undefined {
  const name = obj?.metadata?.name;
  if (typeof name !== 'string' || !name) return undefined;
  return `${obj.metadata?.namespace ?? ''}/${name}`;
}

export class Reflector {
  readonly #o: ReflectorOptions;
  #items = new Map<string, KubeObject>();
  #rv = '';
  #synced = false;
  #stopped = false;
  #running: Promise<void> | undefined;
  #endWatch: (() => void) | undefined;
  #wake: (() => void) | undefined;
  #failures = 0;
  #onStop: () => void = () => undefined;
  readonly #stopping = new Promise<void>((resolve) => {
    this.#onStop = resolve;
  });

  constructor(opts: ReflectorOptions) {
    this.#o = opts;
  }

  /** Objects as last known, in no particular order. */
  items(): KubeObject[] {
    return [...this.#items.values()];
  }

  /** A list has completed at least once. */
  get synced(): boolean {
    return this.#synced;
  }

  get resourceVersion(): string {
    return this.#rv;
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#onStop();
    this.#endWatch?.();
    this.#wake?.();
    await this.#running;
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      const listing = !this.#rv;
      try {
        if (listing) await this.#relist();
        if (this.#stopped) break;
        const quiet = await this.#watchOnce();
        // A watch that ended at once without telling us anything is treated like a failure,
        // so a server that keeps closing connections is not hammered.
        if (quiet) await this.#sleep(this.#delay());
        else this.#failures = 0;
      } catch (err) {
        if (this.#stopped) break;
        if (statusOf(err) === 404 && this.#o.missingOk) {
          this.#absent();
          await this.#sleep(this.#o.backoffMaxMs);
          continue;
        }
        if (statusOf(err) === 410) {
          // An expired resourceVersion or continue token: start over with a fresh list, at once
          // after a watch, after a pause when a list itself expired (a list too slow to page).
          this.#rv = '';
          if (listing) await this.#sleep(this.#delay());
          continue;
        }
        this.#o.onError(this.#describe(err));
        await this.#sleep(this.#delay());
      }
    }
  }

  #describe(err: unknown): Error {
    const status = statusOf(err);
    const e = err as Error;
    const what = e?.message || String(err);
    const text = status ? `HTTP ${status}${what && !what.includes(String(status)) ? ` ${what}` : ''}` : what;
    const out = new Error(`${this.#o.name}: ${text}`);
    (out as Error & { cause?: unknown }).cause = err;
    return out;
  }

  #delay(): number {
    const base = Math.min(this.#o.backoffMaxMs, this.#o.backoffInitialMs * 2 ** this.#failures);
    this.#failures = Math.min(this.#failures + 1, 30);
    // Jitter spreads the reconnects of many nodes after an API server restart.
    return base / 2 + Math.random() * (base / 2);
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    }).then(() => {
      this.#wake = undefined;
    });
  }

  #absent(): void {
    const changed = this.#items.size > 0 || !this.#synced;
    this.#items = new Map();
    this.#rv = '';
    this.#synced = true;
    if (changed) this.#o.onChange();
    this.#o.onSynced();
  }

  /** A complete, paged list replaces the local copy in one step. */
  async #relist(): Promise<void> {
    const fresh = new Map<string, KubeObject>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.#listPage(cont);
      if (this.#stopped || !page) return;
      for (const item of page.items ?? []) {
        const key = keyOf(item);
        if (key) fresh.set(key, item);
      }
      cont = page.metadata?.continue || undefined;
      // The list's resourceVersion is the one of the first page (a consistent snapshot).
      rv ||= page.metadata?.resourceVersion ?? '';
    } while (cont);
    const changed = !sameItems(this.#items, fresh);
    this.#items = fresh;
    this.#rv = rv;
    this.#failures = 0;
    const first = !this.#synced;
    this.#synced = true;
    if (changed || first) this.#o.onChange();
    this.#o.onSynced();
  }

  /**
   * One page, or undefined once stopped. An API server that takes the request and never
   * answers counts as a failure after answerTimeoutMs instead of holding the loop for good.
   */
  async #listPage(cont: string | undefined): Promise<KubeList | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer to the list request')), this.#o.answerTimeoutMs);
    });
    try {
      return await Promise.race([this.#o.list({ limit: this.#o.pageSize, ...(cont ? { cont } : {}) }), late, this.#stopping.then(() => undefined)]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One watch from the current resourceVersion; resolves true when it ended at once, with no event. */
  async #watchOnce(): Promise<boolean> {
    let events = 0;
    const began = Date.now();
    let failure: unknown;
    const params: Record<string, string | number | boolean> = {
      resourceVersion: this.#rv,
      allowWatchBookmarks: true,
      timeoutSeconds: this.#o.watchTimeoutSeconds,
    };
    if (this.#o.fieldSelector) params.fieldSelector = this.#o.fieldSelector;
    let settle: (err: unknown) => void = () => undefined;
    const ended = new Promise<unknown>((resolve) => {
      settle = resolve;
    });
    let finished = false;
    let established = false;
    let controller: AbortController | undefined;
    const finish = (err: unknown): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      controller?.abort();
      this.#endWatch = undefined;
      settle(err);
    };
    // The client resolves the watch only once the response headers arrive; a server that
    // accepts the connection and then says nothing must not hold this loop (or stop()) forever.
    let timer = setTimeout(() => finish(new Error('no answer to the watch request')), this.#o.answerTimeoutMs);
    this.#endWatch = () => finish(undefined);
    const onEvent = (type: string, obj: KubeObject): void => {
      if (finished) return;
      events++;
      const failed = this.#apply(type, obj);
      if (failed) {
        failure = failed;
        finish(undefined);
      }
    };
    this.#o.watch.watch(this.#o.path, params, onEvent, finish).then(
      (c) => {
        controller = c;
        if (finished) {
          c.abort();
          return;
        }
        established = true;
        // The server ends the watch after timeoutSeconds; if it has not by well after that,
        // the connection is dead without having been closed (a vanished peer, a lost NAT entry).
        clearTimeout(timer);
        timer = setTimeout(() => finish(new Error('watch connection went silent')), (this.#o.watchTimeoutSeconds + 30) * 1000);
      },
      finish,
    );
    const err = await ended;
    if (failure) throw failure;
    // An end we asked for (stop) is not an error, and neither is an open watch that was cut
    // (an idle timeout of a load balancer, an API server restart): it resumes from #rv. Only
    // failing to open one is reported.
    if (err && !this.#stopped && !established && (err as Error).name !== 'AbortError') throw err;
    return events === 0 && Date.now() - began < QUIET_MS;
  }

  /** Apply one watch event; returns an error that must end this watch, if any. */
  #apply(type: string, obj: KubeObject): unknown {
    switch (type) {
      case 'ADDED':
      case 'MODIFIED': {
        const key = keyOf(obj);
        if (key) this.#items.set(key, obj);
        this.#rv = obj?.metadata?.resourceVersion ?? this.#rv;
        this.#o.onChange();
        return undefined;
      }
      case 'DELETED': {
        const key = keyOf(obj);
        if (key) this.#items.delete(key);
        this.#rv = obj?.metadata?.resourceVersion ?? this.#rv;
        this.#o.onChange();
        return undefined;
      }
      case 'BOOKMARK':
        // Nothing changed, but the resourceVersion moved on: resuming from here avoids a 410.
        this.#rv = obj?.metadata?.resourceVersion ?? this.#rv;
        return undefined;
      case 'ERROR': {
        // The object is a metav1.Status; 410 means our resourceVersion is too old.
        const status = obj as { code?: number; message?: string; reason?: string };
        const e = new Error(status?.message ?? status?.reason ?? 'watch error') as Error & { code?: number };
        e.code = typeof status?.code === 'number' ? status.code : 500;
        return e;
      }
      default:
        return undefined;
    }
  }
}

function sameItems(a: Map<string, KubeObject>, b: Map<string, KubeObject>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y) return false;
    const rx = x.metadata?.resourceVersion;
    if (rx === undefined || rx !== y.metadata?.resourceVersion) return false;
  }
  return true;
}
