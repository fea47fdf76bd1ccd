// ROUTE-REFRESH message body (RFC 2918 §3): AFI (2), message subtype (1, RFC 7313 §3: 0 normal,
// 1 BoRR, 2 EoRR; reserved in RFC 2918), SAFI (1). Families or subtypes we cannot represent are to
// be ignored (RFC 2918 §4, RFC 7313 §5), which the decoder signals with an error whose notifyCode is 0.
import { readU16 } from './addr.js';
import { ERR, ROUTE_REFRESH_ERR } from './constants.js';
import { BgpWireError, encodeError } from './errors.js';
import type { RouteRefreshMessage } from './types.js';

/** Decode a ROUTE-REFRESH; `whole` is the complete message, sent back as data on a length error. */
export function decodeRouteRefresh(whole: Buffer, start: number, end: number): RouteRefreshMessage {
  if (end - start !== 4) {
    // RFC 7313 §5: Invalid Message Length, data = the complete ROUTE-REFRESH message.
    throw new BgpWireError('route-refresh-bad-length', `ROUTE-REFRESH body of ${end - start} octets`, ERR.ROUTE_REFRESH, ROUTE_REFRESH_ERR.INVALID_MESSAGE_LENGTH, whole);
  }
  const afi = readU16(whole, start);
  const subtype = whole[start + 2];
  const safi = whole[start + 3];
  if (afi !== 1 && afi !== 2) throw new BgpWireError('route-refresh-unsupported', `ROUTE-REFRESH for AFI ${afi}`);
  if (subtype > 2) throw new BgpWireError('route-refresh-unsupported', `ROUTE-REFRESH subtype ${subtype}`);
  return { type: 'route-refresh', afi, safi, subtype: subtype as 0 | 1 | 2 };
}

export function encodeRouteRefreshBody(m: RouteRefreshMessage): Buffer {
  if (!(m.safi >= 0 && m.safi <= 255 && Number.isInteger(m.safi))) throw encodeError(`SAFI ${m.safi}`);
  return Buffer.from([m.afi >> 8, m.afi & 255, m.subtype, m.safi]);
}
