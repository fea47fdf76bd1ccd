// Turning objects read from the Kubernetes API into the datastore contract's shapes: Calico CRDs
// (crd.projectcalico.org/v1) and core v1 Nodes become projectcalico.org/v3 resources the way
// libcalico-go's Kubernetes backend presents them to calicoctl, and core v1 Secrets become
// SecretResources with their data decoded. Pure: objects in, resources or problems out; bad input
// never throws.
//
// Volatile metadata (resourceVersion, uid, creationTimestamp, managedFields) is left out on
// purpose: kubelet rewrites a Node's status every few seconds, and a snapshot that carried the
// resourceVersion would count each heartbeat as a configuration change.
import type { CalicoResource, ResourceProblem, SecretResource } from '../datastore.js';
import * as v from '../validate.js';

/** A Kubernetes object as the API serves it (JSON), before any conversion. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string> | null;
    annotations?: Record<string, string> | null;
    resourceVersion?: string;
    [k: string]: unknown;
  };
  spec?: Record<string, unknown> | null;
  status?: Record<string, unknown> | null;
  data?: Record<string, string> | null;
  [k: string]: unknown;
}

export type CalicoKind = 'BGPConfiguration' | 'BGPPeer' | 'BGPFilter' | 'IPPool' | 'BlockAffinity';

/** The Calico CRDs this daemon follows, all cluster-scoped, with their plural resource names. */
export const CALICO_CRDS: readonly { kind: CalicoKind; plural: string }[] = [
  { kind: 'BGPConfiguration', plural: 'bgpconfigurations' },
  { kind: 'BGPPeer', plural: 'bgppeers' },
  { kind: 'BGPFilter', plural: 'bgpfilters' },
  { kind: 'IPPool', plural: 'ippools' },
  { kind: 'BlockAffinity', plural: 'blockaffinities' },
];

export const CRD_GROUP = 'crd.projectcalico.org';
export const CRD_VERSION = 'v1';
const V3 = 'projectcalico.org/v3';

// libcalico-go keeps v3 metadata that has no place on a CR (creationTimestamp, uid of the v3
// object) as JSON in this annotation; it is bookkeeping, not something users wrote.
const METADATA_ANNOTATION = 'projectcalico.org/metadata';
// Node annotations written by calico-node and calicoctl (libcalico-go resources/node.go).
export const NODE_ANNOTATIONS = {
  ipv4Address: 'projectcalico.org/IPv4Address',
  ipv6Address: 'projectcalico.org/IPv6Address',
  asNumber: 'projectcalico.org/ASNumber',
  routeReflectorClusterID: 'projectcalico.org/RouteReflectorClusterID',
  ipv4IPIPTunnelAddr: 'projectcalico.org/IPv4IPIPTunnelAddr',
  ipv4VXLANTunnelAddr: 'projectcalico.org/IPv4VXLANTunnelAddr',
  vxlanTunnelMACAddr: 'projectcalico.org/VXLANTunnelMACAddr',
  ipv6VXLANTunnelAddr: 'projectcalico.org/IPv6VXLANTunnelAddr',
  vxlanTunnelMACAddrV6: 'projectcalico.org/VXLANTunnelMACAddrV6',
  /** Labels set through calicoctl on a Kubernetes Node (JSON map); Kubernetes labels win. */
  calicoLabels: 'projectcalico.org/labels',
  calicoAnnotations: 'projectcalico.org/annotations',
  /** Where libcalico-go records the Kubernetes labels it merged in, so writes can undo the merge. */
  kubeLabels: 'projectcalico.org/kube-labels',
} as const;

export type Converted<T> = { ok: true; value: T; problems: ResourceProblem[] } | { ok: false; problems: ResourceProblem[] };

function isMap(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function stringMap(x: unknown): Record<string, string> | undefined {
  if (!isMap(x)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(x)) if (typeof val === 'string') out[k] = val;
  return Object.keys(out).length ? out : undefined;
}

/** A deep copy through JSON: the snapshot must share nothing with the informer's cache. */
function copy<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

function nameOf(obj: KubeObject): string | undefined {
  const n = obj?.metadata?.name;
  return typeof n === 'string' && n ? n : undefined;
}

/** A Calico CR of the given kind → its v3 resource. */
export function crdToV3(kind: CalicoKind, plural: string, obj: KubeObject): Converted<CalicoResource> {
  const name = nameOf(obj);
  if (!isMap(obj) || !name) return { ok: false, problems: [{ source: plural, message: `${kind} without metadata.name ignored`, severity: 'error' }] };
  const source = `${plural}/${name}`;
  if (obj.spec !== undefined && obj.spec !== null && !isMap(obj.spec)) {
    return { ok: false, problems: [{ source, message: `${kind} ${name} rejected: spec is not a map`, severity: 'error' }] };
  }
  const metadata: CalicoResource['metadata'] = { name };
  const labels = stringMap(obj.metadata?.labels);
  if (labels) metadata.labels = labels;
  const annotations = stringMap(obj.metadata?.annotations);
  if (annotations) delete annotations[METADATA_ANNOTATION];
  if (annotations && Object.keys(annotations).length) metadata.annotations = annotations;
  let spec: Record<string, unknown>;
  try {
    spec = copy(obj.spec ?? {});
  } catch (err) {
    // Objects from the API are JSON, so this only guards against callers handing in others.
    return { ok: false, problems: [{ source, message: `${kind} ${name} rejected: spec is not plain data (${(err as Error).message})`, severity: 'error' }] };
  }
  if (kind === 'IPPool') upgradeIPPoolV1(spec);
  if (kind === 'BlockAffinity') {
    // The CRD stores `deleted` as a string; libcalico-go reads exactly "true" as true.
    if ('deleted' in spec) spec.deleted = spec.deleted === 'true' || spec.deleted === true;
  }
  return { ok: true, value: { apiVersion: V3, kind, metadata, spec, source }, problems: [] };
}

/**
 * IPPools written by Calico v2 carry `ipip: {enabled, mode}` and `nat-outgoing`; libcalico-go
 * folds them into ipipMode and natOutgoing when reading (IPPoolv1v3Converter) and so do we.
 */
function upgradeIPPoolV1(spec: Record<string, unknown>): void {
  if (isMap(spec.ipip)) {
    const ipip = spec.ipip;
    spec.ipipMode = ipip.enabled !== true ? 'Never' : ipip.mode === 'cross-subnet' ? 'CrossSubnet' : 'Always';
  }
  delete spec.ipip;
  if ('nat-outgoing' in spec) {
    // natOutgoing = v1 || v3; false is left out, as Calico's omitempty field prints it.
    if (spec['nat-outgoing'] === true) spec.natOutgoing = true;
    delete spec['nat-outgoing'];
  }
}

/** Read a JSON map kept in an annotation; a broken one is reported and ignored, as libcalico-go does. */
function jsonAnnotation(ann: Record<string, string>, key: string, source: string, problems: ResourceProblem[]): Record<string, string> | undefined {
  const raw = ann[key];
  if (raw === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed === null) return undefined;
    if (!isMap(parsed)) throw new Error('not a map');
    return stringMap(parsed) ?? {};
  } catch (err) {
    problems.push({ source, message: `annotation ${key} is not a JSON map of strings (${(err as Error).message}); ignored`, severity: 'warning' });
    return undefined;
  }
}

/**
 * A core v1 Node → v3 Node (libcalico-go K8sNodeToCalico): BGP settings come from annotations;
 * an annotation that does not validate is ignored with a warning, like Calico does, rather
 * than rejecting the whole Node.
 */
export function nodeToV3(obj: KubeObject): Converted<CalicoResource> {
  const name = nameOf(obj);
  if (!isMap(obj) || !name) return { ok: false, problems: [{ source: 'nodes', message: 'Node without metadata.name ignored', severity: 'error' }] };
  const source = `nodes/${name}`;
  const problems: ResourceProblem[] = [];
  const ann = stringMap(obj.metadata?.annotations) ?? {};
  const kubeLabels = stringMap(obj.metadata?.labels) ?? {};

  const metadata: CalicoResource['metadata'] = { name };
  const labels = { ...(jsonAnnotation(ann, NODE_ANNOTATIONS.calicoLabels, source, problems) ?? {}), ...kubeLabels };
  if (Object.keys(labels).length) metadata.labels = labels;
  metadata.annotations = {
    ...(jsonAnnotation(ann, NODE_ANNOTATIONS.calicoAnnotations, source, problems) ?? {}),
    [NODE_ANNOTATIONS.kubeLabels]: JSON.stringify(kubeLabels),
  };

  // Each reader validates and returns the annotation's text (or the parsed AS number).
  const read = <T>(key: string, check: (path: string, x: string) => T): T | undefined => {
    const raw = ann[key];
    if (raw === undefined || raw === '') return undefined;
    try {
      return check(key, raw);
    } catch (err) {
      problems.push({ source, message: `annotation ${key}=${JSON.stringify(raw)} is invalid (${(err as v.FieldError).reason ?? (err as Error).message}); ignored`, severity: 'warning' });
      return undefined;
    }
  };
  const family = (want: v.Family) => (path: string, x: string): string => {
    const c = v.cidr(path, x, { allowBare: true });
    if (c.family !== want) throw new v.FieldError(path, `must be an IPv${want} address`);
    return x;
  };
  const addr = (want: v.Family) => (path: string, x: string): string => {
    if (v.ip(path, x).family !== want) throw new v.FieldError(path, `must be an IPv${want} address`);
    return x;
  };

  const spec: Record<string, unknown> = {};
  const bgp: Record<string, unknown> = {};
  const set = (o: Record<string, unknown>, k: string, x: unknown): void => {
    if (x !== undefined) o[k] = x;
  };
  set(bgp, 'ipv4Address', read(NODE_ANNOTATIONS.ipv4Address, family(4)));
  set(bgp, 'ipv6Address', read(NODE_ANNOTATIONS.ipv6Address, family(6)));
  set(bgp, 'asNumber', read(NODE_ANNOTATIONS.asNumber, (p, x) => v.asNumber(p, x)));
  set(bgp, 'routeReflectorClusterID', read(NODE_ANNOTATIONS.routeReflectorClusterID, (p, x) => (v.ipv4Id(p, x), x)));
  set(bgp, 'ipv4IPIPTunnelAddr', read(NODE_ANNOTATIONS.ipv4IPIPTunnelAddr, addr(4)));
  if (Object.keys(bgp).length) spec.bgp = bgp;
  set(spec, 'ipv4VXLANTunnelAddr', read(NODE_ANNOTATIONS.ipv4VXLANTunnelAddr, addr(4)));
  set(spec, 'vxlanTunnelMACAddr', read(NODE_ANNOTATIONS.vxlanTunnelMACAddr, (p, x) => (v.mac(p, x), x)));
  set(spec, 'ipv6VXLANTunnelAddr', read(NODE_ANNOTATIONS.ipv6VXLANTunnelAddr, addr(6)));
  set(spec, 'vxlanTunnelMACAddrV6', read(NODE_ANNOTATIONS.vxlanTunnelMACAddrV6, (p, x) => (v.mac(p, x), x)));
  spec.orchRefs = [{ nodeName: name, orchestrator: 'k8s' }];

  // Addresses as libcalico-go lists them: the BGP addresses, then the kubelet's Internal/External IPs.
  const addresses: { address: string; type: string }[] = [];
  if (typeof bgp.ipv4Address === 'string') addresses.push({ address: bgp.ipv4Address, type: 'CalicoNodeIP' });
  if (typeof bgp.ipv6Address === 'string') addresses.push({ address: bgp.ipv6Address, type: 'CalicoNodeIP' });
  const statusAddrs = Array.isArray(obj.status?.addresses) ? (obj.status.addresses as unknown[]) : [];
  for (const a of statusAddrs) {
    if (!isMap(a) || typeof a.address !== 'string') continue;
    if (a.type === 'InternalIP' || a.type === 'ExternalIP') addresses.push({ address: a.address, type: a.type });
  }
  if (addresses.length) spec.addresses = addresses;

  return { ok: true, value: { apiVersion: V3, kind: 'Node', metadata, spec, source }, problems };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A core v1 Secret → SecretResource with every data value decoded from base64. */
export function secretFromKube(obj: KubeObject): Converted<SecretResource> {
  const name = nameOf(obj);
  if (!isMap(obj) || !name) return { ok: false, problems: [{ source: 'secrets', message: 'Secret without metadata.name ignored', severity: 'error' }] };
  const namespace = typeof obj.metadata?.namespace === 'string' ? obj.metadata.namespace : '';
  const source = `secrets/${namespace}/${name}`;
  const data: Record<string, string> = {};
  const raw: unknown = obj.data ?? {};
  if (!isMap(raw)) return { ok: false, problems: [{ source, message: `Secret ${name} rejected: data is not a map`, severity: 'error' }] };
  for (const [k, val] of Object.entries(raw)) {
    if (typeof val !== 'string' || val.length % 4 !== 0 || !BASE64.test(val)) {
      return { ok: false, problems: [{ source, message: `Secret ${name} rejected: data.${k} is not base64`, severity: 'error' }] };
    }
    data[k] = Buffer.from(val, 'base64').toString('utf8');
  }
  return { ok: true, value: { name, namespace, data, source }, problems: [] };
}
