// A TEST API SERVER: a stand-in for kube-apiserver, which cannot run here. It speaks the real
// list/watch protocol over HTTP on 127.0.0.1 so the real @kubernetes/client-node talks to it
// unchanged: one resourceVersion counter shared by every collection (as etcd's revision is),
// paged lists (limit/continue) that answer from a consistent snapshot, watches from a
// resourceVersion with ADDED/MODIFIED/DELETED and BOOKMARK (allowWatchBookmarks) events,
// timeoutSeconds, field selectors on metadata.name, and 410 Gone once history is compacted
// (an ERROR event carrying a metav1.Status for watches, an HTTP 410 for expired continue
// tokens). Faults on demand: 5xx answers, dropped connections, the server going away and
// coming back on the same port. Like a real API server it serves HTTPS only (a throwaway
// certificate for 127.0.0.1 that the kubeconfig names as the CA, so the client really verifies
// it) and checks the bearer token, so tests prove the kubeconfig is what the client used.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface ApiObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Collection {
  kind: string;
  apiVersion: string;
  namespaced: boolean;
  objects: Map<string, ApiObject>; // "namespace/name"
  history: { rv: number; type: EventType; object: ApiObject }[];
}

interface Watcher {
  res: ServerResponse;
  coll: Collection;
  namespace: string | undefined;
  name: string | undefined; // from fieldSelector metadata.name=
  bookmarks: boolean;
}

export interface Fault {
  /** The HTTP status to answer with; 0 takes the request and never answers (a hung server). */
  status: number;
  /** Only requests whose path (without query) includes this; all when absent. */
  pathIncludes?: string;
  /** Only watch requests (true), only lists (false), either (absent). */
  watch?: boolean;
}

export const TOKEN = 'test-apiserver-token';

/** CRD kinds served under /apis/crd.projectcalico.org/v1/<plural>. */
export const CRD_PLURALS: Record<string, string> = {
  BGPConfiguration: 'bgpconfigurations',
  BGPPeer: 'bgppeers',
  BGPFilter: 'bgpfilters',
  IPPool: 'ippools',
  BlockAffinity: 'blockaffinities',
};

let certificate: Promise<{ cert: string; key: string } | undefined> | undefined;

/**
 * One self-signed certificate for 127.0.0.1 per test process, made with openssl; without
 * openssl the server falls back to plain HTTP (and the kubeconfig says to skip TLS checks).
 */
function testCertificate(): Promise<{ cert: string; key: string } | undefined> {
  certificate ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'test-apiserver-tls-'));
    try {
      await promisify(execFile)('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2',
        '-subj', '/CN=test-apiserver', '-addext', 'subjectAltName=IP:127.0.0.1',
      ]);
      return { cert: await readFile(join(dir, 'cert.pem'), 'utf8'), key: await readFile(join(dir, 'key.pem'), 'utf8') };
    } catch {
      return undefined;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return certificate;
}

export class TestApiServer {
  #server: Server | undefined;
  #cert = '';
  readonly #sockets = new Set<Socket>();
  readonly #collections = new Map<string, Collection>(); // by plural ("bgppeers", "nodes", "secrets")
  readonly #watchers = new Set<Watcher>();
  readonly #pages = new Map<string, { rv: number; items: ApiObject[] }>();
  #faults: (Fault & { left: number })[] = [];
  #rv = 1000;
  #compactedRv = 0;
  #port = 0;
  #pageId = 0;
  #expireContinue = false;
  /** Every request, in order: method, path and query, for assertions about the client's behaviour. */
  readonly requests: { path: string; query: URLSearchParams }[] = [];

  constructor(opts: { withoutCrds?: string[] } = {}) {
    for (const [kind, plural] of Object.entries(CRD_PLURALS)) {
      if (opts.withoutCrds?.includes(plural)) continue;
      this.#collections.set(plural, { kind, apiVersion: 'crd.projectcalico.org/v1', namespaced: false, objects: new Map(), history: [] });
    }
    this.#collections.set('nodes', { kind: 'Node', apiVersion: 'v1', namespaced: false, objects: new Map(), history: [] });
    this.#collections.set('secrets', { kind: 'Secret', apiVersion: 'v1', namespaced: true, objects: new Map(), history: [] });
  }

  async #create(): Promise<Server> {
    const tls = await testCertificate();
    this.#cert = tls?.cert ?? '';
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.#handle(req, res);
    const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
    server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    return server;
  }

  get port(): number {
    return this.#port;
  }

  /** The server's certificate (PEM), empty when it serves plain HTTP. */
  get ca(): string {
    return this.#cert;
  }

  get url(): string {
    return `${this.#cert ? 'https' : 'http'}://127.0.0.1:${this.#port}`;
  }

  /** The current resourceVersion (etcd revision). */
  get resourceVersion(): string {
    return String(this.#rv);
  }

  /** Listen on 127.0.0.1 (a random port the first time, the same port after stop()). */
  async start(): Promise<void> {
    const server = (this.#server ??= await this.#create());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') this.#port = addr.port;
  }

  /** The API server goes away: every connection is cut and nothing listens on the port. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server?.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.#dropAll();
    await closed;
  }

  /** Cut every open connection (watches included) without stopping the server. */
  dropConnections(): void {
    this.#dropAll();
  }

  /** Answer the next `count` matching requests with `status` (a metav1.Status body). */
  failNext(count: number, fault: Fault): void {
    this.#faults.push({ ...fault, left: count });
  }

  /** The next continue token presented is expired (410), as after a compaction mid-list. */
  expireNextContinue(): void {
    this.#expireContinue = true;
  }

  /** Forget the faults not yet served. */
  clearFaults(): void {
    this.#faults = [];
  }

  /** A kubeconfig file naming this server and its token. */
  async writeKubeconfig(dir: string): Promise<string> {
    const file = join(dir, 'kubeconfig');
    const text = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: test',
      '  cluster:',
      `    server: ${this.url}`,
      this.#cert ? `    certificate-authority-data: ${Buffer.from(this.#cert).toString('base64')}` : '    insecure-skip-tls-verify: true',
      'users:',
      '- name: test',
      '  user:',
      `    token: ${TOKEN}`,
      'contexts:',
      '- name: test',
      '  context:',
      '    cluster: test',
      '    user: test',
      'current-context: test',
      '',
    ].join('\n');
    await writeFile(file, text);
    return file;
  }

  /** Create or replace an object (the collection follows from its kind); returns the stored copy. */
  put(obj: ApiObject): ApiObject {
    const coll = this.#collectionOf(obj.kind);
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const existed = coll.objects.has(key);
    const stored = structuredClone(obj);
    stored.apiVersion = coll.apiVersion;
    stored.kind = coll.kind;
    stored.metadata.resourceVersion = String(++this.#rv);
    coll.objects.set(key, stored);
    this.#record(coll, existed ? 'MODIFIED' : 'ADDED', stored);
    return structuredClone(stored);
  }

  /** Delete an object; watchers see it with the deletion's resourceVersion. */
  remove(kind: string, name: string, namespace?: string): void {
    const coll = this.#collectionOf(kind);
    const key = `${namespace ?? ''}/${name}`;
    const old = coll.objects.get(key);
    if (!old) throw new Error(`${kind} ${key} does not exist`);
    coll.objects.delete(key);
    const gone = structuredClone(old);
    gone.metadata.resourceVersion = String(++this.#rv);
    this.#record(coll, 'DELETED', gone);
  }

  /** Send a BOOKMARK with the current resourceVersion to every watcher that asked for them. */
  bookmark(): void {
    for (const w of this.#watchers) {
      if (!w.bookmarks) continue;
      this.#send(w, 'BOOKMARK', { apiVersion: w.coll.apiVersion, kind: w.coll.kind, metadata: { name: '', resourceVersion: String(this.#rv) } });
    }
  }

  /**
   * Forget all history up to now (etcd compaction): watches and continue tokens from an older
   * resourceVersion get 410 Gone. With `expireWatches`, open watches are told so at once.
   */
  compact(opts: { expireWatches?: boolean } = {}): void {
    this.#compactedRv = this.#rv;
    for (const c of this.#collections.values()) c.history = [];
    if (opts.expireWatches) this.failWatches(410, 'too old resource version');
  }

  /** End every open watch with an ERROR event carrying a Status of this code (as etcd trouble does). */
  failWatches(code: number, message: string): void {
    for (const w of [...this.#watchers]) {
      this.#send(w, 'ERROR', status(code, code === 410 ? 'Expired' : 'InternalError', message));
      w.res.end();
      this.#watchers.delete(w);
    }
  }

  /** Number of open watches, optionally on one collection ("bgppeers", "secrets"). */
  watchCount(plural?: string): number {
    let n = 0;
    for (const w of this.#watchers) if (!plural || w.coll === this.#collections.get(plural)) n++;
    return n;
  }

  #dropAll(): void {
    for (const w of this.#watchers) w.res.destroy();
    this.#watchers.clear();
    for (const s of this.#sockets) s.destroy();
  }

  #collectionOf(kind: string | undefined): Collection {
    for (const c of this.#collections.values()) if (c.kind === kind) return c;
    throw new Error(`the test API server does not serve kind ${String(kind)}`);
  }

  #record(coll: Collection, type: EventType, object: ApiObject): void {
    coll.history.push({ rv: this.#rv, type, object });
    for (const w of this.#watchers) if (w.coll === coll && matches(w, object)) this.#send(w, type, object);
  }

  #send(w: Watcher, type: string, object: unknown): void {
    w.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  #route(path: string): { coll: Collection; namespace?: string } | undefined {
    let m = /^\/apis\/crd\.projectcalico\.org\/v1\/([a-z]+)$/.exec(path);
    if (m) {
      const coll = this.#collections.get(m[1]!);
      return coll && coll.apiVersion !== 'v1' ? { coll } : undefined;
    }
    if (path === '/api/v1/nodes') return { coll: this.#collections.get('nodes')! };
    m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets$/.exec(path);
    if (m) return { coll: this.#collections.get('secrets')!, namespace: decodeURIComponent(m[1]!) };
    if (path === '/api/v1/secrets') return { coll: this.#collections.get('secrets')! };
    return undefined;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ path: url.pathname, query: url.searchParams });
    const isWatch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return reply(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    const fault = this.#faults.find((f) => f.left > 0 && (f.pathIncludes === undefined || url.pathname.includes(f.pathIncludes)) && (f.watch === undefined || f.watch === isWatch));
    if (fault) {
      fault.left--;
      this.#faults = this.#faults.filter((f) => f.left > 0);
      if (fault.status === 0) return; // the connection stays open until the client gives up
      return reply(res, fault.status, status(fault.status, 'InternalError', `injected fault ${fault.status}`));
    }
    if (req.method !== 'GET') return reply(res, 405, status(405, 'MethodNotAllowed', 'only GET is served'));
    const route = this.#route(url.pathname);
    if (!route) return reply(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    let name: string | undefined;
    const fs = url.searchParams.get('fieldSelector');
    if (fs) {
      const m = /^metadata\.name=(.+)$/.exec(fs);
      if (!m) return reply(res, 400, status(400, 'BadRequest', `field selector ${fs} not supported`));
      name = m[1];
    }
    if (isWatch) this.#watch(res, route.coll, route.namespace, name, url.searchParams);
    else this.#list(res, route.coll, route.namespace, name, url.searchParams);
  }

  #list(res: ServerResponse, coll: Collection, namespace: string | undefined, name: string | undefined, q: URLSearchParams): void {
    let page: { rv: number; items: ApiObject[] };
    let offset = 0;
    const cont = q.get('continue');
    if (cont) {
      const [id, off] = cont.split(':');
      const saved = this.#pages.get(id ?? '');
      const expire = this.#expireContinue;
      this.#expireContinue = false;
      if (!saved || saved.rv < this.#compactedRv || expire) {
        return reply(res, 410, status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.'));
      }
      page = saved;
      offset = Number(off);
    } else {
      const items = [...coll.objects.values()].filter((o) => matches({ namespace, name }, o)).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
      page = { rv: this.#rv, items: items.map((o) => structuredClone(o)) };
    }
    const limit = Number(q.get('limit') ?? 0);
    const end = limit > 0 ? Math.min(page.items.length, offset + limit) : page.items.length;
    const metadata: Record<string, string> = { resourceVersion: String(page.rv) };
    if (end < page.items.length) {
      const id = String(++this.#pageId);
      this.#pages.set(id, page);
      metadata.continue = `${id}:${end}`;
    }
    // Lists of built-in kinds carry no kind/apiVersion on their items; custom resources do.
    const items = page.items.slice(offset, end).map((o) => {
      if (coll.apiVersion !== 'v1') return o;
      const { apiVersion: _a, kind: _k, ...rest } = o;
      return rest;
    });
    reply(res, 200, { apiVersion: coll.apiVersion, kind: `${coll.kind}List`, metadata, items });
  }

  #watch(res: ServerResponse, coll: Collection, namespace: string | undefined, name: string | undefined, q: URLSearchParams): void {
    const rvText = q.get('resourceVersion') ?? '';
    const w: Watcher = { res, coll, namespace, name, bookmarks: q.get('allowWatchBookmarks') === 'true' };
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders(); // as kube-apiserver does: the client learns at once that the watch is open
    if (rvText === '' || rvText === '0') {
      // "Any" resourceVersion: the current state as synthetic ADDED events, then changes.
      for (const o of coll.objects.values()) if (matches(w, o)) this.#send(w, 'ADDED', o);
    } else {
      const since = Number(rvText);
      if (!Number.isInteger(since) || since < this.#compactedRv) {
        this.#send(w, 'ERROR', gone(`too old resource version: ${rvText} (${this.#compactedRv})`));
        res.end();
        return;
      }
      for (const e of coll.history) if (e.rv > since && matches(w, e.object)) this.#send(w, e.type, e.object);
    }
    this.#watchers.add(w);
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on('close', () => {
      if (timer) clearTimeout(timer);
      this.#watchers.delete(w);
    });
  }
}

function matches(w: { namespace?: string | undefined; name?: string | undefined }, o: ApiObject): boolean {
  if (w.namespace !== undefined && o.metadata.namespace !== w.namespace) return false;
  if (w.name !== undefined && o.metadata.name !== w.name) return false;
  return true;
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function gone(message: string): Record<string, unknown> {
  return status(410, 'Expired', message);
}

function reply(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
