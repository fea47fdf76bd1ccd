// The NodeModel: everything one node's BGP speaker needs, built purely from a datastore
// Snapshot. `buildNodeModel(snapshot, nodeName)` validates every resource, resolves defaults the
// way Calico does (global AS 64512, mesh on, port 179), per-node BGPConfiguration overrides
// ("node.<name>"), Secret passwords, and this node's confirmed IPAM blocks. It never throws on
// bad input: rejected resources become problems and the rest still applies. Output is plain
// data (no classes, no Maps) so it can cross a worker boundary and be compared structurally.
import { createRequire } from 'node:module';
import type { ResourceProblem, SecretResource, Snapshot } from './datastore.js';
import type {
  BGPConfigurationResource,
  BGPFilterResource,
  BGPPeerResource,
  BlockAffinityResource,
  EncapMode,
  IPPoolResource,
  LogSeverity,
  NodeResource,
  SecretKeyRef,
  TypedResource,
} from './resources.js';
import { validateResource } from './resources.js';
import { parseSelector } from './selector.js';
import type { Cidr, Family } from './validate.js';

export const DEFAULT_AS = 64512;
export const DEFAULT_PORT = 179;
/** BIRD's graceful restart time when none is configured; Calico relies on it. */
export const DEFAULT_RESTART_TIME = 120;

/** Another (or this) Calico node as seen by this node: for the mesh, peerSelector and VXLAN. */
export interface ClusterNode {
  name: string;
  labels: Record<string, string>;
  ipv4?: Cidr;
  ipv6?: Cidr;
  /** The node's own AS, else the global default. */
  asNumber: number;
  rrClusterId?: string;
  /** The port this node's BGP speaker listens on (its node.<name> BGPConfiguration, else global). */
  listenPort: number;
  ipv4IPIPTunnelAddr?: string;
  vxlan?: { ipv4Addr?: string; mac?: string; ipv6Addr?: string; macV6?: string };
}

export interface PoolModel {
  name: string;
  cidr: string;
  family: Family;
  ipipMode: EncapMode;
  vxlanMode: EncapMode;
  natOutgoing: boolean;
  disabled: boolean;
  disableBGPExport: boolean;
  blockSize: number;
  nodeSelector: string;
}

/** A validated BGPPeer with its password resolved from its Secret. */
export interface PeerModel extends Omit<BGPPeerResource, 'kind' | 'password'> {
  password?: string;
}

export interface PrefixAdvertisementModel {
  cidr: string;
  /** Community values ("65000:100" or large "65000:1:2"), names already resolved. */
  communities: string[];
}

export interface NodeModel {
  nodeName: string;
  /** False when no Node resource of that name exists: no addresses, no sessions. */
  nodeFound: boolean;
  asNumber: number;
  globalASNumber: number;
  routerId?: string;
  ipv4?: Cidr;
  ipv6?: Cidr;
  clusterId?: string;
  listenPort: number;
  bindMode: 'None' | 'NodeIP';
  logSeverity: LogSeverity;
  labels: Record<string, string>;
  serviceClusterIPs: string[];
  serviceExternalIPs: string[];
  serviceLoadBalancerIPs: string[];
  prefixAdvertisements: PrefixAdvertisementModel[];
  ignoredInterfaces: string[];
  meshEnabled: boolean;
  meshPassword?: string;
  meshMaxRestartTime?: number;
  ipPools: PoolModel[];
  /** Confirmed, not deleted, BlockAffinity CIDRs of this node: blackholed and advertised. */
  localBlocks: string[];
  /** Every Node, sorted by name, this one included. */
  nodes: ClusterNode[];
  /** Every valid BGPPeer, sorted by name; peers/ decides which apply here. */
  peers: PeerModel[];
  filters: Record<string, Omit<BGPFilterResource, 'kind'>>;
}

export interface BuildOptions {
  /** CALICO_ROUTER_ID: an IPv4 id, or "hash" for one derived from the node name. */
  routerId?: string;
  /** Namespace whose Secrets hold passwords (calico-node's; env NAMESPACE, default kube-system). */
  secretNamespace?: string;
}

export interface BuildResult {
  model: NodeModel;
  problems: ResourceProblem[];
}

type Typed<K extends TypedResource['kind']> = Extract<TypedResource, { kind: K }>;

function sourceOf(r: { kind: string; metadata?: { name?: unknown }; source?: string }): string {
  return r.source ?? `${r.kind}/${String(r.metadata?.name ?? '?')}`;
}

/** Validate and index a snapshot's resources by kind and name; first of a duplicate wins. */
function collect(snap: Snapshot, problems: ResourceProblem[]): { [K in TypedResource['kind']]: Map<string, Typed<K>> } {
  const out = {
    Node: new Map(),
    BGPConfiguration: new Map(),
    BGPPeer: new Map(),
    IPPool: new Map(),
    BlockAffinity: new Map(),
    BGPFilter: new Map(),
  } as { [K in TypedResource['kind']]: Map<string, Typed<K>> };
  for (const raw of snap.resources) {
    if (!raw || typeof raw !== 'object') {
      problems.push({ source: 'snapshot', message: 'an entry is not a resource; ignored', severity: 'error' });
      continue;
    }
    const src = sourceOf(raw);
    if (!(raw.kind in out)) {
      problems.push({ source: src, message: `unknown kind ${JSON.stringify(raw.kind)} ignored`, severity: 'warning' });
      continue;
    }
    const res = validateResource(raw);
    for (const w of res.warnings) problems.push({ source: src, message: `${raw.kind} ${String(raw.metadata?.name)}: ${w}`, severity: 'warning' });
    if (!res.ok) {
      problems.push({ source: src, message: `${raw.kind} ${String(raw.metadata?.name ?? '')} rejected: ${res.errors.join('; ')}`, severity: 'error' });
      continue;
    }
    const m = out[res.resource.kind] as Map<string, TypedResource>;
    if (m.has(res.resource.name)) {
      problems.push({ source: src, message: `duplicate ${raw.kind} ${res.resource.name} ignored (the first one applies)`, severity: 'error' });
      continue;
    }
    m.set(res.resource.name, res.resource);
  }
  return out;
}

function findSecret(secrets: SecretResource[], ref: SecretKeyRef, ns: string): SecretResource | undefined {
  // Prefer calico-node's namespace; a file datastore may omit namespaces entirely.
  return secrets.find((s) => s.name === ref.name && s.namespace === ns) ?? secrets.find((s) => s.name === ref.name && !s.namespace);
}

function resolvePassword(ref: SecretKeyRef | undefined, what: string, snap: Snapshot, ns: string, problems: ResourceProblem[]): string | undefined {
  if (!ref) return undefined;
  const secret = findSecret(snap.secrets, ref, ns);
  const value = secret?.data?.[ref.key];
  if (value === undefined && !ref.optional) {
    problems.push({
      source: what,
      message: `password secret ${ns}/${ref.name} key ${JSON.stringify(ref.key)} not found; the peering is configured without a password`,
      severity: 'error',
    });
  }
  return value;
}

/**
 * CALICO_ROUTER_ID=hash, as confd computes it: the first 4 octets of SHA-256(node name), with a
 * first octet above 223 lowered by 32 to stay out of the multicast and reserved ranges.
 */
export function hashRouterId(nodeName: string): string {
  // node:crypto only here, for the rare IPv6-only node: loading it costs every daemon ~1.5 MB resident.
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const h = createHash('sha256').update(nodeName).digest();
  const first = h[0] > 223 ? h[0] - 32 : h[0];
  return `${first}.${h[1]}.${h[2]}.${h[3]}`;
}

function resolveCommunities(
  adv: BGPConfigurationResource['prefixAdvertisements'],
  defs: { name: string; value: string }[],
  problems: ResourceProblem[],
): PrefixAdvertisementModel[] {
  const byName = new Map<string, string>();
  for (const d of defs) if (!byName.has(d.name)) byName.set(d.name, d.value);
  return (adv ?? []).map((a) => {
    const communities: string[] = [];
    for (const c of a.communities) {
      const value = c.includes(':') ? c : byName.get(c);
      if (value === undefined) problems.push({ source: 'BGPConfiguration', message: `prefixAdvertisements for ${a.cidr.cidr}: community ${JSON.stringify(c)} is not defined; skipped`, severity: 'error' });
      else communities.push(value);
    }
    return { cidr: a.cidr.cidr, communities };
  });
}

function clusterNode(n: NodeResource, globalAS: number, listenPort: number): ClusterNode {
  const out: ClusterNode = { name: n.name, labels: n.labels, asNumber: n.bgp?.asNumber ?? globalAS, listenPort };
  if (n.bgp?.ipv4Address) out.ipv4 = n.bgp.ipv4Address;
  if (n.bgp?.ipv6Address) out.ipv6 = n.bgp.ipv6Address;
  if (n.bgp?.routeReflectorClusterID) out.rrClusterId = n.bgp.routeReflectorClusterID;
  if (n.bgp?.ipv4IPIPTunnelAddr) out.ipv4IPIPTunnelAddr = n.bgp.ipv4IPIPTunnelAddr;
  const vx: NonNullable<ClusterNode['vxlan']> = {};
  if (n.ipv4VXLANTunnelAddr) vx.ipv4Addr = n.ipv4VXLANTunnelAddr;
  if (n.vxlanTunnelMACAddr) vx.mac = n.vxlanTunnelMACAddr;
  if (n.ipv6VXLANTunnelAddr) vx.ipv6Addr = n.ipv6VXLANTunnelAddr;
  if (n.vxlanTunnelMACAddrV6) vx.macV6 = n.vxlanTunnelMACAddrV6;
  if (Object.keys(vx).length) out.vxlan = vx;
  return out;
}

function poolModel(p: IPPoolResource): PoolModel {
  return {
    name: p.name,
    cidr: p.cidr.cidr,
    family: p.cidr.family,
    ipipMode: p.ipipMode,
    vxlanMode: p.vxlanMode,
    natOutgoing: p.natOutgoing,
    disabled: p.disabled,
    disableBGPExport: p.disableBGPExport,
    blockSize: p.blockSize,
    nodeSelector: p.nodeSelector,
  };
}

function isLocalBlock(b: BlockAffinityResource, nodeName: string): boolean {
  return b.node === nodeName && b.state === 'confirmed' && !b.deleted;
}

/** Build the model of `nodeName` from a snapshot. Pure: same input, same output. */
export function buildNodeModel(snap: Snapshot, nodeName: string, opts: BuildOptions = {}): BuildResult {
  const problems: ResourceProblem[] = [...snap.problems];
  const ns = opts.secretNamespace ?? 'kube-system';
  const r = collect(snap, problems);
  const global = r.BGPConfiguration.get('default');
  const perNode = (name: string) => r.BGPConfiguration.get(`node.${name}`);
  const mine = perNode(nodeName);
  const globalAS = global?.asNumber ?? DEFAULT_AS;
  const globalPort = global?.listenPort ?? DEFAULT_PORT;

  const nodes = [...r.Node.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((n) => clusterNode(n, globalAS, perNode(n.name)?.listenPort ?? globalPort));
  const self = nodes.find((n) => n.name === nodeName);
  if (!self) problems.push({ source: `Node/${nodeName}`, message: `no Node named ${JSON.stringify(nodeName)}: no BGP address, no sessions`, severity: 'error' });

  let routerId: string | undefined;
  if (opts.routerId === 'hash') routerId = hashRouterId(nodeName);
  else if (opts.routerId) routerId = opts.routerId;
  else routerId = self?.ipv4?.address;
  if (self && !routerId) problems.push({ source: `Node/${nodeName}`, message: 'no IPv4 address and no router id given: BGP needs a 4-octet router id', severity: 'error' });

  const peers: PeerModel[] = [];
  for (const p of [...r.BGPPeer.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const { kind: _kind, password, ...rest } = p;
    const pw = resolvePassword(password, `BGPPeer/${p.name}`, snap, ns, problems);
    peers.push(pw === undefined ? rest : { ...rest, password: pw });
  }
  for (const p of peers) {
    for (const f of p.filters) {
      if (!r.BGPFilter.has(f)) problems.push({ source: `BGPPeer/${p.name}`, message: `filter ${JSON.stringify(f)} does not exist (or was rejected); the peering runs without it, as in Calico`, severity: 'error' });
    }
  }

  const filters: NodeModel['filters'] = {};
  for (const f of [...r.BGPFilter.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const { kind: _k, ...rest } = f;
    filters[f.name] = rest;
  }

  // Calico: a node-specific prefixAdvertisements list replaces the global one.
  const advSource = mine?.prefixAdvertisements ? mine : global;
  const communityDefs = [...(mine?.communities ?? []), ...(global?.communities ?? [])];

  const model: NodeModel = {
    nodeName,
    nodeFound: !!self,
    asNumber: self?.asNumber ?? globalAS,
    globalASNumber: globalAS,
    listenPort: mine?.listenPort ?? globalPort,
    bindMode: mine?.bindMode ?? global?.bindMode ?? 'None',
    logSeverity: mine?.logSeverityScreen ?? global?.logSeverityScreen ?? 'Info',
    labels: self?.labels ?? {},
    serviceClusterIPs: (global?.serviceClusterIPs ?? []).map((c) => c.cidr),
    serviceExternalIPs: (global?.serviceExternalIPs ?? []).map((c) => c.cidr),
    serviceLoadBalancerIPs: (global?.serviceLoadBalancerIPs ?? []).map((c) => c.cidr),
    prefixAdvertisements: resolveCommunities(advSource?.prefixAdvertisements, communityDefs, problems),
    ignoredInterfaces: mine?.ignoredInterfaces ?? global?.ignoredInterfaces ?? [],
    meshEnabled: global?.nodeToNodeMeshEnabled ?? true,
    ipPools: [...r.IPPool.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map(poolModel),
    localBlocks: [...r.BlockAffinity.values()].filter((b) => isLocalBlock(b, nodeName)).map((b) => b.cidr.cidr).sort(),
    nodes,
    peers,
    filters,
  };
  if (routerId) model.routerId = routerId;
  if (self?.ipv4) model.ipv4 = self.ipv4;
  if (self?.ipv6) model.ipv6 = self.ipv6;
  if (self?.rrClusterId) model.clusterId = self.rrClusterId;
  const meshPw = resolvePassword(global?.nodeMeshPassword, 'BGPConfiguration/default', snap, ns, problems);
  if (meshPw !== undefined) model.meshPassword = meshPw;
  if (global?.nodeMeshMaxRestartTime !== undefined) model.meshMaxRestartTime = Math.round(global.nodeMeshMaxRestartTime);
  return { model, problems };
}

/** Pools that apply to this node (nodeSelector matches its labels) — for kernel programming. */
export function poolsForNode(model: NodeModel): PoolModel[] {
  return model.ipPools.filter((p) => {
    try {
      return parseSelector(p.nodeSelector).matches(model.labels);
    } catch {
      return false;
    }
  });
}
