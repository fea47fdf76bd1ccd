// Typed BGP messages: the contract between the codec (bgpd/wire) and everything that uses it
// (sessions, RIB, control). Plain data only: no methods, no buffers that alias a socket's memory.
//
// Numbers are used where the RIB needs speed: BGP identifiers, IPv4 addresses and communities are
// unsigned 32-bit integers; prefixes travel in packed lists (PrefixList) rather than one object each.

/** Address family identifiers (RFC 4760, IANA). */
export const AFI = { IPv4: 1, IPv6: 2 } as const;
export type Afi = (typeof AFI)[keyof typeof AFI];

/** Subsequent address family identifiers we speak (unicast); others are kept as numbers. */
export const SAFI = { Unicast: 1, Multicast: 2 } as const;
export type Safi = number;

export const MSG = { OPEN: 1, UPDATE: 2, NOTIFICATION: 3, KEEPALIVE: 4, ROUTE_REFRESH: 5 } as const;

/** BGP message header length and the size limits of RFC 4271 §4.1 and RFC 8654. */
export const HEADER_LEN = 19;
export const MAX_MESSAGE_LEN = 4096;
export const MAX_EXTENDED_MESSAGE_LEN = 65535;
export const AS_TRANS = 23456;

/**
 * A packed list of prefixes of one family. Prefix i is:
 *   IPv4: address addrs[i] (host-order u32, network bits in the high bits), length lens[i]
 *   IPv6: address addrs[4i..4i+3] (four host-order u32 words, most significant first), length lens[i]
 * pathIds is set when the list came from (or goes to) an ADD-PATH session (RFC 7911), else null.
 * Host bits beyond the length are always zero in a decoded list.
 */
export interface PrefixList {
  afi: Afi;
  count: number;
  addrs: Uint32Array;
  lens: Uint8Array;
  pathIds: Uint32Array | null;
}

export type AsPathSegmentType = 1 | 2 | 3 | 4; // AS_SET, AS_SEQUENCE, AS_CONFED_SEQUENCE, AS_CONFED_SET
export const AS_PATH_SEGMENT = { SET: 1, SEQUENCE: 2, CONFED_SEQUENCE: 3, CONFED_SET: 4 } as const;

export interface AsPathSegment {
  type: AsPathSegmentType;
  asns: number[];
}

export interface Aggregator {
  asn: number;
  address: string; // dotted quad
}

/** One large community (RFC 8092): global administrator, local data 1, local data 2. */
export type LargeCommunity = [number, number, number];

export interface UnknownAttribute {
  flags: number; // as received (the partial bit set when we pass it on, RFC 4271 §5)
  type: number;
  value: Buffer;
}

export interface MpReach {
  afi: Afi;
  safi: Safi;
  /** Next hops as text: IPv4 "a.b.c.d"; IPv6 global, then link-local when 32 bytes were sent. */
  nextHops: string[];
  nlri: PrefixList;
}

export interface MpUnreach {
  afi: Afi;
  safi: Safi;
  nlri: PrefixList;
}

/**
 * Path attributes of one UPDATE, decoded. The AS path is the real one: on a 2-octet session the
 * decoder has already merged AS4_PATH / AS4_AGGREGATOR (RFC 6793 §4.2.3) and the encoder produces
 * AS_TRANS + AS4_* again, so callers never see the 2-octet forms.
 */
export interface PathAttributes {
  origin?: 0 | 1 | 2; // IGP, EGP, INCOMPLETE
  asPath?: AsPathSegment[];
  nextHop?: string; // IPv4 NEXT_HOP attribute
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: Aggregator;
  communities?: number[]; // u32 each, e.g. 65000:100 → 65000 * 65536 + 100
  originatorId?: number; // u32
  clusterList?: number[]; // u32 each
  mpReach?: MpReach;
  mpUnreach?: MpUnreach;
  extCommunities?: bigint[]; // 8 octets each, big-endian
  largeCommunities?: LargeCommunity[];
  unknown?: UnknownAttribute[];
}

/** RFC 7606 outcome for a malformed attribute that did not reset the session. */
export type AttrErrorAction = 'attribute-discard' | 'treat-as-withdraw';

export interface AttrErrorNote {
  type: number; // attribute type code
  action: AttrErrorAction;
  reason: string;
}

export interface OpenMessage {
  type: 'open';
  version: number; // 4
  myAs: number; // 2-octet field as sent (AS_TRANS for 4-octet ASNs); the real AS is in the as4 capability
  holdTime: number;
  bgpId: number; // u32
  capabilities: Capability[];
  /** Optional parameters other than capabilities (type 2), kept as received. */
  otherParams?: { type: number; value: Buffer }[];
}

export interface UpdateMessage {
  type: 'update';
  withdrawn: PrefixList; // IPv4 unicast withdrawn routes field
  attributes: PathAttributes;
  nlri: PrefixList; // IPv4 unicast NLRI field
  /** RFC 7606 notes: set when attributes were discarded or the update is to be treated as withdraw. */
  attrErrors?: AttrErrorNote[];
  /** RFC 7606 §2: every NLRI in this update (all families) must be handled as withdrawn. */
  treatAsWithdraw?: boolean;
  /**
   * Set only when decoding was asked for it ({ attrKey: true }): a copy of the raw bytes of every
   * path attribute except MP_REACH_NLRI / MP_UNREACH_NLRI, in received order. Equal keys from one
   * session mean equal attributes (apart from the MP next hop), so the RIB can intern on it.
   */
  attrKey?: Buffer;
}

export interface NotificationMessage {
  type: 'notification';
  code: number;
  subcode: number;
  data: Buffer;
  /** RFC 9003 shutdown communication (Cease/2 and Cease/4), decoded from data when well formed. */
  shutdownMessage?: string;
}

export interface KeepaliveMessage {
  type: 'keepalive';
}

export interface RouteRefreshMessage {
  type: 'route-refresh';
  afi: Afi;
  safi: Safi;
  /** RFC 7313 message subtype: 0 normal, 1 BoRR, 2 EoRR. */
  subtype: 0 | 1 | 2;
}

export type Message =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

export type AddPathMode = 'receive' | 'send' | 'both';

export type Capability =
  | { kind: 'multiprotocol'; afi: Afi; safi: Safi } // code 1, RFC 4760
  | { kind: 'route-refresh' } // code 2, RFC 2918
  | { kind: 'extended-nexthop'; entries: { afi: Afi; safi: Safi; nextHopAfi: Afi }[] } // code 5, RFC 8950
  | { kind: 'extended-message' } // code 6, RFC 8654
  | {
      kind: 'graceful-restart'; // code 64, RFC 4724
      restarting: boolean; // R bit
      notification: boolean; // N bit (RFC 8538)
      restartTime: number; // 12 bits
      families: { afi: Afi; safi: Safi; forwarding: boolean }[];
    }
  | { kind: 'as4'; asn: number } // code 65, RFC 6793
  | { kind: 'add-path'; families: { afi: Afi; safi: Safi; mode: AddPathMode }[] } // code 69, RFC 7911
  | { kind: 'enhanced-route-refresh' } // code 70, RFC 7313
  | {
      kind: 'llgr'; // code 71, long-lived graceful restart
      families: { afi: Afi; safi: Safi; forwarding: boolean; staleTime: number }[];
    }
  | { kind: 'fqdn'; hostname: string; domain: string } // code 73
  | { kind: 'unknown'; code: number; value: Buffer };

/**
 * What the decoder and encoder must know about the session (negotiated capabilities). Required,
 * never optional: a wrong default here silently corrupts AS paths or NLRI.
 */
export interface CodecContext {
  /** Both sides announced the 4-octet AS capability. */
  as4: boolean;
  /** ADD-PATH in effect for this direction, per family (decode: we receive; encode: we send). */
  addPath: { ipv4: boolean; ipv6: boolean };
  /** Both sides announced extended messages: frames up to 65535 bytes. */
  extendedMessage: boolean;
}
