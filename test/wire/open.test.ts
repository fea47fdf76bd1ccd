// OPEN (RFC 4271 §4.2, RFC 9072) and every capability (RFC 5492 and the RFCs of each code):
// hand-assembled vectors checked field by field, round trips, and each error with its subcode.
import { describe, expect, it } from 'vitest';
import { BgpWireError, decodeMessage, encodeMessage, type Capability, type OpenMessage } from '../../bgpd/wire/index.js';
import { CTX4, hex, msg } from './bytes.js';

function decodeErr(b: Buffer): BgpWireError {
  try {
    decodeMessage(b, CTX4);
  } catch (e) {
    if (e instanceof BgpWireError) return e;
    throw e;
  }
  throw new Error('decoded without error');
}

// An OPEN as bird2 would send it: AS 65001, hold 240, id 10.0.0.1, one Capabilities parameter.
const openBody = `
  04          # version 4
  fde9        # My AS 65001
  00f0        # hold time 240
  0a000001    # BGP identifier 10.0.0.1
  20          # optional parameters length 32
  02 1e       # parameter type 2 (capabilities), length 30
    01 04 0001 00 01        # multiprotocol IPv4 unicast
    02 00                   # route refresh
    46 00                   # enhanced route refresh
    41 04 fa56ea00          # 4-octet AS 4200000000
    40 06 8078 0001 0180    # graceful restart: R=1, time 120, IPv4/unicast forwarding
    45 04 0002 01 03        # ADD-PATH IPv6/unicast both
`;

describe('OPEN', () => {
  it('decodes a hand-assembled OPEN field by field', () => {
    const m = decodeMessage(msg(1, openBody), CTX4) as OpenMessage;
    expect(m).toEqual({
      type: 'open',
      version: 4,
      myAs: 65001,
      holdTime: 240,
      bgpId: 0x0a000001,
      capabilities: [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'route-refresh' },
        { kind: 'enhanced-route-refresh' },
        { kind: 'as4', asn: 4200000000 },
        { kind: 'graceful-restart', restarting: true, notification: false, restartTime: 120, families: [{ afi: 1, safi: 1, forwarding: true }] },
        { kind: 'add-path', families: [{ afi: 2, safi: 1, mode: 'both' }] },
      ],
    });
    // One Capabilities parameter, in this order: the encoder reproduces the exact bytes.
    expect(encodeMessage(m, CTX4)).toEqual(msg(1, openBody));
  });

  it('reads capabilities spread over several parameters and keeps other parameters', () => {
    const body = `04 fde9 00b4 0a000002 0e  02 02 0200  02 06 41 04 0000fde9  01 00`;
    const m = decodeMessage(msg(1, body), CTX4) as OpenMessage;
    expect(m.capabilities).toEqual([{ kind: 'route-refresh' }, { kind: 'as4', asn: 65001 }]);
    expect(m.otherParams).toEqual([{ type: 1, value: Buffer.alloc(0) }]);
  });

  it('uses the RFC 9072 extended format when parameters exceed 255 octets, and reads it back', () => {
    const caps: Capability[] = [];
    for (let i = 0; i < 40; i++) caps.push({ kind: 'unknown', code: 200, value: Buffer.from([i, i, i, i, i]) });
    const open: OpenMessage = { type: 'open', version: 4, myAs: 23456, holdTime: 90, bgpId: 1, capabilities: caps };
    const b = encodeMessage(open, CTX4);
    // Non-Ext OP Len 255, Non-Ext OP Type 255, 2-octet extended length, then type 2 with a 2-octet length.
    expect(b[28]).toBe(255);
    expect(b[29]).toBe(255);
    expect(b.readUInt16BE(30)).toBe(3 + 40 * 7);
    expect(b[32]).toBe(2);
    expect(b.readUInt16BE(33)).toBe(40 * 7);
    expect(decodeMessage(b, CTX4)).toEqual(open);
  });

  it('accepts the extended format even when short (RFC 9072 §2 MUST accept)', () => {
    const body = `04 fde9 00b4 0a000002 ff ff 0005 02 0002 0200`;
    expect((decodeMessage(msg(1, body), CTX4) as OpenMessage).capabilities).toEqual([{ kind: 'route-refresh' }]);
  });

  it('keeps a 255-octet classic parameter block whose first type is not 255', () => {
    const pad = Buffer.alloc(253, 0);
    const body = Buffer.concat([hex('04 fde9 00b4 0a000002 ff 09 fd'), pad]);
    const m = decodeMessage(msg(1, body), CTX4) as OpenMessage;
    expect(m.otherParams).toEqual([{ type: 9, value: pad }]);
  });

  it.each([
    ['version 3', '03 fde9 00b4 0a000002 00', 'open-unsupported-version', 1, '0004'],
    ['hold time 1', '04 fde9 0001 0a000002 00', 'open-unacceptable-hold-time', 6, ''],
    ['hold time 2', '04 fde9 0002 0a000002 00', 'open-unacceptable-hold-time', 6, ''],
    ['identifier 0', '04 fde9 00b4 00000000 00', 'open-bad-bgp-id', 3, ''],
    ['parameter length too long', '04 fde9 00b4 0a000002 05 02 00', 'open-malformed-params', 0, ''],
    ['parameter overruns', '04 fde9 00b4 0a000002 02 02 05', 'open-malformed-params', 0, ''],
    ['capability overruns parameter', '04 fde9 00b4 0a000002 04 02 02 41 04', 'open-malformed-capability', 0, ''],
    ['as4 of 3 octets', '04 fde9 00b4 0a000002 07 02 05 41 03 000000', 'open-malformed-capability', 0, ''],
    ['route refresh with a value', '04 fde9 00b4 0a000002 05 02 03 02 01 00', 'open-malformed-capability', 0, ''],
    ['truncated extended length', '04 fde9 00b4 0a000002 ff ff', 'open-malformed-params', 0, ''],
  ])('rejects %s', (_n, body, code, sub, data) => {
    const e = decodeErr(msg(1, body));
    expect(e).toMatchObject({ code, notifyCode: 2, notifySubcode: sub });
    expect(e.notifyData).toEqual(hex(data));
  });

  it('hold time 0 is legal (no keepalives)', () => {
    expect((decodeMessage(msg(1, '04 fde9 0000 0a000002 00'), CTX4) as OpenMessage).holdTime).toBe(0);
  });

  it('refuses to encode what cannot be sent', () => {
    const base: OpenMessage = { type: 'open', version: 4, myAs: 65001, holdTime: 90, bgpId: 1, capabilities: [] };
    expect(() => encodeMessage({ ...base, myAs: 70000 }, CTX4)).toThrow(BgpWireError);
    expect(() => encodeMessage({ ...base, capabilities: [{ kind: 'unknown', code: 9, value: Buffer.alloc(256) }] }, CTX4)).toThrow(BgpWireError);
    expect(() => encodeMessage({ ...base, capabilities: [{ kind: 'fqdn', hostname: 'x'.repeat(300), domain: '' }] }, CTX4)).toThrow(BgpWireError);
  });
});

/** One capability as a parameter of an otherwise fixed OPEN. */
function openWith(capHex: string): Buffer {
  const cap = hex(capHex);
  return msg(1, Buffer.concat([hex('04 fde9 00b4 0a000002'), Buffer.from([cap.length + 2, 2, cap.length]), cap]));
}

describe('capabilities', () => {
  const vectors: [string, string, Capability][] = [
    ['multiprotocol IPv6 unicast (RFC 4760 §8)', '01 04 0002 00 01', { kind: 'multiprotocol', afi: 2, safi: 1 }],
    ['route refresh (RFC 2918)', '02 00', { kind: 'route-refresh' }],
    [
      'extended next hop IPv4 unicast over IPv6 (RFC 8950 §3)',
      '05 0c 0001 0001 0002 0001 0002 0002',
      { kind: 'extended-nexthop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }, { afi: 1, safi: 2, nextHopAfi: 2 }] },
    ],
    ['extended message (RFC 8654)', '06 00', { kind: 'extended-message' }],
    [
      'graceful restart with R and N bits, two families (RFC 4724 §3, RFC 8538)',
      '40 0a c0b4 0001 01 80 0002 01 00',
      {
        kind: 'graceful-restart',
        restarting: true,
        notification: true,
        restartTime: 180,
        families: [{ afi: 1, safi: 1, forwarding: true }, { afi: 2, safi: 1, forwarding: false }],
      },
    ],
    ['graceful restart, receiving speaker only (no restart state)', '40 02 0078', { kind: 'graceful-restart', restarting: false, notification: false, restartTime: 120, families: [] }],
    ['4-octet AS (RFC 6793)', '41 04 fa56ea00', { kind: 'as4', asn: 4200000000 }],
    [
      'ADD-PATH receive/send (RFC 7911 §4)',
      '45 08 0001 01 01 0002 01 02',
      { kind: 'add-path', families: [{ afi: 1, safi: 1, mode: 'receive' }, { afi: 2, safi: 1, mode: 'send' }] },
    ],
    ['enhanced route refresh (RFC 7313)', '46 00', { kind: 'enhanced-route-refresh' }],
    [
      'long-lived graceful restart',
      '47 07 0001 01 80 000e10',
      { kind: 'llgr', families: [{ afi: 1, safi: 1, forwarding: true, staleTime: 3600 }] },
    ],
    ['FQDN', '49 0c 05 6e6f646531 05 6c6f63616c', { kind: 'fqdn', hostname: 'node1', domain: 'local' }],
    ['unknown code kept with its bytes', 'c8 03 010203', { kind: 'unknown', code: 200, value: Buffer.from([1, 2, 3]) }],
    ['ADD-PATH with an undefined mode: not understood, kept', '45 04 0001 01 07', { kind: 'unknown', code: 69, value: hex('0001 01 07') }],
    ['multiprotocol of another AFI kept as unknown', '01 04 0019 00 46', { kind: 'unknown', code: 1, value: hex('0019 00 46') }],
  ];
  it.each(vectors)('%s', (_name, capHex, cap) => {
    const b = openWith(capHex);
    const m = decodeMessage(b, CTX4) as OpenMessage;
    expect(m.capabilities).toEqual([cap]);
    expect(encodeMessage(m, CTX4)).toEqual(b);
  });

  it('drops families of other AFIs from graceful restart but keeps the rest', () => {
    const m = decodeMessage(openWith('40 0a 0078 0019 46 80 0001 01 80'), CTX4) as OpenMessage;
    expect(m.capabilities).toEqual([{ kind: 'graceful-restart', restarting: false, notification: false, restartTime: 120, families: [{ afi: 1, safi: 1, forwarding: true }] }]);
  });

  it.each([
    ['multiprotocol of 3 octets', '01 03 000100'],
    ['graceful restart of 3 octets', '40 03 007800'],
    ['ADD-PATH of 3 octets', '45 03 000101'],
    ['extended next hop of 4 octets', '05 04 00010001'],
    ['LLGR of 6 octets', '47 06 000101800000'],
    ['FQDN hostname overrun', '49 02 05 61'],
    ['FQDN domain mismatch', '49 04 01 61 05 62'],
    ['enhanced route refresh with a value', '46 01 00'],
  ])('rejects a malformed %s with OPEN Message Error', (_n, capHex) => {
    expect(decodeErr(openWith(capHex))).toMatchObject({ code: 'open-malformed-capability', notifyCode: 2, notifySubcode: 0 });
  });
});
