// Capability negotiation (RFC 5492) and OPEN validation (RFC 4271 §6.2): what we announce, whether the
// peer's OPEN is acceptable, and what both sides agreed on. The result drives the codec
// (CodecContext per direction) and the session (hold time, families, graceful restart, refresh).
// Pure: no sockets, no timers.
import { AFI, AS_TRANS, SAFI, type Afi, type Capability, type CodecContext, type OpenMessage } from '../wire/types.js';
import { NOTIFY, type NotificationSpec } from './fsm.js';
import { keepaliveInterval, negotiateHoldTime } from './timers.js';

/** RFC 4271 §6.2 OPEN Message Error subcodes used here. */
const OPEN_ERR = { UnsupportedVersion: 1, BadPeerAs: 2, BadBgpId: 3, UnacceptableHoldTime: 6, UnsupportedCapability: 7 } as const;

export interface Families {
  ipv4: boolean;
  ipv6: boolean;
}

/** What this side offers on one session. */
export interface LocalCapabilities {
  localAs: number;
  routerId: number; // u32
  holdTime: number; // seconds, 0 or ≥ 3
  keepaliveTime?: number;
  families: Families;
  /** RFC 7911: receive several paths per prefix. */
  addPathReceive: boolean;
  /** RFC 7911: send several paths per prefix. */
  addPathSend: boolean;
  extendedMessage: boolean;
  /** RFC 4724: restart time we announce; null to leave out the capability. */
  gracefulRestart: null | { restartTime: number; restarting: boolean; forwarding: boolean };
}

/** The peer's graceful restart capability, as it announced it. */
export interface PeerGracefulRestart {
  restarting: boolean;
  notification: boolean;
  restartTime: number;
  /** Families with their forwarding-state-preserved bit. */
  families: { afi: Afi; forwarding: boolean }[];
}

export interface Negotiated {
  peerAs: number;
  peerId: number;
  holdTime: number;
  keepaliveTime: number;
  as4: boolean;
  families: Families;
  routeRefresh: boolean;
  enhancedRouteRefresh: boolean;
  extendedMessage: boolean;
  /** RFC 7911 per direction: decode = what we receive, encode = what we send. */
  decode: CodecContext;
  encode: CodecContext;
  /** Peer's GR capability when both sides announced one; null otherwise. */
  peerGracefulRestart: PeerGracefulRestart | null;
  peerCapabilities: Capability[];
}

const unicast = (afi: Afi): { afi: Afi; safi: number } => ({ afi, safi: SAFI.Unicast });

/** The families of a Families set as AFIs, IPv4 first. */
export function afis(f: Families): Afi[] {
  return [...(f.ipv4 ? [AFI.IPv4] : []), ...(f.ipv6 ? [AFI.IPv6] : [])];
}

/** The capabilities of our OPEN. */
export function localCapabilityList(l: LocalCapabilities): Capability[] {
  const fams = afis(l.families);
  const caps: Capability[] = fams.map((afi) => ({ kind: 'multiprotocol', ...unicast(afi) }));
  caps.push({ kind: 'route-refresh' }, { kind: 'enhanced-route-refresh' });
  if (l.extendedMessage) caps.push({ kind: 'extended-message' });
  if (l.gracefulRestart) {
    const gr = l.gracefulRestart;
    caps.push({
      kind: 'graceful-restart',
      restarting: gr.restarting,
      notification: false,
      restartTime: Math.min(gr.restartTime, 4095),
      families: fams.map((afi) => ({ ...unicast(afi), forwarding: gr.forwarding })),
    });
  }
  caps.push({ kind: 'as4', asn: l.localAs });
  if (l.addPathReceive || l.addPathSend) {
    const mode = l.addPathReceive && l.addPathSend ? 'both' : l.addPathReceive ? 'receive' : 'send';
    caps.push({ kind: 'add-path', families: fams.map((afi) => ({ ...unicast(afi), mode })) });
  }
  return caps;
}

/** Our OPEN message (RFC 4271 §4.2; My AS is AS_TRANS for a 4-octet AS, RFC 6793 §4.1). */
export function buildOpen(l: LocalCapabilities): OpenMessage {
  return {
    type: 'open',
    version: 4,
    myAs: l.localAs > 0xffff ? AS_TRANS : l.localAs,
    holdTime: l.holdTime,
    bgpId: l.routerId >>> 0,
    capabilities: localCapabilityList(l),
  };
}

export type OpenVerdict = { ok: true; negotiated: Negotiated } | { ok: false; notification: NotificationSpec; reason: string };

function openError(subcode: number, reason: string, data?: Buffer): OpenVerdict {
  return { ok: false, notification: { code: NOTIFY.OpenMessageError, subcode, ...(data ? { data } : {}) }, reason };
}

function find<K extends Capability['kind']>(caps: Capability[], kind: K): Extract<Capability, { kind: K }> | undefined {
  return caps.find((c) => c.kind === kind) as Extract<Capability, { kind: K }> | undefined;
}

/** Encode a multiprotocol capability TLV for the Unsupported Capability data field (RFC 5492 §5). */
function mpCapabilityTlv(afi: Afi): Buffer {
  return Buffer.from([1, 4, 0, afi, 0, SAFI.Unicast]);
}

/**
 * Check the peer's OPEN against what we expect (RFC 4271 §6.2, RFC 6793, RFC 6286) and negotiate.
 * `expectedPeerAs` is the configured remote AS.
 */
export function negotiate(local: LocalCapabilities, expectedPeerAs: number, open: OpenMessage): OpenVerdict {
  if (open.version !== 4) return openError(OPEN_ERR.UnsupportedVersion, `unsupported BGP version ${open.version}`, Buffer.from([0, 4]));
  const caps = open.capabilities;
  const as4cap = find(caps, 'as4');
  const peerAs = as4cap ? as4cap.asn : open.myAs;
  if (peerAs !== expectedPeerAs) {
    return openError(OPEN_ERR.BadPeerAs, `bad peer AS ${peerAs}, expected ${expectedPeerAs}`, Buffer.from([(open.myAs >> 8) & 0xff, open.myAs & 0xff]));
  }
  if (open.holdTime === 1 || open.holdTime === 2) return openError(OPEN_ERR.UnacceptableHoldTime, `unacceptable hold time ${open.holdTime}`);
  const peerId = open.bgpId >>> 0;
  // RFC 6286 §2.2: zero is never valid; within one AS the identifiers must differ.
  if (peerId === 0) return openError(OPEN_ERR.BadBgpId, 'BGP identifier 0');
  if (peerAs === local.localAs && peerId === local.routerId >>> 0) return openError(OPEN_ERR.BadBgpId, 'BGP identifier equals ours on an iBGP session');

  // RFC 4760 §8: a peer without any multiprotocol capability speaks IPv4 unicast only.
  const mp = caps.filter((c): c is Extract<Capability, { kind: 'multiprotocol' }> => c.kind === 'multiprotocol');
  const theirs = (afi: Afi) => (mp.length === 0 ? afi === AFI.IPv4 : mp.some((c) => c.afi === afi && c.safi === SAFI.Unicast));
  const families: Families = { ipv4: local.families.ipv4 && theirs(AFI.IPv4), ipv6: local.families.ipv6 && theirs(AFI.IPv6) };
  if (!families.ipv4 && !families.ipv6) {
    // RFC 5492 §5: nothing in common; the data lists the capabilities the peer lacked.
    return openError(OPEN_ERR.UnsupportedCapability, 'no common address family', Buffer.concat(afis(local.families).map(mpCapabilityTlv)));
  }

  const holdTime = negotiateHoldTime(local.holdTime, open.holdTime);
  const extendedMessage = local.extendedMessage && !!find(caps, 'extended-message');
  const as4 = !!as4cap;
  const addPath = find(caps, 'add-path');
  const peerMode = (afi: Afi) => addPath?.families.find((f) => f.afi === afi && f.safi === SAFI.Unicast)?.mode;
  // RFC 7911 §5: we receive several paths when we asked to receive and the peer offered to send.
  const rx = (afi: Afi) => local.addPathReceive && (peerMode(afi) === 'send' || peerMode(afi) === 'both');
  const tx = (afi: Afi) => local.addPathSend && (peerMode(afi) === 'receive' || peerMode(afi) === 'both');
  const gr = find(caps, 'graceful-restart');
  const peerGracefulRestart: PeerGracefulRestart | null =
    gr && local.gracefulRestart
      ? {
          restarting: gr.restarting,
          notification: gr.notification,
          restartTime: gr.restartTime,
          families: gr.families.filter((f) => f.safi === SAFI.Unicast).map((f) => ({ afi: f.afi, forwarding: f.forwarding })),
        }
      : null;
  return {
    ok: true,
    negotiated: {
      peerAs,
      peerId,
      holdTime,
      keepaliveTime: keepaliveInterval(holdTime, local.keepaliveTime),
      as4,
      families,
      routeRefresh: !!find(caps, 'route-refresh'),
      enhancedRouteRefresh: !!find(caps, 'enhanced-route-refresh'),
      extendedMessage,
      decode: { as4, extendedMessage, addPath: { ipv4: families.ipv4 && rx(AFI.IPv4), ipv6: families.ipv6 && rx(AFI.IPv6) } },
      encode: { as4, extendedMessage, addPath: { ipv4: families.ipv4 && tx(AFI.IPv4), ipv6: families.ipv6 && tx(AFI.IPv6) } },
      peerGracefulRestart,
      peerCapabilities: caps,
    },
  };
}

/** The codec context before the OPEN exchange: 2-octet AS, no ADD-PATH, 4096-byte messages. */
export const PRE_OPEN_CONTEXT: CodecContext = { as4: false, addPath: { ipv4: false, ipv6: false }, extendedMessage: false };

/** RFC 6286: a u32 BGP identifier from dotted-quad text. */
export function routerIdFromText(text: string): number {
  const o = text.split('.').map(Number);
  return ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
}

export function routerIdToText(id: number): string {
  return [24, 16, 8, 0].map((s) => (id >>> s) & 0xff).join('.');
}
