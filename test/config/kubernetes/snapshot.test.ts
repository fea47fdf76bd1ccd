// The first snapshot of the Kubernetes datastore, read by the real @kubernetes/client-node from
// the test API server: Calico CRs become exactly the v3 resources calicoctl shows, Nodes carry
// their annotations as v3 fields, referenced Secrets arrive decoded, and the result means the
// same to the validator and the model builder as the equivalent YAML files do.
import { afterEach, describe, expect, it } from 'vitest';
import { readYamlText } from '../../../config/yamlfile.js';
import { validateResource } from '../../../config/resources.js';
import { buildNodeModel } from '../../../config/model.js';
import type { Snapshot } from '../../../config/datastore.js';
import { CALICOCTL_YAML, cluster, node } from './cluster-objects.js';
import { find, harness, names, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('KubernetesDatastore first snapshot', () => {
  it('converts every Calico CR to its v3 resource, as libcalico-go presents it', async () => {
    h = await harness(cluster());
    const snap = await h.ds.start();
    expect(names(snap)).toEqual([
      'Node/node-1',
      'Node/node-2',
      'BGPConfiguration/default',
      'BGPPeer/rr-clients',
      'BGPPeer/tor',
      'BGPFilter/no-private',
      'IPPool/default-ipv4-ippool',
      'IPPool/legacy-pool',
      'BlockAffinity/node-1-10-244-0-0-26',
      'BlockAffinity/node-2-10-244-0-64-26',
    ]);
    expect(find(snap, 'BGPPeer', 'tor')).toEqual({
      apiVersion: 'projectcalico.org/v3',
      kind: 'BGPPeer',
      metadata: { name: 'tor' },
      spec: { peerIP: '192.168.1.1', asNumber: 65000, password: { secretKeyRef: { name: 'bgp-secrets', key: 'tor' } } },
      source: 'bgppeers/tor',
    });
    // Calico v2's ipip/nat-outgoing fields are read as ipipMode/natOutgoing.
    expect(find(snap, 'IPPool', 'legacy-pool')?.spec).toEqual({ cidr: '10.250.0.0/16', ipipMode: 'CrossSubnet', natOutgoing: true });
    // BlockAffinity: the CRD's string "true"/"false" becomes v3's boolean; labels are kept.
    expect(find(snap, 'BlockAffinity', 'node-2-10-244-0-64-26')).toEqual({
      apiVersion: 'projectcalico.org/v3',
      kind: 'BlockAffinity',
      metadata: { name: 'node-2-10-244-0-64-26', labels: { 'projectcalico.org/affinity-type': 'host' } },
      spec: { state: 'pendingDeletion', node: 'node-2', cidr: '10.244.0.64/26', deleted: true },
      source: 'blockaffinities/node-2-10-244-0-64-26',
    });
    expect(find(snap, 'BlockAffinity', 'node-1-10-244-0-0-26')?.spec?.deleted).toBe(false);
    expect(snap.problems).toEqual([]);
  });

  it('reads Node annotations into v3 Node fields and keeps labels for selectors', async () => {
    h = await harness(cluster());
    const snap = await h.ds.start();
    expect(find(snap, 'Node', 'node-1')).toEqual({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Node',
      metadata: {
        name: 'node-1',
        labels: { 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux' },
        annotations: { 'projectcalico.org/kube-labels': '{"kubernetes.io/hostname":"node-1","kubernetes.io/os":"linux"}' },
      },
      spec: {
        bgp: { ipv4Address: '192.168.1.10/24', asNumber: 64512 },
        ipv4VXLANTunnelAddr: '10.244.0.1',
        vxlanTunnelMACAddr: '66:aa:bb:cc:dd:01',
        orchRefs: [{ nodeName: 'node-1', orchestrator: 'k8s' }],
        addresses: [
          { address: '192.168.1.10/24', type: 'CalicoNodeIP' },
          { address: '192.168.1.10', type: 'InternalIP' },
        ],
      },
      source: 'nodes/node-1',
    });
    const n2 = find(snap, 'Node', 'node-2');
    // Labels set through calicoctl live in an annotation; Kubernetes labels are merged over them.
    expect(n2?.metadata.labels).toEqual({ rack: 'r1', 'kubernetes.io/hostname': 'node-2', 'kubernetes.io/os': 'linux', 'route-reflector': 'true' });
    expect(n2?.spec?.bgp).toEqual({ ipv4Address: '192.168.1.11/24', routeReflectorClusterID: '244.0.0.1' });
  });

  it('ignores an invalid Node annotation with a warning and keeps the rest of the Node', async () => {
    h = await harness([
      node('bad', '192.168.1.20', {
        'projectcalico.org/ASNumber': 'sixty-four',
        'projectcalico.org/IPv6Address': '192.168.1.20/24',
        'projectcalico.org/VXLANTunnelMACAddr': 'zz:zz',
        'projectcalico.org/labels': '{not json',
      }),
      node('asdot', '192.168.1.21', { 'projectcalico.org/ASNumber': '1.10', 'projectcalico.org/IPv6Address': 'fd00::21/64' }),
    ]);
    const snap = await h.ds.start();
    expect(find(snap, 'Node', 'bad')?.spec?.bgp).toEqual({ ipv4Address: '192.168.1.20/24' });
    expect(find(snap, 'Node', 'bad')?.spec?.vxlanTunnelMACAddr).toBeUndefined();
    const warned = snap.problems.filter((p) => p.source === 'nodes/bad').map((p) => p.message);
    expect(warned).toHaveLength(4);
    expect(warned.join('\n')).toMatch(/ASNumber="sixty-four" is invalid/);
    expect(warned.join('\n')).toMatch(/IPv6Address="192.168.1.20\/24" is invalid .*IPv6/);
    expect(snap.problems.every((p) => p.severity === 'warning')).toBe(true);
    // asdot notation is an AS number too (65536 * 1 + 10).
    expect(find(snap, 'Node', 'asdot')?.spec?.bgp).toEqual({ ipv4Address: '192.168.1.21/24', ipv6Address: 'fd00::21/64', asNumber: 65546 });
  });

  it('decodes the referenced Secrets of its namespace and reads no others', async () => {
    h = await harness(cluster());
    const snap = await h.ds.start();
    expect(snap.secrets).toEqual([
      { name: 'bgp-secrets', namespace: 'kube-system', data: { tor: 'tor-password' }, source: 'secrets/kube-system/bgp-secrets' },
      { name: 'mesh-secret', namespace: 'kube-system', data: { password: 'mesh pässword' }, source: 'secrets/kube-system/mesh-secret' },
    ]);
    // Each Secret is read by name, as calico-node's RBAC (named Secrets only) allows.
    const secretCalls = h.server.requests.filter((r) => r.path.includes('/secrets'));
    expect(secretCalls.length).toBeGreaterThan(0);
    for (const r of secretCalls) {
      expect(r.path).toBe('/api/v1/namespaces/kube-system/secrets');
      expect(r.query.get('fieldSelector')).toMatch(/^metadata\.name=(bgp-secrets|mesh-secret)$/);
    }
  });

  it('means the same as the YAML file datastore reading the calicoctl form of the cluster', async () => {
    h = await harness(cluster());
    const fromApi = await h.ds.start();
    const file = readYamlText('cluster.yaml', CALICOCTL_YAML);
    expect(file.problems).toEqual([]);
    const fromFile: Snapshot = { resources: file.resources, secrets: file.secrets, problems: [] };
    // Each resource validates to the same typed value (warnings aside: none expected).
    const typed = (s: Snapshot) =>
      s.resources
        .map((r) => validateResource(r))
        .map((v) => {
          expect(v.ok).toBe(true);
          expect(v.warnings).toEqual([]);
          return v.ok ? v.resource : undefined;
        })
        .sort((a, b) => `${a?.kind}/${a?.name}`.localeCompare(`${b?.kind}/${b?.name}`));
    expect(typed(fromApi)).toEqual(typed(fromFile));
    // And every node's model is the same, passwords from the Secrets included.
    for (const n of ['node-1', 'node-2']) {
      const a = buildNodeModel(fromApi, n);
      const b = buildNodeModel(fromFile, n);
      expect(a.problems).toEqual([]);
      expect(a.model).toEqual(b.model);
    }
    const m = buildNodeModel(fromApi, 'node-1').model;
    expect(m.meshPassword).toBe('mesh pässword');
    expect(m.peers.find((p) => p.name === 'tor')?.password).toBe('tor-password');
    expect(m.localBlocks).toEqual(['10.244.0.0/26']);
  });

  it('starts without CRDs this Calico version lacks (bgpfilters answers 404)', async () => {
    h = await harness(
      cluster().filter((o) => o.kind !== 'BGPFilter'),
      { server: { withoutCrds: ['bgpfilters'] } },
    );
    const snap = await h.ds.start();
    expect(names(snap)).toContain('BGPPeer/tor');
    expect(names(snap).some((n) => n.startsWith('BGPFilter/'))).toBe(false);
    expect(h.errors).toEqual([]);
  });

  it('follows paged lists to the end', async () => {
    const pools = Array.from({ length: 7 }, (_, i) => ({
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPPool',
      metadata: { name: `pool-${i}` },
      spec: { cidr: `10.${i}.0.0/16` },
    }));
    h = await harness(pools, { ds: { pageSize: 2 } });
    const snap = await h.ds.start();
    expect(names(snap)).toEqual(pools.map((p) => `IPPool/${p.metadata.name}`));
    const pages = h.server.requests.filter((r) => r.path.endsWith('/ippools') && !r.query.has('watch'));
    expect(pages.length).toBe(4);
    expect(pages.slice(1).every((r) => r.query.get('continue'))).toBe(true);
  });

  it('starts the list over when its continue token expires half-way', async () => {
    const pools = Array.from({ length: 5 }, (_, i) => ({
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPPool',
      metadata: { name: `pool-${i}` },
      spec: { cidr: `10.${i}.0.0/16` },
    }));
    h = await harness(pools, { ds: { pageSize: 2 } });
    h.server.expireNextContinue();
    const snap = await h.ds.start();
    expect(names(snap)).toEqual(pools.map((p) => `IPPool/${p.metadata.name}`));
    const pages = h.server.requests.filter((r) => r.path.endsWith('/ippools') && !r.query.has('watch')).map((r) => (r.query.get('continue') ? 'next' : 'first'));
    // first, next (410 Gone), then a whole list again: first, next, next.
    expect(pages).toEqual(['first', 'next', 'first', 'next', 'next']);
    expect(h.errors).toEqual([]);
  });
});
