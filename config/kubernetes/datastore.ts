// The Kubernetes datastore: Calico's BGP configuration read from the Kubernetes API the way
// calico-node's confd reads it. One list+watch loop per collection: the five Calico CRDs
// (cluster-scoped), core Nodes, and one loop per Secret that a BGPPeer or BGPConfiguration
// names (watched by name in calico-node's namespace, as confd does, so calico-node's RBAC, which
// grants access to named Secrets only, suffices). Every change is debounced into one complete
// Snapshot. An API outage never empties the model: the last known objects stay, onError
// reports each failed attempt, and the loops resync (resume the watch or relist) when the API
// is back.
import { CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import type { CalicoResource, Datastore, ResourceProblem, SecretResource, Snapshot } from '../datastore.js';
import { CALICO_CRDS, CRD_GROUP, CRD_VERSION, crdToV3, nodeToV3, secretFromKube, type Converted, type KubeObject } from './convert.js';
import { Reflector, type KubeList, type ReflectorOptions } from './reflector.js';

export interface KubernetesDatastoreOptions {
  /** A kubeconfig file, or a loaded KubeConfig; default KUBECONFIG, else the in-cluster config. */
  kubeconfig?: string | KubeConfig;
  /** Where Secrets are read; default env NAMESPACE, else kube-system (calico-node's namespace). */
  namespace?: string;
  /** Quiet time after a change before a snapshot is published, ms (default 100). */
  debounceMs?: number;
  /** How long a newly referenced Secret may hold back a snapshot while it is fetched, ms (default 1000). */
  secretWaitMs?: number;
  /** Server-side timeout of each watch, s (default 300); the watch is then resumed. */
  watchTimeoutSeconds?: number;
  /** Items per list page (default 500). */
  pageSize?: number;
  /** First retry delay after a failure, ms (default 500), doubling up to backoffMaxMs (default 30000). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** A list or watch request unanswered after this long is a failure and is retried, ms (default 30000). */
  answerTimeoutMs?: number;
}

const MAX_QUIET_FACTOR = 10;
const KIND_ORDER = ['Node', 'BGPConfiguration', 'BGPPeer', 'BGPFilter', 'IPPool', 'BlockAffinity'];

/** Load a KubeConfig the way calico-node does: KUBECONFIG first, then in-cluster. */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else if (!process.env.KUBECONFIG && process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error('kubeconfig names no current cluster');
  return kc;
}

/** Names of the Secrets the configuration refers to (BGPPeer passwords, the mesh password). */
export function referencedSecrets(resources: CalicoResource[]): string[] {
  const names = new Set<string>();
  for (const r of resources) {
    const spec = r.spec as Record<string, { secretKeyRef?: { name?: unknown } } | undefined> | undefined;
    const ref = r.kind === 'BGPPeer' ? spec?.password : r.kind === 'BGPConfiguration' ? spec?.nodeMeshPassword : undefined;
    const name = ref?.secretKeyRef?.name;
    if (typeof name === 'string' && name) names.add(name);
  }
  return [...names].sort();
}

export class KubernetesDatastore implements Datastore {
  readonly #kc: KubeConfig;
  readonly #namespace: string;
  readonly #opts: Required<Omit<KubernetesDatastoreOptions, 'kubeconfig' | 'namespace'>>;
  readonly #core: CoreV1Api;
  readonly #custom: CustomObjectsApi;
  readonly #watch: Watch;
  readonly #resources = new Map<string, { reflector: Reflector; convert: (o: KubeObject) => Converted<CalicoResource> }>();
  readonly #secrets = new Map<string, { reflector: Reflector; since: number }>();
  // Conversion is cached per raw object: watch events bring new objects, unchanged ones are reused.
  readonly #converted = new WeakMap<KubeObject, Converted<CalicoResource | SecretResource>>();
  #changeListeners: ((s: Snapshot) => void)[] = [];
  #errorListeners: ((e: Error) => void)[] = [];
  #last: Snapshot | undefined;
  #lastJson = '';
  #timer: NodeJS.Timeout | undefined;
  #pendingSince: number | undefined;
  #started = false;
  #stopped = false;
  #firstSync: { resolve: (s: Snapshot) => void; reject: (e: Error) => void } | undefined;

  constructor(opts: KubernetesDatastoreOptions = {}) {
    this.#kc = opts.kubeconfig instanceof KubeConfig ? opts.kubeconfig : loadKubeConfig(opts.kubeconfig);
    this.#namespace = opts.namespace ?? (process.env.NAMESPACE || 'kube-system');
    this.#opts = {
      debounceMs: opts.debounceMs ?? 100,
      secretWaitMs: opts.secretWaitMs ?? 1000,
      watchTimeoutSeconds: opts.watchTimeoutSeconds ?? 300,
      pageSize: opts.pageSize ?? 500,
      backoffInitialMs: opts.backoffInitialMs ?? 500,
      backoffMaxMs: opts.backoffMaxMs ?? 30_000,
      answerTimeoutMs: opts.answerTimeoutMs ?? 30_000,
    };
    this.#core = this.#kc.makeApiClient(CoreV1Api);
    this.#custom = this.#kc.makeApiClient(CustomObjectsApi);
    this.#watch = new Watch(this.#kc);
  }

  /** The namespace Secrets are read from. */
  get namespace(): string {
    return this.#namespace;
  }

  /** The most recent snapshot (undefined until the first complete sync). */
  get snapshot(): Snapshot | undefined {
    return this.#last;
  }

  /**
   * Begin following the API; resolves with the first complete snapshot once every collection
   * (and every referenced Secret) has been listed. While the API is unreachable it keeps
   * trying and reports each failure through onError; stop() ends the wait with an error.
   */
  start(): Promise<Snapshot> {
    if (this.#started) return Promise.reject(new Error('KubernetesDatastore already started'));
    this.#started = true;
    const first = new Promise<Snapshot>((resolve, reject) => {
      this.#firstSync = { resolve, reject };
    });
    for (const { kind, plural } of CALICO_CRDS) {
      this.#addResource(plural, `/apis/${CRD_GROUP}/${CRD_VERSION}/${plural}`, (o) => crdToV3(kind, plural, o), async ({ limit, cont }) =>
        (await this.#custom.listClusterCustomObject({ group: CRD_GROUP, version: CRD_VERSION, plural, limit, _continue: cont })) as KubeList,
      );
    }
    this.#addResource('nodes', '/api/v1/nodes', nodeToV3, async ({ limit, cont }) =>
      (await this.#core.listNode({ limit, _continue: cont })) as unknown as KubeList,
    );
    for (const { reflector } of this.#resources.values()) reflector.start();
    return first;
  }

  onChange(listener: (snap: Snapshot) => void): void {
    this.#changeListeners.push(listener);
  }

  onError(listener: (err: Error) => void): void {
    this.#errorListeners.push(listener);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#firstSync?.reject(new Error('KubernetesDatastore stopped before its first sync'));
    this.#firstSync = undefined;
    await Promise.all([...this.#resources.values()].map((r) => r.reflector.stop()));
    await Promise.all([...this.#secrets.values()].map((s) => s.reflector.stop()));
  }

  #reflectorOptions(name: string): Omit<ReflectorOptions, 'path' | 'list' | 'fieldSelector'> {
    return {
      name,
      watch: this.#watch,
      watchTimeoutSeconds: this.#opts.watchTimeoutSeconds,
      pageSize: this.#opts.pageSize,
      backoffInitialMs: this.#opts.backoffInitialMs,
      backoffMaxMs: this.#opts.backoffMaxMs,
      answerTimeoutMs: this.#opts.answerTimeoutMs,
      onChange: () => this.#schedule(),
      onSynced: () => this.#schedule(),
      onError: (err) => this.#emitError(err),
    };
  }

  #addResource(name: string, path: string, convert: (o: KubeObject) => Converted<CalicoResource>, list: ReflectorOptions['list']): void {
    const reflector = new Reflector({ ...this.#reflectorOptions(name), path, list, missingOk: path.startsWith('/apis/') });
    this.#resources.set(name, { reflector, convert });
  }

  /** Follow exactly the Secrets the configuration names; forget the ones it no longer names. */
  #followSecrets(names: string[]): void {
    const ns = this.#namespace;
    for (const name of names) {
      if (this.#secrets.has(name)) continue;
      const fieldSelector = `metadata.name=${name}`;
      const reflector = new Reflector({
        ...this.#reflectorOptions(`secrets/${ns}/${name}`),
        path: `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets`,
        fieldSelector,
        list: async ({ limit, cont }) =>
          (await this.#core.listNamespacedSecret({ namespace: ns, fieldSelector, limit, _continue: cont })) as unknown as KubeList,
      });
      this.#secrets.set(name, { reflector, since: Date.now() });
      reflector.start();
    }
    for (const [name, s] of this.#secrets) {
      if (names.includes(name)) continue;
      this.#secrets.delete(name);
      void s.reflector.stop();
    }
  }

  #schedule(delay = this.#opts.debounceMs): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    // Each change restarts the quiet time, but a cluster that never stops changing (affinities
    // churning in a large cluster) must still see snapshots: at most MAX_QUIET_FACTOR times it.
    const now = Date.now();
    this.#pendingSince ??= now;
    const wait = Math.max(0, Math.min(delay, this.#pendingSince + this.#opts.debounceMs * MAX_QUIET_FACTOR - now));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pendingSince = undefined;
      this.#publish();
    }, wait);
  }

  #publish(): void {
    if (this.#stopped) return;
    // Nothing is published before every collection has been listed once: a partial first
    // snapshot would look like deleted peers.
    if (![...this.#resources.values()].every((r) => r.reflector.synced)) return;
    const { resources, problems } = this.#buildResources();
    this.#followSecrets(referencedSecrets(resources));
    // A Secret named a moment ago gets a short while to arrive, so a peer does not come up
    // without its password and then reset when it lands.
    const waiting = [...this.#secrets.values()].filter((s) => !s.reflector.synced);
    if (waiting.length) {
      const patience = this.#opts.secretWaitMs - Math.min(...waiting.map((s) => Date.now() - s.since));
      if (patience > 0) {
        this.#schedule(Math.min(patience, 100));
        return;
      }
    }
    const secrets = this.#buildSecrets(problems);
    const full: Snapshot = { resources, secrets, problems };
    const json = JSON.stringify(full);
    const first = this.#last === undefined;
    this.#last = full;
    if (first) {
      this.#lastJson = json;
      this.#firstSync?.resolve(full);
      this.#firstSync = undefined;
      return;
    }
    if (json === this.#lastJson) return;
    this.#lastJson = json;
    for (const l of this.#changeListeners) {
      try {
        l(full);
      } catch (err) {
        this.#emitError(err as Error);
      }
    }
  }

  #emitError(err: Error): void {
    for (const l of this.#errorListeners) {
      try {
        l(err);
      } catch {
        // A listener's own failure must not stop the loops.
      }
    }
  }

  #convert<T extends CalicoResource | SecretResource>(obj: KubeObject, f: (o: KubeObject) => Converted<T>): Converted<T> {
    let c = this.#converted.get(obj) as unknown as Converted<T> | undefined;
    if (!c) {
      c = f(obj);
      this.#converted.set(obj, c as unknown as Converted<CalicoResource | SecretResource>);
    }
    return c;
  }

  #buildResources(): { resources: CalicoResource[]; problems: ResourceProblem[] } {
    const resources: CalicoResource[] = [];
    const problems: ResourceProblem[] = [];
    for (const { reflector, convert } of this.#resources.values()) {
      for (const obj of reflector.items()) {
        const c = this.#convert(obj, convert);
        problems.push(...c.problems);
        if (c.ok) resources.push(c.value);
      }
    }
    resources.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || cmp(a.metadata.name, b.metadata.name));
    return { resources, problems };
  }

  /** The Secrets currently followed; their problems are added to `problems`. */
  #buildSecrets(problems: ResourceProblem[]): SecretResource[] {
    const secrets: SecretResource[] = [];
    for (const { reflector } of this.#secrets.values()) {
      for (const obj of reflector.items()) {
        const c = this.#convert(obj, secretFromKube);
        problems.push(...c.problems);
        if (c.ok) secrets.push(c.value);
      }
    }
    return secrets.sort((a, b) => cmp(a.name, b.name));
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
