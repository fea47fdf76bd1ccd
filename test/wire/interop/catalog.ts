// Messages our codec encodes for the independent-decoder check: every message type, every capability
// and every path attribute we support, on 4-octet and 2-octet AS sessions, with and without ADD-PATH.
// Grouped by session context, since one TCP connection carries one negotiated context.
// Not here: UPDATEs longer than 4096 octets (RFC 8654 extended messages) — TShark 4.0's dissector
// reports any BGP message over 4096 octets as malformed, so it cannot judge them.
import {
  AFI, AS_PATH_SEGMENT, endOfRib, parseIpv4, prefixList, shutdownNotification,
  type CodecContext, type Message, type UpdateMessage,
} from '../../../bgpd/wire/index.js';

export interface CatalogSession {
  name: string;
  ctx: CodecContext;
  messages: { name: string; msg: Message }[];
}

const ip = (s: string): number => parseIpv4(s)!;
const comm = (a: number, b: number): number => a * 65536 + b;
const noPrefixes = (afi: 1 | 2 = AFI.IPv4, addPath = false) => prefixList(afi, [], addPath ? [] : undefined);

function update(u: Partial<UpdateMessage> & Pick<UpdateMessage, 'attributes'>, addPath = false): UpdateMessage {
  return { type: 'update', withdrawn: noPrefixes(AFI.IPv4, addPath), nlri: noPrefixes(AFI.IPv4, addPath), ...u };
}

const as4Open: Message = {
  type: 'open', version: 4, myAs: 23456, holdTime: 90, bgpId: ip('10.0.0.1'),
  capabilities: [
    { kind: 'multiprotocol', afi: AFI.IPv4, safi: 1 },
    { kind: 'multiprotocol', afi: AFI.IPv6, safi: 1 },
    { kind: 'route-refresh' },
    { kind: 'enhanced-route-refresh' },
    { kind: 'extended-nexthop', entries: [{ afi: AFI.IPv4, safi: 1, nextHopAfi: AFI.IPv6 }] },
    { kind: 'extended-message' },
    {
      kind: 'graceful-restart', restarting: true, notification: true, restartTime: 120,
      families: [{ afi: AFI.IPv4, safi: 1, forwarding: true }, { afi: AFI.IPv6, safi: 1, forwarding: false }],
    },
    { kind: 'as4', asn: 4200000001 },
    { kind: 'add-path', families: [{ afi: AFI.IPv4, safi: 1, mode: 'both' }, { afi: AFI.IPv6, safi: 1, mode: 'receive' }] },
    { kind: 'llgr', families: [{ afi: AFI.IPv4, safi: 1, forwarding: true, staleTime: 3600 }] },
    { kind: 'fqdn', hostname: 'node-1', domain: 'cluster.local' },
    { kind: 'unknown', code: 200, value: Buffer.from([1, 2, 3]) },
  ],
};

const fullV4 = update({
  nlri: prefixList(AFI.IPv4, ['192.0.2.0/24', '198.51.100.128/25', '10.0.0.0/8', '203.0.113.7/32']),
  withdrawn: prefixList(AFI.IPv4, ['172.16.0.0/16']),
  attributes: {
    origin: 0,
    asPath: [
      { type: AS_PATH_SEGMENT.SEQUENCE, asns: [4200000001, 65000, 4200000002] },
      { type: AS_PATH_SEGMENT.SET, asns: [64512, 4200000003] },
    ],
    nextHop: '10.0.0.1',
    med: 77,
    localPref: 200,
    atomicAggregate: true,
    aggregator: { asn: 4200000001, address: '10.0.0.1' },
    communities: [comm(65000, 100), comm(4200, 1), 0xffffff01, 0xffffff02],
    originatorId: ip('10.9.9.9'),
    clusterList: [ip('1.1.1.1'), ip('2.2.2.2')],
    extCommunities: [0x0002fde800000064n, 0x010a000001000007n],
    largeCommunities: [[4200000001, 1, 2], [65000, 0, 4294967295]],
    unknown: [{ flags: 0xe0, type: 240, value: Buffer.from('0102030405', 'hex') }],
  },
});

const v6Reach = update({
  attributes: {
    origin: 2,
    asPath: [{ type: AS_PATH_SEGMENT.SEQUENCE, asns: [4200000001] }],
    med: 5,
    largeCommunities: [[4200000001, 6, 6]],
    mpReach: {
      afi: AFI.IPv6, safi: 1, nextHops: ['fd00:12::1', 'fe80::1'],
      nlri: prefixList(AFI.IPv6, ['fd00:1201::/64', '2001:db8::/32', '2001:db8:ffff:1::/127']),
    },
  },
});

// RFC 8950: IPv4 NLRI in MP_REACH with an IPv6 next hop (extended next hop capability).
const v4OverV6 = update({
  attributes: {
    origin: 0,
    asPath: [{ type: AS_PATH_SEGMENT.SEQUENCE, asns: [4200000001] }],
    mpReach: { afi: AFI.IPv4, safi: 1, nextHops: ['fd00:12::1'], nlri: prefixList(AFI.IPv4, ['10.60.0.0/16', '10.61.1.0/24']) },
  },
});

const v6Unreach = update({
  attributes: { mpUnreach: { afi: AFI.IPv6, safi: 1, nlri: prefixList(AFI.IPv6, ['fd00:1202::/48', '2001:db8::/32']) } },
});

// Wireshark guesses ADD-PATH from the NLRI bytes (there is no preference for it): "fd00:1202::/48"
// followed by "::/0" happens to parse as one path-id prefix, so the default route gets its own message.
const v6DefaultUnreach = update({
  attributes: { mpUnreach: { afi: AFI.IPv6, safi: 1, nlri: prefixList(AFI.IPv6, ['::/0']) } },
});

const confed = update({
  nlri: prefixList(AFI.IPv4, ['10.20.0.0/16']),
  attributes: {
    origin: 1,
    asPath: [
      { type: AS_PATH_SEGMENT.CONFED_SEQUENCE, asns: [65101, 65102] },
      { type: AS_PATH_SEGMENT.CONFED_SET, asns: [65103] },
      { type: AS_PATH_SEGMENT.SEQUENCE, asns: [65000] },
    ],
    nextHop: '10.0.0.1',
    localPref: 100,
  },
});

// An AS path long enough (300 octets) to need the Extended Length flag (RFC 4271 §4.3).
const longPath = update({
  nlri: prefixList(AFI.IPv4, ['10.30.0.0/24']),
  attributes: {
    origin: 0,
    asPath: [{ type: AS_PATH_SEGMENT.SEQUENCE, asns: Array.from({ length: 74 }, (_, i) => 4200000000 + i) }],
    nextHop: '10.0.0.1',
    communities: Array.from({ length: 70 }, (_, i) => comm(65000, i)),
  },
});

export const catalog: CatalogSession[] = [
  {
    name: '4-octet AS session',
    ctx: { as4: true, addPath: { ipv4: false, ipv6: false }, extendedMessage: false },
    messages: [
      { name: 'OPEN with every capability', msg: as4Open },
      { name: 'KEEPALIVE', msg: { type: 'keepalive' } },
      { name: 'UPDATE with every IPv4 path attribute', msg: fullV4 },
      { name: 'UPDATE with MP_REACH IPv6, global + link-local next hop', msg: v6Reach },
      { name: 'UPDATE with IPv4 NLRI and an IPv6 next hop in MP_REACH (RFC 8950)', msg: v4OverV6 },
      { name: 'UPDATE with MP_UNREACH IPv6', msg: v6Unreach },
      { name: 'UPDATE withdrawing the IPv6 default route', msg: v6DefaultUnreach },
      { name: 'UPDATE with confederation segments', msg: confed },
      { name: 'UPDATE with extended-length attributes', msg: longPath },
      { name: 'UPDATE withdrawing only', msg: update({ withdrawn: prefixList(AFI.IPv4, ['192.0.2.0/24', '10.0.0.0/8']), attributes: {} }) },
      { name: 'End-of-RIB IPv4', msg: endOfRib(AFI.IPv4) },
      { name: 'End-of-RIB IPv6', msg: endOfRib(AFI.IPv6) },
      { name: 'ROUTE-REFRESH IPv4', msg: { type: 'route-refresh', afi: AFI.IPv4, safi: 1, subtype: 0 } },
      { name: 'ROUTE-REFRESH BoRR IPv6', msg: { type: 'route-refresh', afi: AFI.IPv6, safi: 1, subtype: 1 } },
      { name: 'ROUTE-REFRESH EoRR IPv6', msg: { type: 'route-refresh', afi: AFI.IPv6, safi: 1, subtype: 2 } },
      { name: 'NOTIFICATION UPDATE error with data', msg: { type: 'notification', code: 3, subcode: 11, data: Buffer.from('400204', 'hex') } },
      { name: 'NOTIFICATION hold timer expired', msg: { type: 'notification', code: 4, subcode: 0, data: Buffer.alloc(0) } },
      { name: 'NOTIFICATION OPEN error bad peer AS', msg: { type: 'notification', code: 2, subcode: 2, data: Buffer.from('fde8', 'hex') } },
      { name: 'NOTIFICATION Cease/2 with shutdown message', msg: shutdownNotification(2, 'maintenance: node drained') },
      { name: 'NOTIFICATION Cease/4 with shutdown message', msg: shutdownNotification(4, 'config changed') },
    ],
  },
  {
    name: '2-octet AS session (AS_TRANS, AS4_PATH, AS4_AGGREGATOR)',
    ctx: { as4: false, addPath: { ipv4: false, ipv6: false }, extendedMessage: false },
    messages: [
      {
        name: 'OPEN without 4-octet AS',
        msg: { type: 'open', version: 4, myAs: 65001, holdTime: 180, bgpId: ip('10.0.0.2'), capabilities: [{ kind: 'multiprotocol', afi: AFI.IPv4, safi: 1 }, { kind: 'route-refresh' }] },
      },
      { name: 'UPDATE with 4-octet ASNs in AS_PATH and AGGREGATOR', msg: fullV4 },
      {
        name: 'UPDATE with 2-octet ASNs only',
        msg: update({ nlri: prefixList(AFI.IPv4, ['10.40.0.0/24']), attributes: { origin: 0, asPath: [{ type: 2, asns: [65001, 65002] }], nextHop: '10.0.0.2', aggregator: { asn: 65001, address: '10.0.0.2' } } }),
      },
    ],
  },
  {
    name: 'ADD-PATH session',
    ctx: { as4: true, addPath: { ipv4: true, ipv6: true }, extendedMessage: false },
    messages: [
      {
        name: 'UPDATE with path ids',
        msg: update({
          nlri: prefixList(AFI.IPv4, ['10.50.0.0/24', '10.50.0.0/24', '10.51.0.0/16'], [1, 2, 7]),
          withdrawn: prefixList(AFI.IPv4, ['10.52.0.0/24'], [3]),
          attributes: { origin: 0, asPath: [{ type: 2, asns: [4200000001] }], nextHop: '10.0.0.1' },
        }, true),
      },
      {
        name: 'UPDATE with IPv6 path ids',
        msg: update({
          attributes: {
            origin: 0, asPath: [{ type: 2, asns: [4200000001] }],
            mpReach: { afi: AFI.IPv6, safi: 1, nextHops: ['fd00::1'], nlri: prefixList(AFI.IPv6, ['fd00:50::/64', 'fd00:50::/64'], [1, 2]) },
          },
        }, true),
      },
    ],
  },
];
