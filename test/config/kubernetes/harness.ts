// Test plumbing for the Kubernetes datastore: a test API server holding a cluster, a kubeconfig
// file pointing at it, a KubernetesDatastore on that file, and the change events and errors it
// reported. Everything started here is stopped by close(), also when a test fails.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../../../config/datastore.js';
import { KubernetesDatastore, type KubernetesDatastoreOptions } from '../../../config/kubernetes/index.js';
import { TestApiServer, type ApiObject } from './test-apiserver.js';

export interface Harness {
  server: TestApiServer;
  ds: KubernetesDatastore;
  kubeconfig: string;
  changes: Snapshot[];
  errors: Error[];
  close(): Promise<void>;
}

// Short delays so outages and retries play out quickly; the behaviour is the same as with defaults.
export const FAST: KubernetesDatastoreOptions = { debounceMs: 50, backoffInitialMs: 20, backoffMaxMs: 200, secretWaitMs: 2000, namespace: 'kube-system' };

export async function harness(objects: ApiObject[], opts: { ds?: KubernetesDatastoreOptions; server?: ConstructorParameters<typeof TestApiServer>[0] } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'bgpd-k8s-'));
  const server = new TestApiServer(opts.server);
  for (const o of objects) server.put(o);
  await server.start();
  const kubeconfig = await server.writeKubeconfig(dir);
  const ds = new KubernetesDatastore({ ...FAST, ...opts.ds, kubeconfig });
  const changes: Snapshot[] = [];
  const errors: Error[] = [];
  ds.onChange((s) => changes.push(s));
  ds.onError((e) => errors.push(e));
  return {
    server,
    ds,
    kubeconfig,
    changes,
    errors,
    async close() {
      await ds.stop();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Poll until probe returns something truthy; fail with `what` after timeoutMs. */
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Wait for a change event (after the first `after` events) whose snapshot satisfies pred. */
export function changeWhere(h: Harness, what: string, pred: (s: Snapshot) => boolean, after = h.changes.length): Promise<Snapshot> {
  return waitFor(what, () => h.changes.slice(after).find(pred));
}

export const names = (s: Snapshot): string[] => s.resources.map((r) => `${r.kind}/${r.metadata.name}`);
export const find = (s: Snapshot, kind: string, name: string) => s.resources.find((r) => r.kind === kind && r.metadata.name === name);
