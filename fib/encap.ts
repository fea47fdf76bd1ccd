// The encapsulation decision: which kernel route a Loc-RIB best route becomes, given this node's
// IPPools, subnets and the peers' VXLAN tunnel endpoints (DESIGN.md §2 "Kernel", §3 "Import to
// kernel"). Pure: plain data in, a route intent out; no netlink, no I/O, no state.
//
// The rules follow confd's `calico_kernel_programming` filter as BIRD runs it in calico-node:
//   - a prefix inside a pool with ipipMode Always       → via NH dev tunl0 onlink
//   - ipipMode CrossSubnet                              → via NH when NH is inside one of this node's
//                                                         subnets, else through tunl0
//   - vxlanMode Always                                  → via <peer VTEP> dev vxlan.calico onlink,
//                                                         plus a permanent neighbour (VTEP → MAC) and an
//                                                         fdb entry (MAC → peer node IP)
//   - vxlanMode CrossSubnet                             → direct inside the subnet, VXLAN outside
//   - no encapsulation, or a prefix outside every pool → via NH (a ToR's routes are plain routes)
// Each next hop of an ECMP route is decided on its own (CrossSubnet is a per-next-hop question).
// Calico never tunnels IPv6 over IPIP, so IPv6 pools use only their vxlanMode (vxlan-v6.calico).
// A disabled pool stops IPAM allocating from it, not routing: its existing blocks keep their routes.
import { contains, formatAddress, formatPrefix, parseAddress, parsePrefix, type Family, type Prefix } from './ip.js';

export type EncapMode = 'Always' | 'CrossSubnet' | 'Never';

export interface PoolInfo {
  cidr: string;
  ipipMode: EncapMode;
  vxlanMode: EncapMode;
  disabled: boolean;
}

export interface Vtep {
  /** The peer node's IP, i.e. the BGP next hop of its routes. */
  nodeAddress: string;
  /** The peer's VXLAN tunnel address (Node spec.ipv4VXLANTunnelAddr / ipv6VXLANTunnelAddr). */
  vtepAddress: string;
  /** The peer's VXLAN device MAC (Node spec.vxlanTunnelMACAddr). */
  mac: string;
}

export interface EncapContext {
  pools: PoolInfo[];
  /** This node's addresses with their prefix length ("192.168.1.10/24"): its subnets. */
  localSubnets: string[];
  vteps: Vtep[];
  tunnelDevice: string;
  vxlanDevice: string;
  vxlanV6Device: string;
}

export const defaultDevices = {
  tunnelDevice: 'tunl0',
  vxlanDevice: 'vxlan.calico',
  vxlanV6Device: 'vxlan-v6.calico',
} as const;

export interface NextHop {
  gateway: string;
  /** Output device; absent for a plain route (the kernel finds it from the gateway). */
  device?: string;
  /** The gateway is on the device's link even though no address says so (tunnels). */
  onlink?: boolean;
}

/** A permanent neighbour entry: `ip neigh replace <address> lladdr <mac> dev <device> nud permanent`. */
export interface NeighbourIntent {
  device: string;
  address: string;
  mac: string;
}

/** A VXLAN forwarding entry: `bridge fdb replace <mac> dev <device> dst <dst>`. */
export interface FdbIntent {
  device: string;
  mac: string;
  dst: string;
}

export interface RouteIntent {
  /** Canonical prefix text. */
  dst: string;
  type: 'unicast' | 'blackhole';
  /** Several when ECMP; empty for a blackhole. */
  nextHops: NextHop[];
  /** What VXLAN next hops need beside the route. */
  neighbours: NeighbourIntent[];
  fdb: FdbIntent[];
}

export interface BestRoute {
  prefix: string;
  /** BGP next hops of the best paths (several for ECMP). */
  nextHops: string[];
}

interface CompiledContext {
  pools: { prefix: Prefix; pool: PoolInfo }[];
  subnets: Prefix[];
  vteps: Map<string, Vtep[]>;
}

const compiled = new WeakMap<EncapContext, CompiledContext>();

/** Parse the context once per context object (the daemon reuses one until its model changes). */
function compile(ctx: EncapContext): CompiledContext {
  let c = compiled.get(ctx);
  if (c) return c;
  const pools: CompiledContext['pools'] = [];
  for (const pool of ctx.pools ?? []) {
    const prefix = parsePrefix(pool.cidr);
    if (prefix) pools.push({ prefix, pool });
  }
  // Longest pool first, so a prefix belongs to the most specific pool that holds it.
  pools.sort((a, b) => b.prefix.len - a.prefix.len);
  const subnets: Prefix[] = [];
  for (const s of ctx.localSubnets ?? []) {
    const p = parsePrefix(s);
    if (p) subnets.push(p);
  }
  const vteps = new Map<string, Vtep[]>();
  for (const v of ctx.vteps ?? []) {
    const node = parseAddress(v.nodeAddress);
    if (!node) continue;
    const key = formatAddress(node.bytes);
    const list = vteps.get(key) ?? [];
    list.push(v);
    vteps.set(key, list);
  }
  c = { pools, subnets, vteps };
  compiled.set(ctx, c);
  return c;
}

/** The pool that holds `prefix`, if any (the most specific one). */
export function poolFor(prefix: string, ctx: EncapContext): PoolInfo | null {
  const p = parsePrefix(prefix);
  if (!p) return null;
  return compile(ctx).pools.find((x) => contains(x.prefix, p))?.pool ?? null;
}

type Encap = 'none' | 'ipip' | 'vxlan';

function encapFor(pool: PoolInfo | null, family: Family, nh: { family: Family; bytes: Uint8Array }, c: CompiledContext): Encap {
  if (!pool) return 'none';
  const inSubnet = () => c.subnets.some((s) => contains(s, nh));
  if (family === 4) {
    if (pool.ipipMode === 'Always') return 'ipip';
    if (pool.ipipMode === 'CrossSubnet') return inSubnet() ? 'none' : 'ipip';
  }
  if (pool.vxlanMode === 'Always') return 'vxlan';
  if (pool.vxlanMode === 'CrossSubnet') return inSubnet() ? 'none' : 'vxlan';
  return 'none';
}

/**
 * The kernel route for a best route, or null when it cannot be programmed (bad prefix, no usable
 * next hop, or VXLAN without the peer's tunnel endpoint — Felix would not program it either).
 * Next hops that cannot be used are left out of an ECMP set.
 */
export function kernelRoute(best: BestRoute, ctx: EncapContext): RouteIntent | null {
  const prefix = parsePrefix(best.prefix);
  if (!prefix) return null;
  const c = compile(ctx);
  const pool = c.pools.find((x) => contains(x.prefix, prefix))?.pool ?? null;
  const vxlanDevice = prefix.family === 4 ? ctx.vxlanDevice : ctx.vxlanV6Device;
  const nextHops: NextHop[] = [];
  const neighbours: NeighbourIntent[] = [];
  const fdb: FdbIntent[] = [];
  const seen = new Set<string>();
  for (const raw of best.nextHops ?? []) {
    const nh = parseAddress(raw);
    // A next hop of the other family (RFC 8950 IPv4 over IPv6 next hops) is not programmed here.
    if (!nh || nh.family !== prefix.family) continue;
    const gw = formatAddress(nh.bytes);
    const encap = encapFor(pool, prefix.family, nh, c);
    let hop: NextHop;
    if (encap === 'ipip') {
      hop = { gateway: gw, device: ctx.tunnelDevice, onlink: true };
    } else if (encap === 'vxlan') {
      const vtep = c.vteps.get(gw)?.find((v) => parseAddress(v.vtepAddress)?.family === prefix.family);
      const vtepAddr = vtep && parseAddress(vtep.vtepAddress);
      const mac = vtep && normalizeMac(vtep.mac);
      if (!vtepAddr || !mac) continue;
      const vtepText = formatAddress(vtepAddr.bytes);
      hop = { gateway: vtepText, device: vxlanDevice, onlink: true };
      neighbours.push({ device: vxlanDevice, address: vtepText, mac });
      fdb.push({ device: vxlanDevice, mac, dst: gw });
    } else {
      hop = { gateway: gw };
    }
    const key = `${hop.gateway}|${hop.device ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    nextHops.push(hop);
  }
  if (nextHops.length === 0) return null;
  return { dst: formatPrefix(prefix), type: 'unicast', nextHops, neighbours, fdb };
}

/**
 * The blackhole route for one of this node's blocks (`blackhole <block> proto bird`), from which the
 * block is advertised; null for /32 and /128 blocks (a single address is not blackholed) and bad input.
 */
export function blackholeRoute(block: string): RouteIntent | null {
  const p = parsePrefix(block);
  if (!p) return null;
  if (p.len === (p.family === 4 ? 32 : 128)) return null;
  return { dst: formatPrefix(p), type: 'blackhole', nextHops: [], neighbours: [], fdb: [] };
}

/** Lower-case colon-separated MAC ("66:77:88:99:aa:bb"), or null. */
export function normalizeMac(mac: string): string | null {
  if (typeof mac !== 'string') return null;
  const m = /^([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})$/i.exec(mac.trim());
  return m ? m.slice(1).join(':').toLowerCase() : null;
}
