// Changes in the API arrive as new snapshots: add, modify and delete of every kind the datastore
// follows, through the real client's watch; a burst of changes is debounced into few
// snapshots; Secrets are followed as the configuration starts or stops naming them.
import { afterEach, describe, expect, it } from 'vitest';
import { bgpConfiguration, bgpFilter, bgpPeer, blockAffinity, cluster, ipPool, node, secret } from './cluster-objects.js';
import { changeWhere, find, harness, names, waitFor, type Harness } from './harness.js';
import type { ApiObject } from './test-apiserver.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Case {
  kind: string;
  name: string;
  create: () => ApiObject;
  modify: (o: ApiObject) => ApiObject;
  /** What the modification looks like in the v3 resource. */
  modified: (spec: Record<string, unknown> | undefined, labels: Record<string, string> | undefined) => boolean;
}

const CASES: Case[] = [
  {
    kind: 'BGPPeer',
    name: 'new-peer',
    create: () => bgpPeer('new-peer', { peerIP: '10.1.1.1', asNumber: 65010 }),
    modify: (o) => ({ ...o, spec: { ...(o.spec as object), asNumber: 65011 } }),
    modified: (spec) => spec?.asNumber === 65011,
  },
  {
    kind: 'BGPConfiguration',
    name: 'node.node-1',
    create: () => ({ ...bgpConfiguration(), metadata: { name: 'node.node-1' }, spec: { listenPort: 1790 } }),
    modify: (o) => ({ ...o, spec: { listenPort: 1791 } }),
    modified: (spec) => spec?.listenPort === 1791,
  },
  {
    kind: 'BGPFilter',
    name: 'new-filter',
    create: () => bgpFilter('new-filter', { importV4: [{ action: 'Accept', matchOperator: 'Equal', cidr: '10.2.0.0/16' }] }),
    modify: (o) => ({ ...o, spec: { importV4: [{ action: 'Reject', matchOperator: 'Equal', cidr: '10.2.0.0/16' }] } }),
    modified: (spec) => (spec?.importV4 as { action: string }[] | undefined)?.[0]?.action === 'Reject',
  },
  {
    kind: 'IPPool',
    name: 'new-pool',
    create: () => ipPool('new-pool', { cidr: '10.30.0.0/16', vxlanMode: 'Always' }),
    modify: (o) => ({ ...o, spec: { ...(o.spec as object), disabled: true } }),
    modified: (spec) => spec?.disabled === true,
  },
  {
    kind: 'BlockAffinity',
    name: 'node-1-10-244-1-0-26',
    create: () => blockAffinity('node-1', '10.244.1.0/26', 'pending'),
    modify: (o) => ({ ...o, spec: { ...(o.spec as object), state: 'confirmed' } }),
    modified: (spec) => spec?.state === 'confirmed' && spec.deleted === false,
  },
  {
    kind: 'Node',
    name: 'node-3',
    create: () => node('node-3', '192.168.1.12'),
    modify: (o) => ({
      ...o,
      metadata: {
        ...o.metadata,
        labels: { ...(o.metadata.labels as object), zone: 'b' },
        annotations: { ...(o.metadata.annotations as object), 'projectcalico.org/ASNumber': '65099' },
      },
    }),
    modified: (spec, labels) => (spec?.bgp as { asNumber?: number } | undefined)?.asNumber === 65099 && labels?.zone === 'b',
  },
];

describe('KubernetesDatastore follows changes', () => {
  for (const c of CASES) {
    it(`${c.kind}: add, modify and delete each arrive as a new snapshot`, async () => {
      h = await harness(cluster());
      await h.ds.start();
      const key = `${c.kind}/${c.name}`;
      h.server.put(c.create());
      const added = await changeWhere(h, `${key} added`, (s) => names(s).includes(key));
      expect(added.problems).toEqual([]);
      h.server.put(c.modify(c.create()));
      await changeWhere(h, `${key} modified`, (s) => {
        const r = find(s, c.kind, c.name);
        return !!r && c.modified(r.spec, r.metadata.labels);
      });
      h.server.remove(c.kind, c.name);
      const gone = await changeWhere(h, `${key} deleted`, (s) => !names(s).includes(key));
      // Only that resource went away.
      expect(gone.resources.length).toBe(10);
      expect(h.errors).toEqual([]);
    });
  }

  it('a status-only update of a Node (kubelet heartbeat) is not a configuration change', async () => {
    h = await harness(cluster());
    await h.ds.start();
    const n = node('node-1', '192.168.1.10', {
      'projectcalico.org/ASNumber': '64512',
      'projectcalico.org/IPv4VXLANTunnelAddr': '10.244.0.1',
      'projectcalico.org/VXLANTunnelMACAddr': '66:aa:bb:cc:dd:01',
    });
    (n.status as { conditions: { lastHeartbeatTime: string }[] }).conditions[0]!.lastHeartbeatTime = '2025-01-02T03:05:00Z';
    h.server.put(n);
    // A marker change afterwards: once it is seen, the heartbeat has been processed too.
    h.server.put(bgpPeer('marker', { peerIP: '10.9.9.9', asNumber: 65009 }));
    await changeWhere(h, 'marker peer', (s) => names(s).includes('BGPPeer/marker'));
    expect(h.changes).toHaveLength(1);
  });

  it('debounces a burst of changes into few snapshots that end at the truth', async () => {
    h = await harness(cluster(), { ds: { debounceMs: 300 } });
    await h.ds.start();
    for (let i = 0; i < 20; i++) h.server.put(bgpPeer(`burst-${i}`, { peerIP: `10.8.0.${i + 1}`, asNumber: 65100 + i }));
    const last = await changeWhere(h, 'all 20 peers', (s) => names(s).filter((n) => n.startsWith('BGPPeer/burst-')).length === 20);
    expect(h.changes.length).toBeLessThanOrEqual(2);
    expect(h.changes.at(-1)).toBe(last);
  });

  it('still publishes while the cluster never stops changing', async () => {
    h = await harness(cluster(), { ds: { debounceMs: 100 } });
    await h.ds.start();
    let asn = 65300;
    // A change every 20 ms would restart a 100 ms quiet time forever.
    const churn = setInterval(() => h?.server.put(bgpPeer('churn', { peerIP: '10.3.3.3', asNumber: ++asn })), 20);
    try {
      await waitFor('a snapshot during the churn', () => h!.changes.length > 0);
    } finally {
      clearInterval(churn);
    }
    expect(names(h.changes[0]!)).toContain('BGPPeer/churn');
  });

  it('follows a Secret when a peer starts naming it, and its changes, and stops when no peer does', async () => {
    h = await harness([...cluster(), secret('late', 'kube-system', { pw: 'first' })]);
    const first = await h.ds.start();
    expect(first.secrets.map((s) => s.name)).toEqual(['bgp-secrets', 'mesh-secret']);

    h.server.put(bgpPeer('with-late', { peerIP: '10.7.7.7', asNumber: 65007, password: { secretKeyRef: { name: 'late', key: 'pw' } } }));
    // The peer and its Secret arrive together: no snapshot holds the peer without its password.
    const both = await changeWhere(h, 'peer with-late', (s) => names(s).includes('BGPPeer/with-late'));
    expect(both.secrets.find((s) => s.name === 'late')?.data).toEqual({ pw: 'first' });

    h.server.put(secret('late', 'kube-system', { pw: 'second' }));
    await changeWhere(h, 'secret late changed', (s) => s.secrets.find((x) => x.name === 'late')?.data.pw === 'second');

    h.server.remove('BGPPeer', 'with-late');
    const after = await changeWhere(h, 'peer with-late gone', (s) => !names(s).includes('BGPPeer/with-late') && !s.secrets.some((x) => x.name === 'late'));
    expect(after.secrets.map((s) => s.name)).toEqual(['bgp-secrets', 'mesh-secret']);
    // Its watch is closed; the two still named stay open.
    await waitFor('the watch of Secret late to close', () => h!.server.watchCount('secrets') === 2);
  });

  it('reports a malformed CR by name and keeps the rest of the cluster', async () => {
    h = await harness(cluster());
    await h.ds.start();
    h.server.put({ ...bgpPeer('broken', {}), spec: 'not a map' });
    const s = await changeWhere(h, 'broken peer reported', (x) => x.problems.length > 0);
    expect(s.problems).toEqual([{ source: 'bgppeers/broken', message: 'BGPPeer broken rejected: spec is not a map', severity: 'error' }]);
    expect(s.resources.length).toBe(10);
  });

  it('reports a Secret that is not base64 and keeps the rest', async () => {
    h = await harness(cluster());
    await h.ds.start();
    const bad = secret('bgp-secrets', 'kube-system', {});
    bad.data = { tor: '***not base64***' };
    h.server.put(bad);
    const s = await changeWhere(h, 'bad secret reported', (x) => x.problems.length > 0);
    expect(s.problems).toEqual([{ source: 'secrets/kube-system/bgp-secrets', message: 'Secret bgp-secrets rejected: data.tor is not base64', severity: 'error' }]);
    expect(s.secrets.map((x) => x.name)).toEqual(['mesh-secret']);
    expect(s.resources.length).toBe(10);
  });
});
