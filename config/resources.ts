// Typed Calico v3 resources and their validation: Node, BGPConfiguration, BGPPeer, IPPool,
// BlockAffinity and BGPFilter, with field names exactly as calicoctl users write them
// (projectcalico.org/v3). Every field is checked; a resource with any error is rejected as a
// whole with all its reasons, and unknown fields are reported as warnings (a newer Calico may
// add fields this daemon does not use). Selectors are kept as canonical text so the typed
// resources stay plain data.
import type { CalicoResource } from './datastore.js';
import type { Cidr, Family } from './validate.js';
import * as v from './validate.js';
import { Checker } from './checker.js';

export type EncapMode = 'Always' | 'CrossSubnet' | 'Never';
export type LogSeverity = 'Debug' | 'Info' | 'Warning' | 'Error' | 'Fatal' | 'None';

export interface SecretKeyRef {
  name: string;
  key: string;
  optional: boolean;
}

export interface NodeResource {
  kind: 'Node';
  name: string;
  labels: Record<string, string>;
  bgp?: {
    ipv4Address?: Cidr;
    ipv6Address?: Cidr;
    asNumber?: number;
    routeReflectorClusterID?: string;
    ipv4IPIPTunnelAddr?: string;
  };
  ipv4VXLANTunnelAddr?: string;
  vxlanTunnelMACAddr?: string;
  ipv6VXLANTunnelAddr?: string;
  vxlanTunnelMACAddrV6?: string;
}

export interface PrefixAdvertisement {
  cidr: Cidr;
  /** Community values or names defined in `communities`. */
  communities: string[];
}

export interface BGPConfigurationResource {
  kind: 'BGPConfiguration';
  name: string;
  logSeverityScreen?: LogSeverity;
  nodeToNodeMeshEnabled?: boolean;
  asNumber?: number;
  serviceLoadBalancerIPs?: Cidr[];
  serviceExternalIPs?: Cidr[];
  serviceClusterIPs?: Cidr[];
  communities?: { name: string; value: string }[];
  prefixAdvertisements?: PrefixAdvertisement[];
  listenPort?: number;
  nodeMeshPassword?: SecretKeyRef;
  nodeMeshMaxRestartTime?: number;
  bindMode?: 'None' | 'NodeIP';
  ignoredInterfaces?: string[];
}

export interface BGPPeerResource {
  kind: 'BGPPeer';
  name: string;
  node?: string;
  nodeSelector?: string;
  peerIP?: { address: string; family: Family; port?: number };
  asNumber?: number;
  localASNumber?: number;
  peerSelector?: string;
  keepOriginalNextHop: boolean;
  password?: SecretKeyRef;
  sourceAddress: 'UseNodeIP' | 'None';
  maxRestartTime?: number;
  keepaliveTime?: number;
  numAllowedLocalASNumbers?: number;
  ttlSecurity?: number;
  reachableBy?: string;
  filters: string[];
  nextHopMode?: 'Auto' | 'Self' | 'Keep';
  reversePeering: 'Auto' | 'Manual';
}

export interface IPPoolResource {
  kind: 'IPPool';
  name: string;
  cidr: Cidr;
  ipipMode: EncapMode;
  vxlanMode: EncapMode;
  natOutgoing: boolean;
  disabled: boolean;
  disableBGPExport: boolean;
  blockSize: number;
  nodeSelector: string;
  allowedUses: ('Workload' | 'Tunnel' | 'LoadBalancer')[];
  assignmentMode: 'Automatic' | 'Manual';
}

export interface BlockAffinityResource {
  kind: 'BlockAffinity';
  name: string;
  node: string;
  cidr: Cidr;
  state: 'confirmed' | 'pending' | 'pendingDeletion';
  deleted: boolean;
}

export type FilterMatch = 'Equal' | 'NotEqual' | 'In' | 'NotIn';

export interface BGPFilterRule {
  action: 'Accept' | 'Reject';
  cidr?: Cidr;
  matchOperator?: FilterMatch;
  prefixLength?: { min?: number; max?: number };
  source?: 'RemotePeers';
  interface?: string;
  peerType?: 'eBGP' | 'iBGP';
}

export interface BGPFilterResource {
  kind: 'BGPFilter';
  name: string;
  exportV4: BGPFilterRule[];
  importV4: BGPFilterRule[];
  exportV6: BGPFilterRule[];
  importV6: BGPFilterRule[];
}

export type TypedResource =
  | NodeResource
  | BGPConfigurationResource
  | BGPPeerResource
  | IPPoolResource
  | BlockAffinityResource
  | BGPFilterResource;

export const KNOWN_KINDS = ['Node', 'BGPConfiguration', 'BGPPeer', 'IPPool', 'BlockAffinity', 'BGPFilter'] as const;

export type Validation<T> = { ok: true; resource: T; warnings: string[] } | { ok: false; errors: string[]; warnings: string[] };

function opt<T>(val: unknown, fn: (x: unknown) => T): T | undefined {
  return val === undefined || val === null ? undefined : fn(val);
}

function labelsOf(c: Checker, meta: CalicoResource['metadata']): Record<string, string> {
  const labels: Record<string, string> = {};
  if (meta.labels === undefined || meta.labels === null) return labels;
  const m = c.field(() => v.map('metadata.labels', meta.labels));
  for (const [k, val] of Object.entries(m ?? {})) {
    if (!/^([A-Za-z0-9][-A-Za-z0-9_.]*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(k)) c.error(`metadata.labels`, `invalid label key ${JSON.stringify(k)}`);
    else if (typeof val !== 'string') c.error(`metadata.labels.${k}`, 'label values must be strings');
    else labels[k] = val;
  }
  return labels;
}

function validateNode(c: Checker, name: string, r: CalicoResource, spec: Record<string, unknown>): Validation<NodeResource> {
  c.unknown('spec', spec, ['bgp', 'ipv4VXLANTunnelAddr', 'vxlanTunnelMACAddr', 'ipv6VXLANTunnelAddr', 'vxlanTunnelMACAddrV6', 'addresses', 'orchRefs', 'wireguard', 'interfaces']);
  const node: NodeResource = { kind: 'Node', name, labels: labelsOf(c, r.metadata) };
  if (spec.bgp !== undefined && spec.bgp !== null) {
    const bgp = c.field(() => v.map('spec.bgp', spec.bgp)) ?? {};
    c.unknown('spec.bgp', bgp, ['ipv4Address', 'ipv6Address', 'asNumber', 'routeReflectorClusterID', 'ipv4IPIPTunnelAddr']);
    const b: NonNullable<NodeResource['bgp']> = {};
    // A Node's address carries its subnet ("10.0.0.1/24"): CrossSubnet decisions need both.
    b.ipv4Address = c.field(() => opt(bgp.ipv4Address, (x) => v.cidr('spec.bgp.ipv4Address', x, { allowBare: true })));
    if (b.ipv4Address && b.ipv4Address.family !== 4) c.error('spec.bgp.ipv4Address', 'must be an IPv4 address');
    b.ipv6Address = c.field(() => opt(bgp.ipv6Address, (x) => v.cidr('spec.bgp.ipv6Address', x, { allowBare: true })));
    if (b.ipv6Address && b.ipv6Address.family !== 6) c.error('spec.bgp.ipv6Address', 'must be an IPv6 address');
    b.asNumber = c.field(() => opt(bgp.asNumber, (x) => v.asNumber('spec.bgp.asNumber', x)));
    b.routeReflectorClusterID = c.field(() => opt(bgp.routeReflectorClusterID, (x) => v.ipv4Id('spec.bgp.routeReflectorClusterID', x)));
    b.ipv4IPIPTunnelAddr = c.field(() => opt(bgp.ipv4IPIPTunnelAddr, (x) => v.ip('spec.bgp.ipv4IPIPTunnelAddr', x).address));
    node.bgp = prune(b);
  }
  node.ipv4VXLANTunnelAddr = c.field(() => opt(spec.ipv4VXLANTunnelAddr, (x) => v.ip('spec.ipv4VXLANTunnelAddr', x).address));
  node.vxlanTunnelMACAddr = c.field(() => opt(spec.vxlanTunnelMACAddr, (x) => v.mac('spec.vxlanTunnelMACAddr', x)));
  node.ipv6VXLANTunnelAddr = c.field(() => opt(spec.ipv6VXLANTunnelAddr, (x) => v.ip('spec.ipv6VXLANTunnelAddr', x).address));
  node.vxlanTunnelMACAddrV6 = c.field(() => opt(spec.vxlanTunnelMACAddrV6, (x) => v.mac('spec.vxlanTunnelMACAddrV6', x)));
  return c.done(prune(node));
}

const NODE_ONLY_OK = ['logSeverityScreen', 'listenPort', 'communities', 'prefixAdvertisements', 'ignoredInterfaces', 'bindMode'];

function validateBGPConfiguration(c: Checker, name: string, spec: Record<string, unknown>): Validation<BGPConfigurationResource> {
  c.unknown('spec', spec, [
    'logSeverityScreen', 'nodeToNodeMeshEnabled', 'asNumber', 'serviceLoadBalancerIPs', 'serviceExternalIPs',
    'serviceClusterIPs', 'communities', 'prefixAdvertisements', 'listenPort', 'nodeMeshPassword',
    'nodeMeshMaxRestartTime', 'bindMode', 'ignoredInterfaces', 'localWorkloadPeeringIPV4', 'localWorkloadPeeringIPV6',
    'programClusterRoutes',
  ]);
  // Calico: only "default" holds cluster-wide settings; "node.<name>" overrides per node.
  if (name !== 'default' && !name.startsWith('node.')) c.error('metadata.name', `must be "default" or "node.<nodename>", got ${JSON.stringify(name)}`);
  if (name.startsWith('node.')) {
    for (const k of Object.keys(spec)) {
      if (!NODE_ONLY_OK.includes(k) && spec[k] !== undefined) c.error(`spec.${k}`, 'can only be set on the "default" BGPConfiguration');
    }
  }
  const cfg: BGPConfigurationResource = { kind: 'BGPConfiguration', name };
  cfg.logSeverityScreen = c.field(() => opt(spec.logSeverityScreen, (x) => v.oneOf('spec.logSeverityScreen', x, ['Debug', 'Info', 'Warning', 'Error', 'Fatal', 'None'] as const)));
  cfg.nodeToNodeMeshEnabled = c.field(() => opt(spec.nodeToNodeMeshEnabled, (x) => v.bool('spec.nodeToNodeMeshEnabled', x)));
  cfg.asNumber = c.field(() => opt(spec.asNumber, (x) => v.asNumber('spec.asNumber', x)));
  for (const k of ['serviceLoadBalancerIPs', 'serviceExternalIPs', 'serviceClusterIPs'] as const) {
    if (spec[k] !== undefined && spec[k] !== null) cfg[k] = c.cidrList(`spec.${k}`, spec[k]);
  }
  if (spec.communities !== undefined && spec.communities !== null) {
    cfg.communities = [];
    (c.field(() => v.list('spec.communities', spec.communities)) ?? []).forEach((item, i) => {
      const p = `spec.communities[${i}]`;
      const m = c.field(() => v.map(p, item));
      if (!m) return;
      c.unknown(p, m, ['name', 'value']);
      const n = c.field(() => v.resourceName(`${p}.name`, m.name));
      const val = c.field(() => v.community(`${p}.value`, m.value));
      if (n !== undefined && val !== undefined) cfg.communities!.push({ name: n, value: val });
    });
  }
  if (spec.prefixAdvertisements !== undefined && spec.prefixAdvertisements !== null) {
    cfg.prefixAdvertisements = [];
    const names = new Set((cfg.communities ?? []).map((x) => x.name));
    (c.field(() => v.list('spec.prefixAdvertisements', spec.prefixAdvertisements)) ?? []).forEach((item, i) => {
      const p = `spec.prefixAdvertisements[${i}]`;
      const m = c.field(() => v.map(p, item));
      if (!m) return;
      c.unknown(p, m, ['cidr', 'communities']);
      const cidr = c.field(() => v.cidr(`${p}.cidr`, m.cidr, { network: true, allowBare: true }));
      const comms = (c.field(() => v.list(`${p}.communities`, m.communities ?? [])) ?? []).map((x, j) => {
        // A community is a value ("65000:100") or the name of one defined in spec.communities;
        // a node.<name> configuration may also name one defined in "default".
        if (typeof x === 'string' && names.has(x)) return x;
        if (typeof x === 'string' && !x.includes(':') && name.startsWith('node.')) return c.field(() => v.resourceName(`${p}.communities[${j}]`, x));
        return c.field(() => v.community(`${p}.communities[${j}]`, x));
      });
      if (cidr && comms.every((x) => x !== undefined)) cfg.prefixAdvertisements!.push({ cidr, communities: comms as string[] });
    });
  }
  cfg.listenPort = c.field(() => opt(spec.listenPort, (x) => v.port('spec.listenPort', x)));
  if (spec.nodeMeshPassword !== undefined && spec.nodeMeshPassword !== null) cfg.nodeMeshPassword = c.secretRef('spec.nodeMeshPassword', spec.nodeMeshPassword);
  cfg.nodeMeshMaxRestartTime = c.field(() => opt(spec.nodeMeshMaxRestartTime, (x) => v.duration('spec.nodeMeshMaxRestartTime', x)));
  cfg.bindMode = c.field(() => opt(spec.bindMode, (x) => v.oneOf('spec.bindMode', x, ['None', 'NodeIP'] as const)));
  cfg.ignoredInterfaces = c.field(() => opt(spec.ignoredInterfaces, (x) => v.list('spec.ignoredInterfaces', x).map((s, i) => v.str(`spec.ignoredInterfaces[${i}]`, s))));
  return c.done(prune(cfg));
}

function validateBGPPeer(c: Checker, name: string, spec: Record<string, unknown>): Validation<BGPPeerResource> {
  c.unknown('spec', spec, [
    'node', 'nodeSelector', 'peerIP', 'asNumber', 'localASNumber', 'peerSelector', 'keepOriginalNextHop', 'password',
    'sourceAddress', 'maxRestartTime', 'keepaliveTime', 'numAllowedLocalASNumbers', 'ttlSecurity', 'reachableBy',
    'filters', 'nextHopMode', 'reversePeering', 'localWorkloadSelector',
  ]);
  const p: BGPPeerResource = { kind: 'BGPPeer', name, keepOriginalNextHop: false, sourceAddress: 'UseNodeIP', filters: [], reversePeering: 'Auto' };
  p.node = c.field(() => opt(spec.node, (x) => v.str('spec.node', x)));
  if (spec.nodeSelector !== undefined && spec.nodeSelector !== null) p.nodeSelector = c.selector('spec.nodeSelector', spec.nodeSelector);
  if (spec.peerSelector !== undefined && spec.peerSelector !== null) p.peerSelector = c.selector('spec.peerSelector', spec.peerSelector);
  p.peerIP = c.field(() => opt(spec.peerIP, (x) => v.peerIP('spec.peerIP', x)));
  p.asNumber = c.field(() => opt(spec.asNumber, (x) => v.asNumber('spec.asNumber', x)));
  p.localASNumber = c.field(() => opt(spec.localASNumber, (x) => v.asNumber('spec.localASNumber', x)));
  p.keepOriginalNextHop = c.field(() => opt(spec.keepOriginalNextHop, (x) => v.bool('spec.keepOriginalNextHop', x))) ?? false;
  if (spec.password !== undefined && spec.password !== null) p.password = c.secretRef('spec.password', spec.password);
  p.sourceAddress = c.field(() => opt(spec.sourceAddress, (x) => v.oneOf('spec.sourceAddress', x, ['UseNodeIP', 'None'] as const))) ?? 'UseNodeIP';
  p.maxRestartTime = c.field(() => opt(spec.maxRestartTime, (x) => v.duration('spec.maxRestartTime', x)));
  p.keepaliveTime = c.field(() => opt(spec.keepaliveTime, (x) => v.duration('spec.keepaliveTime', x)));
  p.numAllowedLocalASNumbers = c.field(() => opt(spec.numAllowedLocalASNumbers, (x) => v.integer('spec.numAllowedLocalASNumbers', x, 0, 255)));
  // ttlSecurity is a hop count for GTSM (RFC 5082): 1..255, or 0 for off.
  p.ttlSecurity = c.field(() => opt(spec.ttlSecurity, (x) => v.integer('spec.ttlSecurity', x, 0, 255)));
  p.reachableBy = c.field(() => opt(spec.reachableBy, (x) => v.ip('spec.reachableBy', x).address));
  p.filters = c.field(() => opt(spec.filters, (x) => v.list('spec.filters', x).map((f, i) => v.resourceName(`spec.filters[${i}]`, f)))) ?? [];
  p.nextHopMode = c.field(() => opt(spec.nextHopMode, (x) => v.oneOf('spec.nextHopMode', x, ['Auto', 'Self', 'Keep'] as const)));
  p.reversePeering = c.field(() => opt(spec.reversePeering, (x) => v.oneOf('spec.reversePeering', x, ['Auto', 'Manual'] as const))) ?? 'Auto';
  if (spec.localWorkloadSelector !== undefined) c.warnings.push('spec.localWorkloadSelector: peering with local workloads is not supported; ignored');

  if (p.node !== undefined && p.nodeSelector !== undefined) c.error('spec', 'node and nodeSelector cannot both be set');
  if (p.peerSelector !== undefined) {
    if (spec.peerIP !== undefined) c.error('spec', 'peerIP and peerSelector cannot both be set');
    if (spec.asNumber !== undefined) c.error('spec', 'asNumber must be empty when peerSelector is set (the AS comes from the selected nodes)');
  } else if (spec.peerIP === undefined) {
    c.error('spec', 'one of peerIP or peerSelector is required');
  } else if (spec.asNumber === undefined) {
    c.error('spec.asNumber', 'is required with peerIP');
  }
  if (p.reachableBy && p.peerIP && p.reachableBy.includes(':') !== (p.peerIP.family === 6)) c.error('spec.reachableBy', 'must be of the same IP family as peerIP');
  if (p.nextHopMode !== undefined && p.nextHopMode !== 'Auto' && p.keepOriginalNextHop) c.error('spec', 'keepOriginalNextHop and nextHopMode cannot both be set');
  return c.done(prune(p));
}

function encap(c: Checker, path: string, val: unknown): EncapMode {
  return c.field(() => opt(val, (x) => v.oneOf(path, x, ['Always', 'CrossSubnet', 'Never'] as const))) ?? 'Never';
}

function validateIPPool(c: Checker, name: string, spec: Record<string, unknown>): Validation<IPPoolResource> {
  c.unknown('spec', spec, ['cidr', 'ipipMode', 'vxlanMode', 'natOutgoing', 'disabled', 'disableBGPExport', 'blockSize', 'nodeSelector', 'allowedUses', 'assignmentMode', 'ipip', 'nat-outgoing']);
  const cidr = c.field(() => v.cidr('spec.cidr', spec.cidr, { network: true }));
  const family = cidr?.family ?? 4;
  const pool: IPPoolResource = {
    kind: 'IPPool',
    name,
    cidr: cidr ?? { cidr: '', address: '', prefixLength: 0, family: 4 },
    ipipMode: encap(c, 'spec.ipipMode', spec.ipipMode),
    vxlanMode: encap(c, 'spec.vxlanMode', spec.vxlanMode),
    natOutgoing: c.field(() => opt(spec.natOutgoing, (x) => v.bool('spec.natOutgoing', x))) ?? false,
    disabled: c.field(() => opt(spec.disabled, (x) => v.bool('spec.disabled', x))) ?? false,
    disableBGPExport: c.field(() => opt(spec.disableBGPExport, (x) => v.bool('spec.disableBGPExport', x))) ?? false,
    // Calico: IPv4 blocks /20../32 (default /26), IPv6 /116../128 (default /122).
    blockSize: c.field(() => opt(spec.blockSize, (x) => (family === 4 ? v.integer('spec.blockSize', x, 20, 32) : v.integer('spec.blockSize', x, 116, 128)))) ?? (family === 4 ? 26 : 122),
    nodeSelector: (spec.nodeSelector !== undefined && spec.nodeSelector !== null ? c.selector('spec.nodeSelector', spec.nodeSelector) : undefined) ?? 'all()',
    allowedUses: c.field(() => opt(spec.allowedUses, (x) => v.list('spec.allowedUses', x).map((u, i) => v.oneOf(`spec.allowedUses[${i}]`, u, ['Workload', 'Tunnel', 'LoadBalancer'] as const)))) ?? ['Workload', 'Tunnel'],
    assignmentMode: c.field(() => opt(spec.assignmentMode, (x) => v.oneOf('spec.assignmentMode', x, ['Automatic', 'Manual'] as const))) ?? 'Automatic',
  };
  if (spec.ipip !== undefined) c.warnings.push('spec.ipip: the v1 form is not read; use spec.ipipMode');
  if (pool.ipipMode !== 'Never' && pool.vxlanMode !== 'Never') c.error('spec', 'ipipMode and vxlanMode cannot both be enabled');
  if (cidr && family === 6 && pool.ipipMode !== 'Never') c.error('spec.ipipMode', 'IPIP is not supported for IPv6 pools');
  if (cidr && cidr.prefixLength > pool.blockSize) c.error('spec.cidr', `prefix length /${cidr.prefixLength} is longer than blockSize ${pool.blockSize}`);
  return c.done(pool);
}

function validateBlockAffinity(c: Checker, name: string, spec: Record<string, unknown>): Validation<BlockAffinityResource> {
  c.unknown('spec', spec, ['node', 'cidr', 'state', 'deleted', 'type']);
  const node = c.field(() => v.str('spec.node', spec.node));
  const cidr = c.field(() => v.cidr('spec.cidr', spec.cidr, { network: true }));
  const state = c.field(() => v.oneOf('spec.state', spec.state, ['confirmed', 'pending', 'pendingDeletion'] as const));
  // The CRD stores `deleted` as a string ("true"/"false"); calicoctl users may write a boolean.
  let deleted = false;
  if (spec.deleted !== undefined && spec.deleted !== null) {
    if (spec.deleted === true || spec.deleted === 'true') deleted = true;
    else if (spec.deleted !== false && spec.deleted !== 'false' && spec.deleted !== '') c.error('spec.deleted', `must be "true" or "false", got ${JSON.stringify(spec.deleted)}`);
  }
  if (node === undefined || cidr === undefined || state === undefined) return c.done(undefined as never);
  return c.done({ kind: 'BlockAffinity', name, node, cidr, state, deleted });
}

function filterRules(c: Checker, path: string, val: unknown, family: Family): BGPFilterRule[] {
  if (val === undefined || val === null) return [];
  const max = family === 4 ? 32 : 128;
  const out: BGPFilterRule[] = [];
  (c.field(() => v.list(path, val)) ?? []).forEach((item, i) => {
    const p = `${path}[${i}]`;
    const m = c.field(() => v.map(p, item));
    if (!m) return;
    // An unknown field in a filter rule is most likely a match condition of a newer Calico
    // (communities, asPathPrefix, …). Ignoring it would make the rule match more routes than
    // written, so the filter is rejected instead of merely warned about.
    const known = ['action', 'cidr', 'matchOperator', 'prefixLength', 'source', 'interface', 'peerType'];
    for (const k of Object.keys(m)) if (!known.includes(k)) c.error(`${p}.${k}`, 'unsupported filter field; the filter is rejected rather than matching more than intended');
    if (m.source !== undefined && path.includes('import')) c.error(`${p}.source`, 'only export rules can match on source');
    const rule: BGPFilterRule = { action: c.field(() => v.oneOf(`${p}.action`, m.action, ['Accept', 'Reject'] as const)) ?? 'Reject' };
    rule.cidr = c.field(() => opt(m.cidr, (x) => v.cidr(`${p}.cidr`, x, { network: true })));
    if (rule.cidr && rule.cidr.family !== family) c.error(`${p}.cidr`, `must be an IPv${family} CIDR`);
    rule.matchOperator = c.field(() => opt(m.matchOperator, (x) => v.oneOf(`${p}.matchOperator`, x, ['Equal', 'NotEqual', 'In', 'NotIn'] as const)));
    if ((rule.cidr === undefined) !== (rule.matchOperator === undefined) && m.cidr !== undefined) c.error(p, 'cidr and matchOperator must be set together');
    if (m.matchOperator !== undefined && m.cidr === undefined) c.error(p, 'cidr and matchOperator must be set together');
    if (m.prefixLength !== undefined) {
      const pl = c.field(() => v.map(`${p}.prefixLength`, m.prefixLength)) ?? {};
      c.unknown(`${p}.prefixLength`, pl, ['min', 'max']);
      const min = c.field(() => opt(pl.min, (x) => v.integer(`${p}.prefixLength.min`, x, 0, max)));
      const mx = c.field(() => opt(pl.max, (x) => v.integer(`${p}.prefixLength.max`, x, 0, max)));
      if (min !== undefined && mx !== undefined && min > mx) c.error(`${p}.prefixLength`, 'min is greater than max');
      rule.prefixLength = prune({ min, max: mx });
    }
    rule.source = c.field(() => opt(m.source, (x) => v.oneOf(`${p}.source`, x, ['RemotePeers'] as const)));
    rule.interface = c.field(() => opt(m.interface, (x) => v.str(`${p}.interface`, x)));
    rule.peerType = c.field(() => opt(m.peerType, (x) => v.oneOf(`${p}.peerType`, x, ['eBGP', 'iBGP'] as const)));
    out.push(prune(rule));
  });
  return out;
}

function validateBGPFilter(c: Checker, name: string, spec: Record<string, unknown>): Validation<BGPFilterResource> {
  c.unknown('spec', spec, ['exportV4', 'importV4', 'exportV6', 'importV6']);
  return c.done({
    kind: 'BGPFilter',
    name,
    exportV4: filterRules(c, 'spec.exportV4', spec.exportV4, 4),
    importV4: filterRules(c, 'spec.importV4', spec.importV4, 4),
    exportV6: filterRules(c, 'spec.exportV6', spec.exportV6, 6),
    importV6: filterRules(c, 'spec.importV6', spec.importV6, 6),
  });
}

/** Validate one Calico resource; never throws for bad input. */
export function validateResource(r: CalicoResource): Validation<TypedResource> {
  const c = new Checker();
  if (!r || typeof r !== 'object') return { ok: false, errors: ['resource is not a map'], warnings: [] };
  if (r.apiVersion !== 'projectcalico.org/v3') c.warnings.push(`apiVersion ${JSON.stringify(r.apiVersion)} read as projectcalico.org/v3`);
  const meta = r.metadata;
  if (!meta || typeof meta !== 'object') return { ok: false, errors: ['metadata: is required'], warnings: c.warnings };
  // Node names are host names, which may hold upper case letters in some clouds.
  const name = c.field(() => (r.kind === 'Node' ? v.str('metadata.name', meta.name) : v.resourceName('metadata.name', meta.name)));
  if (name === undefined || name === '') return { ok: false, errors: c.errors.length ? c.errors : ['metadata.name: a name is required'], warnings: c.warnings };
  const spec = r.spec === undefined || r.spec === null ? {} : c.field(() => v.map('spec', r.spec));
  if (!spec) return c.done(undefined as never);
  switch (r.kind) {
    case 'Node':
      return validateNode(c, name, r, spec);
    case 'BGPConfiguration':
      return validateBGPConfiguration(c, name, spec);
    case 'BGPPeer':
      return validateBGPPeer(c, name, spec);
    case 'IPPool':
      return validateIPPool(c, name, spec);
    case 'BlockAffinity':
      return validateBlockAffinity(c, name, spec);
    case 'BGPFilter':
      return validateBGPFilter(c, name, spec);
    default:
      return { ok: false, errors: [`unknown kind ${JSON.stringify(r.kind)}`], warnings: c.warnings };
  }
}

/** Drop keys whose value is undefined, so typed resources compare and print cleanly. */
export function prune<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
