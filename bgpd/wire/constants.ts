// Numbers of the BGP protocol that more than one module needs: NOTIFICATION codes and subcodes
// (RFC 4271 §4.5 and §6, RFC 4486, RFC 6608, RFC 7313, RFC 8538, RFC 9384), path attribute type codes
// and flags (RFC 4271 §4.3, IANA), capability codes (RFC 5492, IANA) and optional parameter types.
// Constants only: no logic lives here besides naming a (code, subcode) pair for logs and status.

/** NOTIFICATION error codes (RFC 4271 §4.5, RFC 6608, RFC 7313). */
export const ERR = {
  MESSAGE_HEADER: 1,
  OPEN: 2,
  UPDATE: 3,
  HOLD_TIMER_EXPIRED: 4,
  FSM: 5,
  CEASE: 6,
  ROUTE_REFRESH: 7,
} as const;

/** Message Header Error subcodes (RFC 4271 §6.1). */
export const HEADER_ERR = {
  CONNECTION_NOT_SYNCHRONIZED: 1,
  BAD_MESSAGE_LENGTH: 2,
  BAD_MESSAGE_TYPE: 3,
} as const;

/** OPEN Message Error subcodes (RFC 4271 §6.2, RFC 5492 §5, RFC 9234). */
export const OPEN_ERR = {
  UNSPECIFIC: 0,
  UNSUPPORTED_VERSION: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_ID: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  /** Deprecated by RFC 4271 (Authentication Failure of RFC 1771). */
  AUTHENTICATION_FAILURE: 5,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7,
  ROLE_MISMATCH: 11,
} as const;

/** UPDATE Message Error subcodes (RFC 4271 §6.3). */
export const UPDATE_ERR = {
  MALFORMED_ATTRIBUTE_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: 2,
  MISSING_WELL_KNOWN_ATTRIBUTE: 3,
  ATTRIBUTE_FLAGS_ERROR: 4,
  ATTRIBUTE_LENGTH_ERROR: 5,
  INVALID_ORIGIN_ATTRIBUTE: 6,
  /** Deprecated by RFC 4271 (AS Routing Loop of RFC 1771). */
  AS_ROUTING_LOOP: 7,
  INVALID_NEXT_HOP_ATTRIBUTE: 8,
  OPTIONAL_ATTRIBUTE_ERROR: 9,
  INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
} as const;

/** Finite State Machine Error subcodes (RFC 6608). */
export const FSM_ERR = {
  UNSPECIFIED: 0,
  UNEXPECTED_IN_OPENSENT: 1,
  UNEXPECTED_IN_OPENCONFIRM: 2,
  UNEXPECTED_IN_ESTABLISHED: 3,
} as const;

/** Cease subcodes (RFC 4486, RFC 8538 Hard Reset, RFC 9384 BFD Down). */
export const CEASE = {
  MAX_PREFIXES_REACHED: 1,
  ADMINISTRATIVE_SHUTDOWN: 2,
  PEER_DECONFIGURED: 3,
  ADMINISTRATIVE_RESET: 4,
  CONNECTION_REJECTED: 5,
  OTHER_CONFIGURATION_CHANGE: 6,
  CONNECTION_COLLISION_RESOLUTION: 7,
  OUT_OF_RESOURCES: 8,
  HARD_RESET: 9,
  BFD_DOWN: 10,
} as const;

/** ROUTE-REFRESH Message Error subcodes (RFC 7313 §5). */
export const ROUTE_REFRESH_ERR = { INVALID_MESSAGE_LENGTH: 1 } as const;

/** Path attribute type codes (IANA "BGP Path Attributes"). */
export const ATTR = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MULTI_EXIT_DISC: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  ORIGINATOR_ID: 9,
  CLUSTER_LIST: 10,
  MP_REACH_NLRI: 14,
  MP_UNREACH_NLRI: 15,
  EXTENDED_COMMUNITIES: 16,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
  LARGE_COMMUNITY: 32,
} as const;

/** Path attribute flag bits (RFC 4271 §4.3). */
export const FLAG = {
  OPTIONAL: 0x80,
  TRANSITIVE: 0x40,
  PARTIAL: 0x20,
  EXTENDED_LENGTH: 0x10,
} as const;

/** Capability codes (IANA "Capability Codes"). */
export const CAP = {
  MULTIPROTOCOL: 1,
  ROUTE_REFRESH: 2,
  EXTENDED_NEXTHOP: 5,
  EXTENDED_MESSAGE: 6,
  GRACEFUL_RESTART: 64,
  AS4: 65,
  ADD_PATH: 69,
  ENHANCED_ROUTE_REFRESH: 70,
  LLGR: 71,
  FQDN: 73,
} as const;

/** OPEN optional parameter types (RFC 5492 §4, RFC 9072 §2). */
export const OPT_PARAM = {
  CAPABILITIES: 2,
  /** RFC 9072: "Non-Ext OP Type" marking the extended optional parameters format. */
  EXTENDED_LENGTH: 255,
} as const;

const codeNames: Record<number, string> = {
  1: 'Message header error',
  2: 'OPEN message error',
  3: 'UPDATE message error',
  4: 'Hold timer expired',
  5: 'Finite state machine error',
  6: 'Cease',
  7: 'ROUTE-REFRESH message error',
};

const subcodeNames: Record<number, Record<number, string>> = {
  1: { 1: 'Connection not synchronized', 2: 'Bad message length', 3: 'Bad message type' },
  2: {
    1: 'Unsupported version number',
    2: 'Bad peer AS',
    3: 'Bad BGP identifier',
    4: 'Unsupported optional parameter',
    5: 'Authentication failure',
    6: 'Unacceptable hold time',
    7: 'Unsupported capability',
    11: 'Role mismatch',
  },
  3: {
    1: 'Malformed attribute list',
    2: 'Unrecognized well-known attribute',
    3: 'Missing mandatory attribute',
    4: 'Invalid attribute flags',
    5: 'Invalid attribute length',
    6: 'Invalid ORIGIN attribute',
    7: 'AS routing loop',
    8: 'Invalid NEXT_HOP attribute',
    9: 'Optional attribute error',
    10: 'Invalid network field',
    11: 'Malformed AS_PATH',
  },
  5: {
    1: 'Unexpected message in OpenSent state',
    2: 'Unexpected message in OpenConfirm state',
    3: 'Unexpected message in Established state',
  },
  6: {
    1: 'Maximum number of prefixes reached',
    2: 'Administrative shutdown',
    3: 'Peer de-configured',
    4: 'Administrative reset',
    5: 'Connection rejected',
    6: 'Other configuration change',
    7: 'Connection collision resolution',
    8: 'Out of resources',
    9: 'Hard reset',
    10: 'BFD down',
  },
  7: { 1: 'Invalid message length' },
};

/** Human name of a NOTIFICATION (code, subcode), in the words BIRD prints in `show protocols`. */
export function notificationName(code: number, subcode: number): string {
  const c = codeNames[code] ?? `Error code ${code}`;
  const s = subcodeNames[code]?.[subcode];
  if (s) return `${c}: ${s}`;
  return subcode === 0 ? c : `${c} (subcode ${subcode})`;
}
