// Public API of the BGP wire codec. Everything else in bgpd/wire is internal: import from here.
//   Framer                       cut messages out of a TCP byte stream
//   decodeMessage / encodeMessage  one whole message ⇄ typed Message (types.ts), given a CodecContext
//   packUpdates / packWithdrawals  Adj-RIB-Out: one attribute set + many prefixes → full UPDATEs
//   BgpWireError                 the only error the codec throws (code + NOTIFICATION code/subcode/data)
export * from './types.js';
export * from './constants.js';
export { BgpWireError, isBgpWireError, type WireErrorCode } from './errors.js';
export { Framer, type FramerOptions } from './framer.js';
export { decodeMessage, encodeMessage, maxMessageLength } from './message.js';
export { endOfRib, isEndOfRib, type DecodeOptions } from './update.js';
export { encodeAttributesForPacking, packUpdates, packWithdrawals, prefixesWireSize, type EncodedAttributes } from './pack.js';
export { decodeAttributes, encodeAttributes, attributeName, ATTRIBUTE_TABLE } from './attrs/index.js';
export { asPathLength, mergeAs4Path } from './attrs/aspath.js';
export { shutdownNotification, decodeShutdownCommunication } from './notification.js';
export { decodeCapability, encodeCapability } from './capabilities.js';
export {
  PrefixListBuilder,
  emptyPrefixList,
  forEachPrefix,
  parsePrefix,
  prefixList,
  prefixListToStrings,
  prefixToString,
  slicePrefixList,
  type ParsedPrefix,
} from './prefix.js';
export { ipv4ToString, ipv6ToString, parseIpv4, parseIpv6 } from './addr.js';
export { v4PrefixAt } from './nlri.js';
export { UpdateScan, hashBytes, scanUpdate } from './scan.js';
