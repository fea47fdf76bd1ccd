// The Kubernetes datastore when the API misbehaves: 410 Gone (on an open watch, and for a
// resourceVersion compacted away while the client was cut off) makes it relist and reach the
// truth; an API server that goes away leaves the last snapshot in place with onError reports
// and no change event, and when it is back the watches resume; 5xx answers and dropped
// connections are retried; bookmarks keep a quiet watch's resourceVersion fresh.
import { afterEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../config/datastore.js';
import { KubernetesDatastore } from '../../../config/kubernetes/index.js';
import { bgpPeer, cluster, ipPool, node } from './cluster-objects.js';
import { FAST, changeWhere, find, harness, names, waitFor, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const lists = (h: Harness, plural: string) => h.server.requests.filter((r) => r.path.endsWith(`/${plural}`) && !r.query.has('watch'));
const watches = (h: Harness, plural: string) => h.server.requests.filter((r) => r.path.endsWith(`/${plural}`) && r.query.has('watch'));

/** Every snapshot ever published still holds the whole cluster: nothing was emptied on the way. */
function neverEmptied(snaps: Snapshot[]): void {
  for (const s of snaps) {
    expect(names(s)).toContain('Node/node-1');
    expect(names(s)).toContain('BGPConfiguration/default');
    expect(s.secrets.length).toBeGreaterThan(0);
  }
}

describe('KubernetesDatastore under API trouble', () => {
  it('relists on 410 Gone from an open watch, and publishes nothing when nothing changed', async () => {
    h = await harness(cluster());
    await h.ds.start();
    const before = lists(h, 'bgppeers').length;
    h.server.compact({ expireWatches: true });
    await waitFor('every collection relisted', () => ['bgpconfigurations', 'bgppeers', 'ippools', 'blockaffinities', 'nodes'].every((p) => lists(h!, p).length > 1));
    expect(lists(h, 'bgppeers').length).toBe(before + 1);
    // A marker change: once it is published, anything the relist caused would have been too.
    h.server.put(bgpPeer('marker', { peerIP: '10.9.9.9', asNumber: 65009 }));
    await changeWhere(h, 'marker peer', (s) => names(s).includes('BGPPeer/marker'));
    expect(h.changes).toHaveLength(1);
    expect(h.errors).toEqual([]);
  });

  it('gets the truth by relisting when changes it missed were compacted away', async () => {
    h = await harness(cluster());
    const first = await h.ds.start();
    // Cut the watches and keep new ones from opening, so the client misses what follows.
    h.server.failNext(1_000_000, { status: 503, watch: true });
    h.server.dropConnections();
    await waitFor('the client to notice', () => h!.errors.length >= 6 && h!.server.watchCount() === 0);
    expect(h.errors.map((e) => e.message).every((m) => /HTTP 503/.test(m))).toBe(true);
    h.server.remove('BGPPeer', 'tor');
    h.server.put(bgpPeer('new-peer', { peerIP: '10.6.6.6', asNumber: 65006 }));
    h.server.put(node('node-2', '192.168.1.99'));
    h.server.compact();
    const listsBefore = lists(h, 'bgppeers').length;
    expect(h.changes).toHaveLength(0);
    expect(h.ds.snapshot).toEqual(first);

    h.server.clearFaults();
    const truth = await changeWhere(h, 'the truth', (s) => names(s).includes('BGPPeer/new-peer') && find(s, 'Node', 'node-2')?.spec?.bgp !== undefined && (find(s, 'Node', 'node-2')?.spec?.bgp as { ipv4Address: string }).ipv4Address === '192.168.1.99/24');
    expect(names(truth)).not.toContain('BGPPeer/tor');
    expect(lists(h, 'bgppeers').length).toBeGreaterThan(listsBefore);
    neverEmptied(h.changes);
  });

  it('keeps the last snapshot while the API server is down, reports it, and resyncs when it is back', async () => {
    h = await harness(cluster());
    const first = await h.ds.start();
    await h.server.stop();
    await waitFor('repeated errors', () => h!.errors.length >= 6);
    expect(h.changes).toHaveLength(0);
    expect(h.ds.snapshot).toEqual(first);
    expect(h.errors[0]?.message).toMatch(/^(bgpconfigurations|bgppeers|bgpfilters|ippools|blockaffinities|nodes|secrets\/kube-system\/[a-z-]+): /);

    // Meanwhile the cluster changes.
    h.server.remove('BGPPeer', 'rr-clients');
    h.server.put(bgpPeer('while-down', { peerIP: '10.5.5.5', asNumber: 65005 }));
    const listsBefore = lists(h, 'bgppeers').length;
    await h.server.start();
    const back = await changeWhere(h, 'changes made during the outage', (s) => names(s).includes('BGPPeer/while-down') && !names(s).includes('BGPPeer/rr-clients'));
    // History was kept, so the watches resumed where they were: no relist was needed.
    expect(lists(h, 'bgppeers').length).toBe(listsBefore);
    expect(watches(h, 'bgppeers').at(-1)?.query.get('resourceVersion')).not.toBe('');
    expect(back.resources.length).toBe(10);
    neverEmptied(h.changes);
  });

  it('reports an ERROR event of an open watch and resumes it from where it was', async () => {
    h = await harness(cluster());
    await h.ds.start();
    const before = lists(h, 'bgppeers').length;
    // start() resolves once every collection is listed; the watches open just after. Fail them only
    // once all eight are open, or a late one would never see the error.
    await waitFor('all watches open', () => h!.server.watchCount() >= 8);
    h.server.failWatches(500, 'etcdserver: leader changed');
    await waitFor('all watches reported', () => h!.errors.length >= 8);
    expect(h.errors.find((e) => e.message.startsWith('bgppeers:'))?.message).toBe('bgppeers: HTTP 500 etcdserver: leader changed');
    h.server.put(bgpPeer('after-error', { peerIP: '10.2.2.2', asNumber: 65002 }));
    await changeWhere(h, 'peer after-error', (s) => names(s).includes('BGPPeer/after-error'));
    expect(lists(h, 'bgppeers').length).toBe(before);
  });

  it('retries lists that fail with 5xx and still starts with the whole cluster', async () => {
    h = await harness(cluster());
    h.server.failNext(3, { status: 500, watch: false, pathIncludes: 'bgppeers' });
    h.server.failNext(2, { status: 503, watch: false, pathIncludes: '/nodes' });
    const snap = await h.ds.start();
    expect(names(snap)).toContain('BGPPeer/tor');
    expect(names(snap)).toContain('Node/node-2');
    const msgs = h.errors.map((e) => e.message);
    expect(msgs.filter((m) => m.startsWith('bgppeers: HTTP 500'))).toHaveLength(3);
    expect(msgs.filter((m) => m.startsWith('nodes: HTTP 503'))).toHaveLength(2);
    expect(h.changes).toHaveLength(0);
  });

  it('gives up on requests a hung API server never answers, reports them and retries', async () => {
    h = await harness(cluster(), { ds: { answerTimeoutMs: 300 } });
    h.server.failNext(2, { status: 0, watch: false, pathIncludes: 'bgppeers' });
    h.server.failNext(1, { status: 0, watch: true, pathIncludes: 'ippools' });
    const snap = await h.ds.start();
    expect(names(snap)).toContain('BGPPeer/tor');
    await waitFor('the hung watch given up', () => h!.errors.some((e) => e.message === 'ippools: no answer to the watch request'));
    expect(h.errors.filter((e) => e.message === 'bgppeers: no answer to the list request')).toHaveLength(2);
    // And the ippools watch works after its retry.
    h.server.put(ipPool('after-hang', { cidr: '10.60.0.0/16' }));
    await changeWhere(h, 'pool after-hang', (s) => names(s).includes('IPPool/after-hang'));
  });

  it('starts without Secrets it may not read (RBAC 403), reporting it, and picks them up once allowed', async () => {
    h = await harness(cluster(), { ds: { secretWaitMs: 300 } });
    h.server.failNext(1_000_000, { status: 403, pathIncludes: '/secrets' });
    const snap = await h.ds.start();
    expect(snap.secrets).toEqual([]);
    expect(names(snap)).toContain('BGPPeer/tor');
    expect(h.errors.some((e) => /^secrets\/kube-system\/(bgp-secrets|mesh-secret): HTTP 403/.test(e.message))).toBe(true);
    h.server.clearFaults();
    const s = await changeWhere(h, 'secrets readable', (x) => x.secrets.length === 2);
    expect(s.secrets.map((x) => x.name)).toEqual(['bgp-secrets', 'mesh-secret']);
  });

  it('loses nothing when connections keep dropping while the cluster changes', async () => {
    h = await harness(cluster());
    await h.ds.start();
    for (let i = 0; i < 5; i++) {
      h.server.dropConnections();
      h.server.put(bgpPeer(`churn-${i}`, { peerIP: `10.4.0.${i + 1}`, asNumber: 65200 + i }));
      await new Promise((r) => setTimeout(r, 30));
    }
    h.server.remove('BGPPeer', 'churn-0');
    const s = await changeWhere(h, 'all churn peers but the first', (x) => names(x).filter((n) => n.startsWith('BGPPeer/churn-')).length === 4 && !names(x).includes('BGPPeer/churn-0'));
    expect(s.resources.length).toBe(14);
    neverEmptied(h.changes);
  });

  it('asks for bookmarks, and a bookmark lets a quiet watch resume after compaction without a relist', async () => {
    h = await harness(cluster());
    await h.ds.start();
    expect(watches(h, 'bgppeers').every((r) => r.query.get('allowWatchBookmarks') === 'true')).toBe(true);
    // Other collections move the resourceVersion on; the bgppeers watch hears nothing of it...
    h.server.put(node('node-3', '192.168.1.12'));
    await changeWhere(h, 'node-3', (s) => names(s).includes('Node/node-3'));
    // ...until a bookmark tells it.
    h.server.bookmark();
    const rv = h.server.resourceVersion;
    await new Promise((r) => setTimeout(r, 100));
    h.server.compact();
    const before = lists(h, 'bgppeers').length;
    h.server.dropConnections();
    await waitFor('bgppeers watch resumed', () => watches(h!, 'bgppeers').at(-1)?.query.get('resourceVersion') === rv && h!.server.watchCount('bgppeers') === 1);
    expect(lists(h, 'bgppeers').length).toBe(before);
    expect(h.errors).toEqual([]);
  });

  it('without a bookmark the same compaction costs a relist', async () => {
    h = await harness(cluster());
    await h.ds.start();
    h.server.put(node('node-3', '192.168.1.12'));
    await changeWhere(h, 'node-3', (s) => names(s).includes('Node/node-3'));
    h.server.compact();
    const before = lists(h, 'bgppeers').length;
    h.server.dropConnections();
    await waitFor('bgppeers relisted', () => lists(h!, 'bgppeers').length > before);
  });

  it('stop() before the first sync ends start() with an error and leaves nothing running', async () => {
    h = await harness(cluster());
    await h.server.stop();
    const started = h.ds.start();
    await waitFor('errors while unreachable', () => h!.errors.length >= 2);
    await h.ds.stop();
    await expect(started).rejects.toThrow(/stopped before its first sync/);
    const n = h.errors.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(h.errors.length).toBe(n);
  });

  it('finds the API server through KUBECONFIG when no kubeconfig is given', async () => {
    h = await harness(cluster());
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = h.kubeconfig;
    const ds = new KubernetesDatastore({ ...FAST });
    try {
      const snap = await ds.start();
      expect(names(snap)).toContain('BGPPeer/tor');
    } finally {
      await ds.stop();
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });
});
