// The test API server itself, spoken to over raw HTTP(S) the way the Kubernetes API documents
// list and watch: so the stand-in the datastore tests rely on is known to behave like
// kube-apiserver (resourceVersions that only grow, watches from a resourceVersion replaying what
// followed it, bookmarks only when asked for, 410 Gone for a compacted resourceVersion).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { bgpPeer } from './cluster-objects.js';
import { TOKEN, TestApiServer } from './test-apiserver.js';

let server: TestApiServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function get(s: TestApiServer, path: string): Promise<IncomingMessage> {
  const url = new URL(path, s.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Authorization: `Bearer ${TOKEN}` }, ...(s.ca ? { ca: s.ca } : {}) }, resolve);
    req.on('error', reject);
    req.end();
  });
}

async function json(s: TestApiServer, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await get(s, path);
  let text = '';
  for await (const chunk of res) text += chunk;
  return { status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> };
}

/** Read watch events until `n` have arrived or the server ends the stream. */
async function events(s: TestApiServer, path: string, n: number): Promise<{ type: string; object: { metadata?: { name?: string; resourceVersion?: string }; code?: number } }[]> {
  const res = await get(s, path);
  const out: { type: string; object: { metadata?: { name?: string; resourceVersion?: string }; code?: number } }[] = [];
  let buf = '';
  for await (const chunk of res) {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      out.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
    }
    if (out.length >= n) {
      res.destroy();
      break;
    }
  }
  return out;
}

describe('test API server', () => {
  it('lists with a resourceVersion and replays changes after it to a watch, in order', async () => {
    server = new TestApiServer();
    await server.start();
    server.put(bgpPeer('a', { peerIP: '10.0.0.1', asNumber: 65001 }));
    const list = await json(server, '/apis/crd.projectcalico.org/v1/bgppeers');
    expect(list.status).toBe(200);
    expect(list.body.kind).toBe('BGPPeerList');
    const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;
    server.put(bgpPeer('b', { peerIP: '10.0.0.2', asNumber: 65002 }));
    server.put(bgpPeer('a', { peerIP: '10.0.0.1', asNumber: 65009 }));
    server.remove('BGPPeer', 'b');
    const ev = await events(server, `/apis/crd.projectcalico.org/v1/bgppeers?watch=true&resourceVersion=${rv}`, 3);
    expect(ev.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual(['ADDED b', 'MODIFIED a', 'DELETED b']);
    const rvs = ev.map((e) => Number(e.object.metadata?.resourceVersion));
    expect(rvs[0]).toBeGreaterThan(Number(rv));
    expect(rvs[1]).toBeGreaterThan(rvs[0]!);
    expect(rvs[2]).toBeGreaterThan(rvs[1]!);
  });

  it('answers a watch from a compacted resourceVersion with an ERROR event holding a 410 Status', async () => {
    server = new TestApiServer();
    await server.start();
    const old = server.resourceVersion;
    server.put(bgpPeer('a', { peerIP: '10.0.0.1', asNumber: 65001 }));
    server.compact();
    const ev = await events(server, `/apis/crd.projectcalico.org/v1/bgppeers?watch=true&resourceVersion=${old}`, 1);
    expect(ev).toHaveLength(1);
    expect(ev[0]?.type).toBe('ERROR');
    expect(ev[0]?.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('sends bookmarks only to watches that allow them', async () => {
    server = new TestApiServer();
    await server.start();
    const rv = server.resourceVersion;
    const withMarks = events(server, `/api/v1/nodes?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`, 1);
    const without = events(server, `/api/v1/nodes?watch=true&resourceVersion=${rv}`, 1);
    const deadline = Date.now() + 5000;
    while (server.watchCount('nodes') < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    server.bookmark();
    expect((await withMarks)[0]).toMatchObject({ type: 'BOOKMARK', object: { metadata: { resourceVersion: rv } } });
    server.dropConnections();
    expect(await without.catch(() => [])).toEqual([]);
  });

  it('refuses requests without the kubeconfig token', async () => {
    server = new TestApiServer();
    await server.start();
    const url = new URL('/api/v1/nodes', server.url);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, server!.ca ? { ca: server!.ca } : {}, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
  });
});
