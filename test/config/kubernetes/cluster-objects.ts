// A small Calico cluster as it sits in the Kubernetes API: Calico CRs shaped the way
// libcalico-go stores them (crd.projectcalico.org/v1, the v3 spec as is, the
// projectcalico.org/metadata bookkeeping annotation, BlockAffinity's `deleted` as a string,
// IPPools still carrying Calico v2's ipip/nat-outgoing), core Nodes with calico-node's
// annotations, and Secrets with base64 data. CALICOCTL_YAML is the same cluster as a calicoctl
// user writes it for the YAML file datastore, so the two datastores can be compared.
import type { ApiObject } from './test-apiserver.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** What libcalico-go adds to every CR it writes: k8s metadata plus its own annotation. */
function cr(kind: string, name: string, spec: Record<string, unknown>, extra: { labels?: Record<string, string> } = {}): ApiObject {
  return {
    apiVersion: 'crd.projectcalico.org/v1',
    kind,
    metadata: {
      name,
      uid: `00000000-0000-4000-8000-${name.length.toString().padStart(12, '0')}`,
      generation: 1,
      creationTimestamp: '2025-01-02T03:04:05Z',
      annotations: { 'projectcalico.org/metadata': '{"creationTimestamp":"2025-01-02T03:04:05Z"}' },
      ...(extra.labels ? { labels: extra.labels } : {}),
    },
    spec,
  };
}

export function bgpConfiguration(spec: Record<string, unknown> = {}): ApiObject {
  return cr('BGPConfiguration', 'default', {
    logSeverityScreen: 'Info',
    nodeToNodeMeshEnabled: true,
    asNumber: 64512,
    nodeMeshPassword: { secretKeyRef: { name: 'mesh-secret', key: 'password' } },
    ...spec,
  });
}

export function bgpPeer(name: string, spec: Record<string, unknown>): ApiObject {
  return cr('BGPPeer', name, spec);
}

export function ipPool(name: string, spec: Record<string, unknown>): ApiObject {
  return cr('IPPool', name, spec);
}

export function blockAffinity(node: string, cidr: string, state = 'confirmed', deleted = 'false'): ApiObject {
  const name = `${node}-${cidr.replace(/[./]/g, '-')}`;
  // libcalico-go labels affinities with the node and the affinity type.
  return cr('BlockAffinity', name, { state, node, cidr, deleted }, { labels: { 'projectcalico.org/affinity-type': 'host' } });
}

export function bgpFilter(name: string, spec: Record<string, unknown>): ApiObject {
  return cr('BGPFilter', name, spec);
}

/** A Kubernetes Node as kubelet and calico-node leave it. */
export function node(name: string, ip: string, annotations: Record<string, string> = {}, labels: Record<string, string> = {}): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `11111111-0000-4000-8000-${name.length.toString().padStart(12, '0')}`,
      creationTimestamp: '2025-01-02T03:04:05Z',
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'projectcalico.org/IPv4Address': `${ip}/24`,
        ...annotations,
      },
    },
    spec: { podCIDR: '10.96.0.0/24' },
    status: {
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2025-01-02T03:04:05Z' }],
    },
  };
}

export function secret(name: string, namespace: string, data: Record<string, string>): ApiObject {
  const encoded: Record<string, string> = {};
  for (const [k, val] of Object.entries(data)) encoded[k] = b64(val);
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data: encoded };
}

/** The cluster every test starts from. */
export function cluster(): ApiObject[] {
  return [
    bgpConfiguration(),
    bgpPeer('tor', { peerIP: '192.168.1.1', asNumber: 65000, password: { secretKeyRef: { name: 'bgp-secrets', key: 'tor' } } }),
    bgpPeer('rr-clients', { nodeSelector: 'all()', peerSelector: "route-reflector == 'true'", filters: ['no-private'] }),
    ipPool('default-ipv4-ippool', {
      cidr: '10.244.0.0/16',
      ipipMode: 'Never',
      vxlanMode: 'CrossSubnet',
      natOutgoing: true,
      blockSize: 26,
      nodeSelector: 'all()',
      allowedUses: ['Workload', 'Tunnel'],
    }),
    // Written by Calico v2 and never rewritten: the v1 fields libcalico-go still reads.
    ipPool('legacy-pool', { cidr: '10.250.0.0/16', ipip: { enabled: true, mode: 'cross-subnet' }, 'nat-outgoing': true }),
    blockAffinity('node-1', '10.244.0.0/26'),
    blockAffinity('node-2', '10.244.0.64/26', 'pendingDeletion', 'true'),
    bgpFilter('no-private', { exportV4: [{ action: 'Reject', matchOperator: 'In', cidr: '10.0.0.0/8' }] }),
    node('node-1', '192.168.1.10', {
      'projectcalico.org/ASNumber': '64512',
      'projectcalico.org/IPv4VXLANTunnelAddr': '10.244.0.1',
      'projectcalico.org/VXLANTunnelMACAddr': '66:aa:bb:cc:dd:01',
    }),
    node(
      'node-2',
      '192.168.1.11',
      { 'projectcalico.org/RouteReflectorClusterID': '244.0.0.1', 'projectcalico.org/labels': '{"rack":"r1"}' },
      { 'route-reflector': 'true' },
    ),
    secret('bgp-secrets', 'kube-system', { tor: 'tor-password' }),
    secret('mesh-secret', 'kube-system', { password: 'mesh pässword' }),
    // Not referenced by anything, and one in another namespace: neither is read.
    secret('unrelated', 'kube-system', { token: 'not for us' }),
    secret('bgp-secrets', 'other-ns', { tor: 'wrong namespace' }),
  ];
}

/** The same cluster as calicoctl users write it for the YAML file datastore. */
export const CALICOCTL_YAML = `
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec:
  logSeverityScreen: Info
  nodeToNodeMeshEnabled: true
  asNumber: 64512
  nodeMeshPassword: {secretKeyRef: {name: mesh-secret, key: password}}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: tor}
spec: {peerIP: 192.168.1.1, asNumber: 65000, password: {secretKeyRef: {name: bgp-secrets, key: tor}}}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: rr-clients}
spec: {nodeSelector: all(), peerSelector: "route-reflector == 'true'", filters: [no-private]}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: default-ipv4-ippool}
spec: {cidr: 10.244.0.0/16, ipipMode: Never, vxlanMode: CrossSubnet, natOutgoing: true, blockSize: 26, nodeSelector: all(), allowedUses: [Workload, Tunnel]}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: legacy-pool}
spec: {cidr: 10.250.0.0/16, ipipMode: CrossSubnet, natOutgoing: true}
---
apiVersion: projectcalico.org/v3
kind: BlockAffinity
metadata: {name: node-1-10-244-0-0-26, labels: {projectcalico.org/affinity-type: host}}
spec: {state: confirmed, node: node-1, cidr: 10.244.0.0/26, deleted: false}
---
apiVersion: projectcalico.org/v3
kind: BlockAffinity
metadata: {name: node-2-10-244-0-64-26, labels: {projectcalico.org/affinity-type: host}}
spec: {state: pendingDeletion, node: node-2, cidr: 10.244.0.64/26, deleted: true}
---
apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata: {name: no-private}
spec: {exportV4: [{action: Reject, matchOperator: In, cidr: 10.0.0.0/8}]}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: node-1
  labels: {kubernetes.io/hostname: node-1, kubernetes.io/os: linux}
spec:
  bgp: {ipv4Address: 192.168.1.10/24, asNumber: 64512}
  ipv4VXLANTunnelAddr: 10.244.0.1
  vxlanTunnelMACAddr: 66:aa:bb:cc:dd:01
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: node-2
  labels: {rack: r1, kubernetes.io/hostname: node-2, kubernetes.io/os: linux, route-reflector: "true"}
spec:
  bgp: {ipv4Address: 192.168.1.11/24, routeReflectorClusterID: 244.0.0.1}
---
apiVersion: v1
kind: Secret
metadata: {name: bgp-secrets, namespace: kube-system}
stringData: {tor: tor-password}
---
apiVersion: v1
kind: Secret
metadata: {name: mesh-secret, namespace: kube-system}
stringData: {password: mesh pässword}
`;
