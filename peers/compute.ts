// Which BGP sessions this node runs, computed from its NodeModel the way confd does for BIRD:
//  - the node-to-node mesh (every other node with an address of the family, skipping route
//    reflectors; a route reflector joins no mesh), one direction only;
//  - BGPPeers: global (no node, no nodeSelector), `node`, `nodeSelector`, with `peerIP` or
//    `peerSelector` (IPv4 and IPv6 sessions where both ends have the family), plus the reverse
//    side of a peerSelector peering unless `reversePeering: Manual`;
//  - route reflection: the peer is our client when it is iBGP (same AS as our local AS), we have
//    a cluster id and the peer's cluster id differs (RFC 4456).
// Global peerings are computed first, so a node-specific one to the same peer is a duplicate.
// Pure: model in, sessions and problems out.
import type { ResourceProblem } from '../config/datastore.js';
import type { ClusterNode, NodeModel, PeerModel } from '../config/model.js';
import { DEFAULT_PORT, DEFAULT_RESTART_TIME } from '../config/model.js';
import { parseSelector, type Selector } from '../config/selector.js';
import { protocolName, type DesiredSession, type SessionType } from './session.js';

export interface SessionPlan {
  sessions: DesiredSession[];
  problems: ResourceProblem[];
}

function sel(text: string | undefined): Selector | undefined {
  if (text === undefined) return undefined;
  try {
    return parseSelector(text);
  } catch {
    return undefined; // validated already; an unparsable one selects nothing
  }
}

function nodeAddr(n: { ipv4?: { address: string }; ipv6?: { address: string } }, family: 4 | 6): string | undefined {
  return family === 4 ? n.ipv4?.address : n.ipv6?.address;
}

/** The nodes (by name) a BGPPeer applies to; undefined means every node (a global peering). */
function localNodesOf(p: PeerModel, model: NodeModel): string[] | undefined {
  if (p.node !== undefined) return [p.node];
  const s = sel(p.nodeSelector);
  if (p.nodeSelector !== undefined) return model.nodes.filter((n) => s?.matches(n.labels)).map((n) => n.name);
  return undefined;
}

function appliesHere(p: PeerModel, model: NodeModel): boolean {
  const locals = localNodesOf(p, model);
  return locals === undefined || locals.includes(model.nodeName);
}

interface Target {
  family: 4 | 6;
  address: string;
  port?: number;
  asNumber: number;
  node?: ClusterNode;
}

class Planner {
  readonly sessions: DesiredSession[] = [];
  readonly problems: ResourceProblem[] = [];
  readonly #byName = new Map<string, DesiredSession>();
  readonly #byEndpoint = new Map<string, DesiredSession>();

  constructor(readonly model: NodeModel) {}

  ownAddr(family: 4 | 6): string | undefined {
    return nodeAddr(this.model, family);
  }

  /**
   * Add unless a session of that name (or to that address and port) already exists. A reverse
   * peering that duplicates a forward one is the expected case and passes silently.
   */
  add(s: DesiredSession, reverse = false): void {
    if (this.#byName.has(s.name)) return; // same peering reached twice (e.g. forward and reverse)
    const endpoint = `${s.peerAddress}|${s.peerPort}`;
    const other = this.#byEndpoint.get(endpoint);
    if (other && reverse) return;
    if (other) {
      this.problems.push({
        source: s.origin,
        message: `${s.name} duplicates ${other.name} (same peer ${s.peerAddress} port ${s.peerPort}, from ${other.origin}); not configured`,
        severity: 'warning',
      });
      return;
    }
    this.#byName.set(s.name, s);
    this.#byEndpoint.set(endpoint, s);
    this.sessions.push(s);
  }

  mesh(): void {
    const m = this.model;
    // A route reflector ignores the mesh setting (confd: "ignore node-to-node mesh setting").
    if (!m.meshEnabled || m.clusterId || !m.nodeFound) return;
    for (const family of [4, 6] as const) {
      const own = this.ownAddr(family);
      if (!own) continue;
      for (const n of m.nodes) {
        const ip = nodeAddr(n, family);
        if (!ip || ip === own || n.rrClusterId) continue;
        const s: DesiredSession = {
          name: protocolName('Mesh', ip),
          type: 'mesh',
          family,
          peerAddress: ip,
          peerPort: n.listenPort,
          peerAS: n.asNumber,
          localAS: m.asNumber,
          localAddress: own,
          // One direction only: the side with the smaller address (as a string) connects, so a
          // restarting node's new connection cannot abort the other's graceful restart.
          passive: ip > own,
          multihop: true,
          nextHop: 'auto',
          gracefulRestartTime: m.meshMaxRestartTime ?? DEFAULT_RESTART_TIME,
          filters: [],
          rrClient: false,
          peerNode: n.name,
          origin: 'mesh',
        };
        if (m.meshPassword !== undefined) s.password = m.meshPassword;
        this.add(s);
      }
    }
  }

  /** Targets of a BGPPeer: its peerIP, or every selected node (both families where both ends have one). */
  targets(p: PeerModel): Target[] {
    const m = this.model;
    if (p.peerSelector !== undefined) {
      const s = sel(p.peerSelector);
      const out: Target[] = [];
      for (const n of m.nodes) {
        if (!s?.matches(n.labels)) continue;
        for (const family of [4, 6] as const) {
          const ip = nodeAddr(n, family);
          if (ip) out.push({ family, address: ip, asNumber: n.asNumber, node: n, ...(n.listenPort !== DEFAULT_PORT ? { port: n.listenPort } : {}) });
        }
      }
      return out;
    }
    if (!p.peerIP || p.asNumber === undefined) return [];
    const node = m.nodes.find((n) => nodeAddr(n, p.peerIP!.family) === p.peerIP!.address);
    // A peerIP without a port that is a Calico node listening elsewhere is reached on its port.
    const port = p.peerIP.port ?? (node && node.asNumber === p.asNumber && node.listenPort !== DEFAULT_PORT ? node.listenPort : undefined);
    return [{ family: p.peerIP.family, address: p.peerIP.address, asNumber: p.asNumber, ...(node ? { node } : {}), ...(port ? { port } : {}) }];
  }

  peering(p: PeerModel, t: Target, type: SessionType, origin: string, reverse = false): void {
    const m = this.model;
    const own = this.ownAddr(t.family);
    // confd writes IPv4 peers only when this node has IPv4 (and IPv6 likewise), never itself.
    if (!own || t.address === own) return;
    // On the reverse side of a peering, localASNumber belongs to the other end: it is the AS
    // that end presents (the target's), while this node presents its own.
    const localAS = reverse ? m.asNumber : (p.localASNumber ?? m.asNumber);
    const s: DesiredSession = {
      name: protocolName(type === 'global' ? 'Global' : 'Node', t.address, t.port),
      type,
      family: t.family,
      peerAddress: t.address,
      peerPort: t.port ?? DEFAULT_PORT,
      peerAS: t.asNumber,
      localAS,
      passive: false,
      multihop: true,
      nextHop: p.nextHopMode === 'Self' ? 'self' : p.nextHopMode === 'Keep' ? 'keep' : 'auto',
      gracefulRestartTime: p.maxRestartTime !== undefined ? Math.round(p.maxRestartTime) : DEFAULT_RESTART_TIME,
      filters: [...p.filters],
      rrClient: false,
      origin,
    };
    if (p.sourceAddress === 'UseNodeIP') s.localAddress = own;
    if (p.password !== undefined) s.password = p.password;
    if (p.ttlSecurity) s.ttlSecurity = p.ttlSecurity;
    if (p.keepaliveTime !== undefined) s.keepaliveTime = p.keepaliveTime;
    if (p.numAllowedLocalASNumbers) s.numAllowedLocalAS = p.numAllowedLocalASNumbers;
    if (p.reachableBy !== undefined) s.reachableBy = p.reachableBy;
    if (t.node) s.peerNode = t.node.name;
    // Legacy keepOriginalNextHop means "next hop keep" for eBGP peers only.
    if (p.keepOriginalNextHop && t.asNumber !== localAS) s.nextHop = 'keep';
    if (t.asNumber === localAS && m.clusterId && t.node?.rrClusterId !== m.clusterId) {
      s.rrClient = true;
      s.rrClusterId = m.clusterId;
    }
    // confd applies the one-direction rule to global peerings with Calico nodes as for the mesh.
    if (type === 'global' && t.node && t.address > own) s.passive = true;
    this.add(s, reverse);
  }

  peers(): void {
    const m = this.model;
    if (!m.nodeFound) return;
    const globals = m.peers.filter((p) => p.node === undefined && p.nodeSelector === undefined);
    for (const p of globals) for (const t of this.targets(p)) this.peering(p, t, 'global', `BGPPeer/${p.name}`);
    for (const p of m.peers) {
      if (globals.includes(p) || !appliesHere(p, m)) continue;
      for (const t of this.targets(p)) this.peering(p, t, 'node', `BGPPeer/${p.name}`);
    }
    // The other side (confd's second pass): a node that a BGPPeer points at — selected by its
    // peerSelector, or whose address and AS are its peerIP and asNumber — peers back with the
    // nodes the BGPPeer applies to, unless reversePeering is Manual.
    const self = m.nodes.find((n) => n.name === m.nodeName);
    for (const p of m.peers) {
      if (p.reversePeering === 'Manual' || !self || !pointsAt(p, self)) continue;
      const locals = localNodesOf(p, m);
      for (const n of m.nodes) {
        if (n.name === m.nodeName || (locals && !locals.includes(n.name))) continue;
        // A peerIP peering is of one family; the reverse of a peerSelector one has both.
        for (const family of p.peerIP ? [p.peerIP.family] : ([4, 6] as const)) {
          const ip = nodeAddr(n, family);
          if (!ip) continue;
          const t: Target = { family, address: ip, asNumber: p.localASNumber ?? n.asNumber, node: n, ...(n.listenPort !== DEFAULT_PORT ? { port: n.listenPort } : {}) };
          this.peering(p, t, 'node', `BGPPeer/${p.name} (reverse)`, true);
        }
      }
    }
  }
}

/** Is `node` the remote end of BGPPeer `p` (by peerSelector, or by peerIP and AS)? */
function pointsAt(p: PeerModel, node: ClusterNode): boolean {
  if (p.peerSelector !== undefined) return !!sel(p.peerSelector)?.matches(node.labels);
  if (!p.peerIP) return false;
  return nodeAddr(node, p.peerIP.family) === p.peerIP.address && p.asNumber === node.asNumber;
}

/** The sessions this node should run, sorted by protocol name. */
export function computeSessions(model: NodeModel): SessionPlan {
  const p = new Planner(model);
  p.mesh();
  p.peers();
  p.sessions.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { sessions: p.sessions, problems: p.problems };
}
