// The lab's cluster on paper: node and pod addresses, the Calico datastore our daemons read, and
// the ToR's bird2 configuration. Pure: a spec in, plain data and text out, so the layout can be
// checked without creating anything.
//
//   ToR (bird2, AS 65000) 192.168.100.1 ──┬── br-a ── k8s-w0 192.168.100.10 ── pods 10.244.0.1, .2
//                                          │          k8s-w1 192.168.100.11 ── pods 10.244.0.65, .66
//   (crosssubnet: 192.168.101.1 ── br-b ──┘          k8s-w2 192.168.101.12 ── pods 10.244.0.129, .130)
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';

export const MODES = ['direct', 'vxlan', 'crosssubnet', 'ipip'] as const;
export type Mode = (typeof MODES)[number];

export interface ClusterSpec {
  mode: Mode;
  nodes: number;
  routeReflector: boolean;
}

export const NODE_AS = 64512;
export const TOR_AS = 65000;
export const POOL = '10.244.0.0/16';
export const BLOCK_SIZE = 26;
/** Calico's route-reflector example cluster id. */
export const RR_CLUSTER_ID = '224.0.0.1';
export const MAX_NODES = 16;

export interface Subnet {
  name: 'a' | 'b';
  /** e.g. 192.168.100 */
  base: string;
  /** The ToR's address on this subnet, the nodes' default gateway. */
  gateway: string;
}

export const SUBNETS: Record<'a' | 'b', Subnet> = {
  a: { name: 'a', base: '192.168.100', gateway: '192.168.100.1' },
  b: { name: 'b', base: '192.168.101', gateway: '192.168.101.1' },
};

/** The ToR's BGP address: its address on subnet a (one global BGPPeer for every node). */
export const TOR_IP = SUBNETS.a.gateway;

export interface PodPlan {
  name: string;
  node: string;
  ip: string;
  /** The node-side veth, named like Calico's: `cali` + 11 hex digits. */
  iface: string;
}

export interface NodePlan {
  name: string;
  /** Short name for namespaces and tables: w0, w1, … */
  short: string;
  index: number;
  ip: string;
  prefixLength: number;
  subnet: Subnet;
  block: string;
  /** Tunnel address (tunl0 or vxlan.calico): the block's first address, as Calico's IPAM gives it. */
  tunnelAddr: string;
  vtepMac: string;
  routeReflector: boolean;
  pods: PodPlan[];
}

export interface ClusterPlan {
  spec: ClusterSpec;
  nodes: NodePlan[];
  pods: PodPlan[];
  usesVxlan: boolean;
  usesIpip: boolean;
}

function ipv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function ipv4Num(s: string): number {
  return s.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

/** Node i's /26 block inside the pool. */
export function blockOf(i: number): string {
  const base = ipv4Num(POOL.split('/')[0]) + i * 2 ** (32 - BLOCK_SIZE);
  return `${ipv4(base)}/${BLOCK_SIZE}`;
}

export function addressIn(block: string, offset: number): string {
  return ipv4(ipv4Num(block.split('/')[0]) + offset);
}

export function planCluster(spec: ClusterSpec, runId: string): ClusterPlan {
  if (!Number.isInteger(spec.nodes) || spec.nodes < 1 || spec.nodes > MAX_NODES) throw new Error(`--nodes must be 1..${MAX_NODES}`);
  const nodes: NodePlan[] = [];
  // CrossSubnet: the first half of the nodes on subnet a, the rest on subnet b behind the ToR.
  const onA = spec.mode === 'crosssubnet' ? Math.ceil(spec.nodes / 2) : spec.nodes;
  for (let i = 0; i < spec.nodes; i++) {
    const subnet = i < onA ? SUBNETS.a : SUBNETS.b;
    const name = `k8s-w${i}`;
    const block = blockOf(i);
    const pods = [1, 2].map((off, p) => ({
      name: `w${i}-p${p}`,
      node: name,
      ip: addressIn(block, off),
      iface: `cali${createHash('sha1').update(`${runId}/${name}/${p}`).digest('hex').slice(0, 11)}`,
    }));
    nodes.push({
      name,
      short: `w${i}`,
      index: i,
      ip: `${subnet.base}.${10 + i}`,
      prefixLength: 24,
      subnet,
      block,
      tunnelAddr: addressIn(block, 0),
      vtepMac: `66:cb:${(0x10 + i).toString(16)}:00:00:01`,
      routeReflector: spec.routeReflector && i === 0,
      pods,
    });
  }
  return {
    spec,
    nodes,
    pods: nodes.flatMap((n) => n.pods),
    usesVxlan: spec.mode === 'vxlan' || spec.mode === 'crosssubnet',
    usesIpip: spec.mode === 'ipip',
  };
}

/** The Calico resources of the lab, as calicoctl users write them (one YAML stream). */
export function datastoreYaml(plan: ClusterPlan): string {
  const v3 = (kind: string, metadata: object, spec: object) => ({ apiVersion: 'projectcalico.org/v3', kind, metadata, spec });
  const mode = plan.spec.mode;
  const docs: object[] = [
    v3('BGPConfiguration', { name: 'default' }, {
      logSeverityScreen: 'Info',
      // A route reflector replaces the full mesh (Calico's documented set-up).
      nodeToNodeMeshEnabled: !plan.spec.routeReflector,
      asNumber: NODE_AS,
    }),
    v3('IPPool', { name: 'default-ipv4-ippool' }, {
      cidr: POOL,
      blockSize: BLOCK_SIZE,
      ipipMode: mode === 'ipip' ? 'Always' : 'Never',
      vxlanMode: mode === 'vxlan' ? 'Always' : mode === 'crosssubnet' ? 'CrossSubnet' : 'Never',
      natOutgoing: true,
      nodeSelector: 'all()',
    }),
    v3('BGPPeer', { name: 'tor' }, { peerIP: TOR_IP, asNumber: TOR_AS }),
  ];
  if (plan.spec.routeReflector) {
    docs.push(v3('BGPPeer', { name: 'peer-with-route-reflectors' }, { nodeSelector: 'all()', peerSelector: "route-reflector == 'true'" }));
  }
  for (const n of plan.nodes) {
    const bgp: Record<string, string> = { ipv4Address: `${n.ip}/${n.prefixLength}` };
    if (plan.usesIpip) bgp.ipv4IPIPTunnelAddr = n.tunnelAddr;
    if (n.routeReflector) bgp.routeReflectorClusterID = RR_CLUSTER_ID;
    const spec: Record<string, unknown> = { bgp };
    if (plan.usesVxlan) {
      spec.ipv4VXLANTunnelAddr = n.tunnelAddr;
      spec.vxlanTunnelMACAddr = n.vtepMac;
    }
    const labels: Record<string, string> = { 'kubernetes.io/hostname': n.name };
    if (n.routeReflector) labels['route-reflector'] = 'true';
    docs.push(v3('Node', { name: n.name, labels }, spec));
    docs.push(
      v3('BlockAffinity', { name: `${n.name}-${n.block.replace(/[./]/g, '-')}` }, { node: n.name, cidr: n.block, state: 'confirmed', deleted: 'false' }),
    );
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

/** bird2 on the ToR: one eBGP session per node; it learns every block but exports nothing. */
export function torBirdConfig(plan: ClusterPlan, logFile: string): string {
  const sessions = plan.nodes.map(
    (n) => `protocol bgp ${protocolOf(n)} from k8s {
  neighbor ${n.ip} as ${NODE_AS};${n.subnet.name === 'a' ? '' : '\n  multihop 2;'}
}`,
  );
  // No kernel protocol: the ToR keeps what it learns in its RIB and does not forward pod traffic,
  // so every successful pod-to-pod ping in the lab went over routes our daemons programmed.
  return `router id ${TOR_IP};
log "${logFile}" all;
protocol device { scan time 10; }
# Connected subnets, so next hops of multihop sessions (nodes on subnet b) resolve.
protocol direct { ipv4; interface "eth-*"; }
template bgp k8s {
  local ${TOR_IP} as ${TOR_AS};
  connect delay time 1;
  connect retry time 3;
  error wait time 1, 4;
  graceful restart on;
  ipv4 { import all; export none; };
}
${sessions.join('\n')}
`;
}

/** The ToR's bird protocol name for a node. */
export function protocolOf(n: NodePlan): string {
  return `k8s_${n.short}`;
}
