// The desired BGP session: the plain-data contract between peer selection (this folder) and the
// speaker (bgpd/session). One entry per BIRD protocol confd would have written, named exactly as
// confd names it, so `birdc show protocols` and calicoctl see the same names.

export type SessionType = 'mesh' | 'global' | 'node';

export interface DesiredSession {
  /** Protocol name: Mesh_10_0_0_2, Global_10_0_0_9_port_1790, Node_fd00__5 … */
  name: string;
  type: SessionType;
  family: 4 | 6;
  peerAddress: string;
  /** TCP port of the peer (179 unless set in peerIP or the peer node listens elsewhere). */
  peerPort: number;
  peerAS: number;
  localAS: number;
  /** Local address to bind for the TCP connection (sourceAddress UseNodeIP), if any. */
  localAddress?: string;
  /** Wait for the peer to connect; never connect out. */
  passive: boolean;
  /** TCP MD5 signature key (RFC 2385). */
  password?: string;
  /** GTSM (RFC 5082): the peer is at most this many hops away; absent means off. */
  ttlSecurity?: number;
  /** Calico's template sets `multihop` on every session (no directly-connected check). */
  multihop: boolean;
  /** auto: BIRD's default (self for eBGP, keep for iBGP); self; keep. */
  nextHop: 'auto' | 'self' | 'keep';
  /** Seconds; absent means the speaker's default (hold time / 3). */
  keepaliveTime?: number;
  /** Graceful restart time to advertise (RFC 4724), seconds. */
  gracefulRestartTime: number;
  /** Accept routes whose AS_PATH holds our AS up to this many times. */
  numAllowedLocalAS?: number;
  /** BGPFilter names, applied in order. */
  filters: string[];
  /** This node reflects routes to the peer (RFC 4456). */
  rrClient: boolean;
  rrClusterId?: string;
  /** Gateway for a static route to the peer (BGPPeer.reachableBy). */
  reachableBy?: string;
  /** The peer is this Calico node. */
  peerNode?: string;
  /** What asked for it: "mesh", "BGPPeer/<name>", "BGPPeer/<name> (reverse)". */
  origin: string;
}

/** confd's protocol name: IPv4 dots and IPv6 colons become "_", a port adds "_port_N". */
export function protocolName(prefix: 'Mesh' | 'Global' | 'Node', address: string, port?: number): string {
  const id = address.replace(/[.:]/g, '_');
  return port ? `${prefix}_${id}_port_${port}` : `${prefix}_${id}`;
}
