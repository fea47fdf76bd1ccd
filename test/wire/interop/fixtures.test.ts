// Real traffic (test/fixtures/wire, captured from bird2, FRR, GoBGP and ExaBGP sessions) through our
// codec: every message decodes, with the context its session negotiated, to the values Wireshark's
// dissector read from the same bytes; and re-encodes byte for byte — or, where the daemon chose an
// encoding BGP leaves open and ours differs (canonical.ts names each case), to exactly the bytes
// that choice maps to, and to the same decoded message.
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type CodecContext } from '../../../bgpd/wire/index.js';
import { fixtureFiles } from '../../fixtures/wire/fixture.js';
import { canonicalize } from './canonical.js';
import { ourView, tsharkView } from './views.js';

const files = fixtureFiles();

describe('real-traffic fixtures', () => {
  it('cover what the capture promises', () => {
    const all = files.flatMap((f) => f.messages);
    const types = new Set(all.map((m) => m.type));
    expect([...types].sort()).toEqual(['keepalive', 'notification', 'open', 'route-refresh', 'update']);
    const daemons = new Set(all.map((m) => m.from));
    expect([...daemons].sort()).toEqual(['bird2', 'exabgp', 'frr', 'gobgp']);
    const attrTypes = new Set(all.flatMap((m) => m.tshark['bgp.update.path_attribute.type_code'] ?? []).map(Number));
    for (const t of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32]) expect(attrTypes, `attribute ${t}`).toContain(t);
    expect(all.some((m) => !m.context.as4 && m.type === 'update')).toBe(true);
    expect(all.some((m) => m.context.addPath.ipv4)).toBe(true);
    expect(all.some((m) => m.context.addPath.ipv6)).toBe(true);
    expect(all.some((m) => (m.tshark['bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6.link_local'] ?? []).length)).toBe(true);
    expect(all.some((m) => (m.tshark['bgp.route_refresh.subtype'] ?? []).includes('1'))).toBe(true);
    expect(all.some((m) => m.tshark['bgp.notify.communication'])).toBe(true);
    const segTypes = new Set(all.flatMap((m) => m.tshark['bgp.update.path_attribute.as_path_segment.type'] ?? []).map(Number));
    for (const t of [1, 2, 3]) expect(segTypes, `AS_PATH segment type ${t}`).toContain(t);
  });

  for (const file of files) {
    describe(`${file.scenario}: ${file.description}`, () => {
      for (const m of file.messages) {
        const ctx: CodecContext = m.context;
        const bytes = Buffer.from(m.hex, 'hex');
        const canon = canonicalize(bytes);
        const how = canon.reasons.length ? `canonical re-encoding (${canon.reasons.join('; ')})` : 're-encodes byte-exact';
        it(`${m.id} ${m.type} ${m.from}→${m.to}: decodes as tshark read it; ${how}`, () => {
          const msg = decodeMessage(bytes, ctx);
          expect(ourView(msg)).toEqual(tsharkView(m.tshark, ctx));
          if (msg.type === 'update') expect(msg.attrErrors ?? []).toEqual([]);
          const again = encodeMessage(msg, ctx);
          expect(again.toString('hex')).toBe(canon.bytes.toString('hex'));
          if (canon.reasons.length) {
            const redecoded = decodeMessage(again, ctx);
            if (redecoded.type === 'update' && msg.type === 'update') {
              // The Partial bit is the one value an encoding choice changes (RFC 4271 §5).
              for (const u of [...(msg.attributes.unknown ?? []), ...(redecoded.attributes.unknown ?? [])]) u.flags |= 0x20;
            }
            expect(redecoded).toEqual(msg);
          }
        });
      }
    });
  }
});
