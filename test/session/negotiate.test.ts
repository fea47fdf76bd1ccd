// OPEN validation and capability negotiation (RFC 4271 §6.2, RFC 5492, RFC 6793, RFC 7911, RFC 4724).
import { describe, expect, it } from 'vitest';
import { buildOpen, negotiate, routerIdFromText, routerIdToText, type LocalCapabilities } from '../../bgpd/session/negotiate.js';
import type { Capability, OpenMessage } from '../../bgpd/wire/types.js';

const local: LocalCapabilities = {
  localAs: 4200000001,
  routerId: routerIdFromText('10.0.0.1'),
  holdTime: 90,
  families: { ipv4: true, ipv6: true },
  addPathReceive: true,
  addPathSend: false,
  extendedMessage: true,
  gracefulRestart: { restartTime: 120, restarting: false, forwarding: false },
};

function peerOpen(caps: Capability[], over: Partial<OpenMessage> = {}): OpenMessage {
  return { type: 'open', version: 4, myAs: 23456, holdTime: 240, bgpId: routerIdFromText('10.0.0.2'), capabilities: caps, ...over };
}

describe('our OPEN', () => {
  it('puts AS_TRANS in My AS for a 4-octet AS and the real one in the capability', () => {
    const o = buildOpen(local);
    expect(o.myAs).toBe(23456);
    expect(o.capabilities).toContainEqual({ kind: 'as4', asn: 4200000001 });
    expect(o.capabilities.filter((c) => c.kind === 'multiprotocol')).toHaveLength(2);
    expect(buildOpen({ ...local, localAs: 64512 }).myAs).toBe(64512);
    expect(routerIdToText(o.bgpId)).toBe('10.0.0.1');
  });
});

describe('negotiate', () => {
  const full: Capability[] = [
    { kind: 'multiprotocol', afi: 1, safi: 1 },
    { kind: 'as4', asn: 4200000002 },
    { kind: 'route-refresh' },
    { kind: 'add-path', families: [{ afi: 1, safi: 1, mode: 'both' }] },
    { kind: 'graceful-restart', restarting: true, notification: false, restartTime: 60, families: [{ afi: 1, safi: 1, forwarding: true }] },
  ];

  it('intersects families, takes the smaller hold time, applies ADD-PATH per direction', () => {
    const v = negotiate(local, 4200000002, peerOpen(full));
    if (!v.ok) throw new Error(v.reason);
    const n = v.negotiated;
    expect(n.families).toEqual({ ipv4: true, ipv6: false });
    expect(n.holdTime).toBe(90);
    expect(n.keepaliveTime).toBe(30);
    expect(n.as4).toBe(true);
    expect(n.decode.addPath).toEqual({ ipv4: true, ipv6: false });
    expect(n.encode.addPath).toEqual({ ipv4: false, ipv6: false });
    expect(n.extendedMessage).toBe(false);
    expect(n.routeRefresh).toBe(true);
    expect(n.peerGracefulRestart).toEqual({ restarting: true, notification: false, restartTime: 60, families: [{ afi: 1, forwarding: true }] });
  });

  it('a peer without multiprotocol capabilities speaks IPv4 unicast (RFC 4760 §8)', () => {
    const v = negotiate({ ...local, localAs: 65001 }, 65002, peerOpen([], { myAs: 65002 }));
    expect(v.ok && v.negotiated.families).toEqual({ ipv4: true, ipv6: false });
    expect(v.ok && v.negotiated.as4).toBe(false);
  });

  it('refuses a wrong peer AS with Bad Peer AS', () => {
    const v = negotiate(local, 4200000009, peerOpen(full));
    expect(v.ok).toBe(false);
    if (!v.ok) expect([v.notification.code, v.notification.subcode]).toEqual([2, 2]);
  });

  it('refuses hold time 1 and 2, accepts 0 and 3', () => {
    for (const [h, ok] of [[1, false], [2, false], [0, true], [3, true]] as const) {
      const v = negotiate(local, 4200000002, peerOpen(full, { holdTime: h }));
      expect(v.ok).toBe(ok);
      if (!v.ok) expect([v.notification.code, v.notification.subcode]).toEqual([2, 6]);
      if (v.ok && h === 0) expect([v.negotiated.holdTime, v.negotiated.keepaliveTime]).toEqual([0, 0]);
    }
  });

  it('refuses identifier 0, and our own identifier on iBGP', () => {
    const zero = negotiate(local, 4200000002, peerOpen(full, { bgpId: 0 }));
    expect(!zero.ok && [zero.notification.code, zero.notification.subcode]).toEqual([2, 3]);
    const ibgp = negotiate(local, 4200000001, peerOpen([{ kind: 'as4', asn: 4200000001 }], { bgpId: local.routerId }));
    expect(!ibgp.ok && [ibgp.notification.code, ibgp.notification.subcode]).toEqual([2, 3]);
    const ebgp = negotiate(local, 4200000002, peerOpen(full, { bgpId: local.routerId }));
    expect(ebgp.ok).toBe(true);
  });

  it('refuses a peer with no family in common with Unsupported Capability', () => {
    const v = negotiate({ ...local, families: { ipv4: false, ipv6: true } }, 4200000002, peerOpen(full));
    expect(!v.ok && [v.notification.code, v.notification.subcode]).toEqual([2, 7]);
    if (!v.ok) expect([...(v.notification.data ?? [])]).toEqual([1, 4, 0, 2, 0, 1]);
  });

  it('refuses other BGP versions, naming version 4', () => {
    const v = negotiate(local, 4200000002, peerOpen(full, { version: 3 }));
    expect(!v.ok && [v.notification.code, v.notification.subcode, ...(v.notification.data ?? [])]).toEqual([2, 1, 0, 4]);
  });
});
