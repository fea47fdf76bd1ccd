// Rib.ingest (UPDATE bodies applied from their bytes) against Rib.update (the decoded way): two RIBs
// fed the same random stream of UPDATEs — announcements, replacements, withdrawals, loops of every
// kind, next hops shared and not — must hold the same table, the same best paths and the same
// counts, and ingest must take the plain UPDATEs itself (else the test would prove nothing).
import { describe, expect, it } from 'vitest';
import { Rib, type RibRouteView } from '../../bgpd/rib/index.js';
import { US, idle, peerCfg, rng } from './helpers.js';
import type { Policy, PolicyRoute } from '../../bgpd/policy/types.js';
import { AFI, decodeMessage, encodeMessage, prefixList, type CodecContext, type PathAttributes, type UpdateMessage } from '../../bgpd/wire/index.js';

const CTX: CodecContext = { as4: true, addPath: { ipv4: false, ipv6: false }, extendedMessage: false };
const RID = 0x0a000001;
const CLUSTER = 0x0a0000fe;

/** Accepts all but 10.0.7.0/24 on import, so filtered routes are compared too. */
const policy: Policy = {
  exportFilter: () => () => ({ communities: [], largeCommunities: [] }),
  importFilter: () => (r: PolicyRoute) => !(r.v4 === 0x0a000700 && r.len === 24),
  kernelFilter: () => true,
  originated: () => [],
  key: () => 'k',
};

function newRib(): Rib {
  const rib = new Rib({ routerId: RID, localAs: US, clusterId: CLUSTER });
  rib.setPolicy(policy);
  rib.addPeer(peerCfg('ebgp', {}));
  rib.addPeer(peerCfg('ibgp', { peerAs: US, rrClient: true, numAllowedLocalAS: 1 }));
  return rib;
}

/** The UPDATE body of a message as it came off the wire (header stripped). */
const body = (u: UpdateMessage): Buffer => encodeMessage(u, CTX).subarray(19);

function randomUpdate(r: () => number): UpdateMessage {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const prefixes = (): string[] => Array.from({ length: Math.floor(r() * 4) }, () => `10.0.${Math.floor(r() * 12)}.0/24`);
  const withdrawn = r() < 0.3 ? prefixes() : [];
  const nlri = r() < 0.85 ? prefixes() : [];
  const attrs: PathAttributes = {};
  if (nlri.length) {
    attrs.origin = pick([0, 1, 2]);
    const asns = Array.from({ length: Math.floor(r() * 3) }, () => pick([65001, 65002, US]));
    attrs.asPath = asns.length ? [{ type: pick([1, 2]), asns }] : [];
    attrs.nextHop = pick(['192.0.2.1', '192.0.2.2', '198.51.100.7']);
    if (r() < 0.5) attrs.localPref = pick([50, 100, 200]);
    if (r() < 0.5) attrs.med = pick([0, 10, 3_000_000_000]);
    if (r() < 0.3) attrs.communities = [pick([0xfde80001, 0x00010002])];
    if (r() < 0.2) attrs.originatorId = pick([RID, 0x0a000002, 0xc0a80101]);
    if (r() < 0.2) attrs.clusterList = [pick([CLUSTER, 0x0a000003])];
  }
  return { type: 'update', withdrawn: prefixList(AFI.IPv4, withdrawn), attributes: attrs, nlri: prefixList(AFI.IPv4, nlri) };
}

const view = (r: RibRouteView) => ({ ...r, attrId: 0, since: 0, attrs: { ...r.attrs } });

describe('Rib.ingest', () => {
  it('holds what update() holds for the same UPDATEs, and takes the plain ones itself', async () => {
    const r = rng(11);
    const decoded = newRib();
    const raw = newRib();
    let taken = 0;
    let total = 0;
    for (let step = 0; step < 3000; step++) {
      const peer = r() < 0.5 ? 'ebgp' : 'ibgp';
      const wire = encodeMessage(randomUpdate(r), CTX);
      const b = wire.subarray(19);
      const u = decodeMessage(wire, CTX) as UpdateMessage;
      decoded.update(peer, u, true);
      // Put the body at an offset inside a larger buffer, as a socket chunk holds it.
      const chunk = Buffer.concat([Buffer.from([1, 2, 3]), b, Buffer.from([4, 5])]);
      const empty = u.withdrawn.count === 0 && u.nlri.count === 0;
      if (!empty) total++;
      if (raw.ingest(peer, chunk, 3, 3 + b.length)) taken++;
      else raw.update(peer, u, true);
      if (step % 500 === 499) {
        await idle(decoded);
        await idle(raw);
        expect([...raw.routes()].map(view)).toEqual([...decoded.routes()].map(view));
      }
    }
    await idle(decoded);
    await idle(raw);
    expect([...raw.routes()].map(view)).toEqual([...decoded.routes()].map(view));
    for (const p of ['ebgp', 'ibgp']) expect(raw.counts(p)).toEqual(decoded.counts(p));
    expect(raw.routeCount()).toEqual(decoded.routeCount());
    expect(raw.attrs.size).toBe(decoded.attrs.size);
    // Empty UPDATEs (End-of-RIB) are the only ones the generator makes that ingest declines.
    expect(taken).toBe(total);
  });

  it('declines what needs the decoder and changes nothing then', () => {
    const rib = newRib();
    const martian = body({ type: 'update', withdrawn: prefixList(AFI.IPv4, []), attributes: { origin: 0, asPath: [], nextHop: '127.0.0.1' }, nlri: prefixList(AFI.IPv4, ['10.0.1.0/24']) });
    expect(rib.ingest('ebgp', martian, 0, martian.length)).toBe(false);
    const eor = body({ type: 'update', withdrawn: prefixList(AFI.IPv4, []), attributes: {}, nlri: prefixList(AFI.IPv4, []) });
    expect(rib.ingest('ebgp', eor, 0, eor.length)).toBe(false);
    expect([...rib.routes()]).toEqual([]);
  });
});
