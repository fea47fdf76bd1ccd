// The framer against every way TCP can cut a byte stream, and against broken framing.
import { describe, expect, it } from 'vitest';
import { BgpWireError, encodeMessage, Framer, prefixList, type Message } from '../../bgpd/wire/index.js';
import { CTX4, msg } from './bytes.js';

const stream: Message[] = [
  { type: 'keepalive' },
  { type: 'open', version: 4, myAs: 65001, holdTime: 90, bgpId: 0x0a000001, capabilities: [{ kind: 'route-refresh' }, { kind: 'as4', asn: 65001 }] },
  {
    type: 'update',
    withdrawn: prefixList(1, []),
    attributes: { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: '10.0.0.1' },
    nlri: prefixList(1, ['10.1.0.0/16', '10.2.3.0/24']),
  },
  { type: 'notification', code: 6, subcode: 2, data: Buffer.from([3, 0x62, 0x79, 0x65]) },
  { type: 'route-refresh', afi: 2, safi: 1, subtype: 1 },
  { type: 'keepalive' },
];
const frames = stream.map((m) => encodeMessage(m, CTX4));
const bytes = Buffer.concat(frames);

describe('Framer', () => {
  it('returns each message whole when the stream is split at every offset', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const f = new Framer();
      const got = [...f.push(bytes.subarray(0, cut)), ...f.push(bytes.subarray(cut))];
      expect(got).toEqual(frames);
      expect(f.buffered).toBe(0);
    }
  });

  it('handles every pair of split points (three chunks)', () => {
    for (let a = 0; a <= bytes.length; a += 3) {
      for (let b = a; b <= bytes.length; b += 5) {
        const f = new Framer();
        const got = [...f.push(bytes.subarray(0, a)), ...f.push(bytes.subarray(a, b)), ...f.push(bytes.subarray(b))];
        expect(got).toEqual(frames);
      }
    }
  });

  it('handles one byte at a time', () => {
    const f = new Framer();
    const got: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) got.push(...f.push(bytes.subarray(i, i + 1)));
    expect(got).toEqual(frames);
  });

  it('never hands out memory that a later push could change', () => {
    const f = new Framer();
    const first = Buffer.from(bytes.subarray(0, 30));
    const out1 = f.push(first);
    const out2 = f.push(Buffer.from(bytes.subarray(30)));
    const snapshot = [...out1, ...out2].map((b) => Buffer.from(b));
    first.fill(0); // the caller reusing its chunk must not corrupt retained partial data
    expect([...out1, ...out2].slice(1)).toEqual(snapshot.slice(1));
  });

  it('keeps nothing of a chunk after pushTo returns: one reused read buffer gives the same messages', () => {
    // As a socket reading into one reused buffer (onread) feeds it: every read lands at offset 0 of
    // the same memory, which the next read overwrites. Cut at every pair of sizes.
    for (const size of [1, 2, 7, 19, 20, 31, 64]) {
      const f = new Framer();
      const read = Buffer.alloc(64);
      const got: Buffer[] = [];
      for (let o = 0; o < bytes.length; o += size) {
        const n = Math.min(size, bytes.length - o);
        read.fill(0xaa);
        bytes.copy(read, 0, o, o + n);
        f.pushTo(read.subarray(0, n), (b, off, len) => {
          got.push(Buffer.from(b.subarray(off, off + len))); // a sink copies what it keeps
          return true;
        });
      }
      expect(got).toEqual(frames);
    }
  });

  it('rejects a wrong marker as Connection Not Synchronized, even before the header is complete', () => {
    const bad = Buffer.from(bytes);
    bad[3] = 0;
    const f = new Framer();
    const err = (() => {
      try {
        f.push(bad.subarray(0, 5));
      } catch (e) {
        return e as BgpWireError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(BgpWireError);
    expect(err).toMatchObject({ code: 'bad-marker', notifyCode: 1, notifySubcode: 1 });
    // The stream stays broken: later pushes keep failing.
    expect(() => f.push(bytes)).toThrow(BgpWireError);
  });

  it('rejects lengths outside 19..4096 with Bad Message Length carrying the length', () => {
    for (const len of [0, 18, 4097, 65535]) {
      const h = msg(4, '');
      h.writeUInt16BE(len, 16);
      try {
        new Framer().push(h);
        expect.unreachable();
      } catch (e) {
        expect(e).toMatchObject({ code: 'bad-length', notifyCode: 1, notifySubcode: 2 });
        expect((e as BgpWireError).notifyData).toEqual(Buffer.from([len >> 8, len & 255]));
      }
    }
  });

  it('accepts up to 65535 octets once extended messages are on (RFC 8654)', () => {
    const big = msg(2, Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.alloc(5000 - 23, 0)]).subarray(0, 5000 - 19));
    expect(() => new Framer().push(big)).toThrow(BgpWireError);
    const f = new Framer({ extendedMessage: false });
    f.setExtendedMessage(true);
    expect(f.push(big)).toEqual([big]);
    expect(new Framer({ extendedMessage: true }).push(big.subarray(0, 100))).toEqual([]);
  });
});

describe('Framer resource use', () => {
  it('rejects an oversized length as soon as the header is complete, before the body arrives', () => {
    const f = new Framer();
    const h = msg(2, '');
    h.writeUInt16BE(5000, 16);
    expect(f.push(h.subarray(0, 10))).toEqual([]);
    expect(() => f.push(h.subarray(10, 19))).toThrow(BgpWireError);
  });

  it('assembles a 65535-octet message pushed one octet at a time', () => {
    // A quadratic framer would copy ~2 GB here; this one joins the pieces once.
    const body = Buffer.concat([Buffer.from([0, 0, 0xff, 0xe8]), Buffer.alloc(65535 - 23, 0)]);
    const big = msg(2, body);
    const f = new Framer({ extendedMessage: true });
    const got: Buffer[] = [];
    for (let i = 0; i < big.length; i++) got.push(...f.push(big.subarray(i, i + 1)));
    expect(got).toEqual([big]);
    expect(f.buffered).toBe(0);
  });
});
