// The JIT warm-up's synthetic table is real BGP: every UPDATE decodes with the codec and is taken by
// the ingest fast path (else it would warm the wrong code), and warmUp runs once per process.
import { describe, expect, it } from 'vitest';
import { Rib } from '../../bgpd/rib/index.js';
import { warmUp, warmUpFeed } from '../../bgpd/rib/warmup.js';
import { decodeMessage, type CodecContext, type UpdateMessage } from '../../bgpd/wire/index.js';

const CTX: CodecContext = { as4: true, addPath: { ipv4: false, ipv6: false }, extendedMessage: false };

describe('RIB warm-up', () => {
  it('feeds well-formed UPDATEs that the fast path takes, unique and packed, announced and withdrawn', () => {
    const { buf, at } = warmUpFeed();
    let nlri = 0;
    let withdrawn = 0;
    const rib = new Rib({ routerId: 1, localAs: 4_200_000_000, clusterId: null });
    rib.setPolicy({ exportFilter: () => () => null, importFilter: () => () => true, kernelFilter: () => true, originated: () => [], key: () => 'k' });
    rib.addPeer({ name: 'p', peerAddress: 'p', localAs: 4_200_000_000, peerAs: 4_200_000_001, family: 4, rrClient: false, nextHop: 'auto', numAllowedLocalAS: 0, filters: [], maxPrefixes: Infinity });
    for (const o of at) {
      const len = buf.readUInt16BE(o + 16);
      const u = decodeMessage(buf.subarray(o, o + len), CTX) as UpdateMessage;
      expect(u.attrErrors ?? []).toEqual([]);
      nlri += u.nlri.count;
      withdrawn += u.withdrawn.count;
      expect(rib.ingest('p', buf, o + 19, o + len)).toBe(true);
    }
    // 3000 with their own sets + 3000 sharing one, the first 3000 withdrawn, 1500 of them again.
    expect([nlri, withdrawn]).toEqual([7500, 3000]);
    expect(rib.routeCount().routes).toBe(4500);
  });

  it('runs once per process', async () => {
    const first = await warmUp();
    expect(first).toBeGreaterThan(0);
    expect(await warmUp()).toBe(0);
  });
});
