// The RIB without sockets: peers are fake links that record the bytes the Adj-RIB-Out sends, and
// every recorded message is decoded again by the real codec. Covers the Adj-RIB-In (announce,
// replace, withdraw, treat-as-withdraw, interning, stale marks and sweeps), the Loc-RIB (best path,
// fallback, batched best-change reports, multipath), the Adj-RIB-Out (packing by attribute set,
// backpressure and drain, End-of-RIB after the dump, route refresh with BoRR/EoRR, update groups),
// next hop and AS path rules, loops, max-prefix, this node's routes and policy reloads.
import { describe, expect, it } from 'vitest';
import { Rib, type BestChange, type PeerLink } from '../../bgpd/rib/index.js';
import { US, idle, peerCfg } from './helpers.js';
import type { ExportFilter, Policy, PolicyRoute } from '../../bgpd/policy/types.js';
import { AFI, SAFI, decodeMessage, encodeMessage, endOfRib, isEndOfRib, prefixList, prefixListToStrings, type CodecContext, type PathAttributes, type UpdateMessage } from '../../bgpd/wire/index.js';

const CTX: CodecContext = { as4: true, addPath: { ipv4: false, ipv6: false }, extendedMessage: false };
const RID = 0x0a000001; // 10.0.0.1

class FakeLink implements PeerLink {
  sent: Buffer[] = [];
  refreshes: number[] = [];
  /** Messages after which send() reports a full socket (Infinity: never). */
  room = Infinity;
  encodeContext: CodecContext | null = CTX;
  constructor(readonly localAddress: string) {}
  send(messages: Buffer[]): boolean {
    this.sent.push(...messages);
    this.room -= messages.length;
    return this.room > 0;
  }
  sendEndOfRib(afi: 1 | 2): boolean {
    this.sent.push(encodeMessage(endOfRib(afi), CTX));
    return true;
  }
  sendRouteRefresh(_afi: 1 | 2, subtype: 0 | 1 | 2): boolean {
    this.refreshes.push(subtype);
    this.sent.push(Buffer.from(`refresh-${subtype}`));
    return true;
  }
  /** Decoded UPDATEs (markers for refreshes as strings). */
  updates(): (UpdateMessage | string)[] {
    return this.sent.map((b) => (b.toString().startsWith('refresh-') ? b.toString() : (decodeMessage(b, CTX) as UpdateMessage)));
  }
  /** prefix → attributes last announced (withdrawals remove). */
  table(): Map<string, PathAttributes> {
    const t = new Map<string, PathAttributes>();
    for (const u of this.updates()) {
      if (typeof u === 'string') continue;
      for (const p of prefixListToStrings(u.withdrawn)) t.delete(p);
      if (u.attributes.mpUnreach) for (const p of prefixListToStrings(u.attributes.mpUnreach.nlri)) t.delete(p);
      for (const p of prefixListToStrings(u.nlri)) t.set(p, u.attributes);
      if (u.attributes.mpReach) for (const p of prefixListToStrings(u.attributes.mpReach.nlri)) t.set(p, u.attributes);
    }
    return t;
  }
  eors(): number {
    return this.updates().filter((u) => typeof u !== 'string' && isEndOfRib(u)).length;
  }
}

const none4 = prefixList(AFI.IPv4, []);
function announce(prefixes: string[], attrs: PathAttributes): UpdateMessage {
  return { type: 'update', withdrawn: none4, attributes: attrs, nlri: prefixList(AFI.IPv4, prefixes) };
}
const withdraw = (prefixes: string[]): UpdateMessage => ({ type: 'update', withdrawn: prefixList(AFI.IPv4, prefixes), attributes: {}, nlri: none4 });
const ebgpAttrs = (nextHop: string, asns: number[] = [65001], extra: PathAttributes = {}): PathAttributes => ({ origin: 0, asPath: [{ type: 2, asns }], nextHop, ...extra });

/** Accept everything; `reject` prefixes are refused on export. */
function testPolicy(reject: string[] = [], key = 'k1', importReject: string[] = []): Policy {
  const text = (r: PolicyRoute) => `${[24, 16, 8, 0].map((s) => (r.v4 >>> s) & 255).join('.')}/${r.len}`;
  const exp: ExportFilter = (r) => (reject.includes(text(r)) ? null : ACCEPT);
  return {
    exportFilter: () => exp,
    importFilter: () => (r) => !importReject.includes(text(r)),
    kernelFilter: () => true,
    originated: () => [],
    key: () => key,
  };
}
const ACCEPT = { communities: [], largeCommunities: [] };

function newRib(o: { clusterId?: number | null; onMaxPrefix?: (p: string, n: number) => void } = {}): Rib {
  const rib = new Rib({ routerId: RID, localAs: US, clusterId: o.clusterId ?? null, ...(o.onMaxPrefix ? { onMaxPrefix: o.onMaxPrefix } : {}) });
  rib.setPolicy(testPolicy());
  return rib;
}

const many = (n: number, second = 0) => Array.from({ length: n }, (_, i) => `10.${second}.${i >> 8}.${i & 255}/32`);

describe('Adj-RIB-In', () => {
  it('keeps the last announcement per prefix, forgets withdrawn ones, and counts', async () => {
    const rib = newRib();
    rib.addPeer(peerCfg('a'));
    rib.update('a', announce(['10.1.0.0/24', '10.2.0.0/24'], ebgpAttrs('192.0.2.1')));
    rib.update('a', announce(['10.1.0.0/24'], ebgpAttrs('192.0.2.9')));
    expect(rib.routesOf('10.1.0.0/24')[0].nextHops).toEqual(['192.0.2.9']);
    rib.update('a', withdraw(['10.2.0.0/24', '10.99.0.0/24']));
    await idle(rib);
    expect(rib.routesOf('10.2.0.0/24')).toEqual([]);
    expect(rib.counts('a')).toMatchObject({ received: 1, imported: 1, filtered: 0, preferred: 1 });
    expect(rib.routeCount()).toEqual({ routes: 1, networks: 1 });
  });

  it('interns attribute sets: equal sets from two peers share one frozen set, withdrawn ones go', () => {
    const rib = newRib();
    rib.addPeer(peerCfg('a'));
    rib.addPeer(peerCfg('b'));
    const before = rib.attrs.size;
    rib.update('a', announce(['10.1.0.0/24'], ebgpAttrs('192.0.2.1')));
    rib.update('b', announce(['10.2.0.0/24'], ebgpAttrs('192.0.2.1')));
    expect(rib.attrs.size).toBe(before + 1);
    const [ra] = rib.routesOf('10.1.0.0/24');
    const [rb] = rib.routesOf('10.2.0.0/24');
    expect(ra.attrId).toBe(rb.attrId);
    expect(ra.attrs).toEqual(rb.attrs);
    expect(Object.isFrozen(ra.attrs)).toBe(true);
    rib.update('a', withdraw(['10.1.0.0/24']));
    expect(rib.attrs.size).toBe(before + 1);
    rib.update('b', withdraw(['10.2.0.0/24']));
    expect(rib.attrs.size).toBe(before);
  });

  it('interns on the decoder attrKey bytes, per AS width', () => {
    const rib = newRib();
    rib.addPeer(peerCfg('a'));
    const key = Buffer.from([0x40, 1, 1, 0]);
    const u = (p: string, nh: string): UpdateMessage => ({ ...announce([p], ebgpAttrs(nh)), attrKey: key });
    rib.update('a', u('10.1.0.0/24', '192.0.2.1'), true);
    rib.update('a', u('10.2.0.0/24', '192.0.2.1'), true);
    rib.update('a', u('10.3.0.0/24', '192.0.2.1'), false);
    expect(rib.routesOf('10.1.0.0/24')[0].attrId).toBe(rib.routesOf('10.2.0.0/24')[0].attrId);
    expect(rib.routesOf('10.3.0.0/24')[0].attrId).not.toBe(rib.routesOf('10.1.0.0/24')[0].attrId);
    // The byte table keeps the bytes alone: its sets are decoded from them when asked.
    expect(rib.routesOf('10.1.0.0/24')[0].attrs).toEqual({ origin: 0 });
  });

  it('RFC 7606 treat-as-withdraw removes what the UPDATE names', () => {
    const rib = newRib();
    rib.addPeer(peerCfg('a'));
    rib.update('a', announce(['10.1.0.0/24'], ebgpAttrs('192.0.2.1')));
    rib.update('a', { ...announce(['10.1.0.0/24'], ebgpAttrs('192.0.2.1')), treatAsWithdraw: true });
    expect(rib.routesOf('10.1.0.0/24')).toEqual([]);
  });

  it('IPv6 through MP_REACH / MP_UNREACH', async () => {
    const rib = newRib();
    rib.addPeer(peerCfg('a', { family: 6 }));
    const mp = (p: string[]): UpdateMessage => ({ type: 'update', withdrawn: none4, nlri: none4, attributes: { origin: 0, asPath: [{ type: 2, asns: [65001] }], mpReach: { afi: AFI.IPv6, safi: SAFI.Unicast, nextHops: ['fd00::2', 'fe80::2'], nlri: prefixList(AFI.IPv6, p) } } });
    rib.update('a', mp(['fd00:1::/64', 'fd00:2::/64']));
    await idle(rib);
    expect(rib.routesOf('fd00:1::/64')[0]).toMatchObject({ afi: 2, nextHops: ['fd00::2', 'fe80::2'], best: true });
    expect(rib.bestOf('fd00:2::/64')!.nextHops).toEqual(['fd00::2']);
    rib.update('a', { type: 'update', withdrawn: none4, nlri: none4, attributes: { mpUnreach: { afi: AFI.IPv6, safi: SAFI.Unicast, nlri: prefixList(AFI.IPv6, ['fd00:1::/64']) } } });
    expect(rib.routesOf('fd00:1::/64')).toEqual([]);
    expect(rib.routesOf('fd00:2::/64')).toHaveLength(1);
  });

  it('graceful restart: routes stay stale through a restart, re-announced ones lose the mark, the rest are swept', async () => {
    const rib = newRib();
    rib.addPeer(peerCfg('a'));
    rib.update('a', announce(many(10), ebgpAttrs('192.0.2.1')));
    rib.down('a', true);
    expect([...rib.routes()].every((r) => r.stale)).toBe(true);
    expect(rib.routeCount().routes).toBe(10);
    rib.up('a', new FakeLink('10.0.0.1'), 2);
    rib.update('a', announce(many(4), ebgpAttrs('192.0.2.1')));
    expect([...rib.routes()].filter((r) => !r.stale)).toHaveLength(4);
    expect(rib.sweep('a', AFI.IPv4)).toBe(6);
    await idle(rib);
    expect(rib.routeCount()).toEqual({ routes: 4, networks: 4 });
    // Without graceful restart the routes go at once.
    rib.down('a', false);
    await idle(rib);
    expect(rib.routeCount()).toEqual({ routes: 0, networks: 0 });
  });

  it('import policy: refused routes are kept as filtered and come back when the policy changes', async () => {
    const rib = newRib();
    rib.setPolicy(testPolicy([], 'k1', ['10.1.0.0/24']));
    rib.addPeer(peerCfg('a'));
    rib.update('a', announce(['10.1.0.0/24', '10.2.0.0/24'], ebgpAttrs('192.0.2.1')));
    await idle(rib);
    expect(rib.counts('a')).toMatchObject({ received: 2, imported: 1, filtered: 1 });
    expect(rib.routesOf('10.1.0.0/24')).toEqual([]);
    rib.setPolicy(testPolicy([], 'k2'));
    await idle(rib);
    expect(rib.counts('a')).toMatchObject({ received: 2, imported: 2, filtered: 0 });
    expect(rib.bestOf('10.1.0.0/24')!.session).toBe('a');
  });
});

describe('loops and limits', () => {
  it('drops paths holding our AS unless numAllowedLocalAS allows as many', () => {
    const rib = newRib();
    rib.addPeer(peerCfg('a'));
    rib.addPeer(peerCfg('b', { numAllowedLocalAS: 1 }));
    rib.update('a', announce(['10.1.0.0/24'], ebgpAttrs('192.0.2.1')));
    rib.update('a', announce(['10.1.0.0/24'], ebgpAttrs('192.0.2.1', [65001, US])));
    expect(rib.routesOf('10.1.0.0/24')).toEqual([]); // the looped announcement withdrew the older one
    rib.update('b', announce(['10.2.0.0/24'], ebgpAttrs('192.0.2.1', [65001, US])));
    rib.update('b', announce(['10.3.0.0/24'], ebgpAttrs('192.0.2.1', [US, 65001, US])));
    expect(rib.routesOf('10.2.0.0/24')).toHaveLength(1);
    expect(rib.routesOf('10.3.0.0/24')).toEqual([]);
  });

  it('drops iBGP paths with our router id as ORIGINATOR_ID or our cluster id in CLUSTER_LIST (RFC 4456 §8)', () => {
    const rib = newRib({ clusterId: 0xf4000001 });
    rib.addPeer(peerCfg('c', { peerAs: US, rrClient: true }));
    const ibgp = (extra: PathAttributes) => ({ origin: 0 as const, asPath: [], nextHop: '10.0.0.5', localPref: 100, ...extra });
    rib.update('c', announce(['10.1.0.0/24'], ibgp({ clusterList: [0x01020304, 0xf4000001] })));
    rib.update('c', announce(['10.2.0.0/24'], ibgp({ originatorId: RID })));
    rib.update('c', announce(['10.3.0.0/24'], ibgp({ originatorId: 7, clusterList: [0x01020304] })));
    expect(rib.routesOf('10.1.0.0/24')).toEqual([]);
    expect(rib.routesOf('10.2.0.0/24')).toEqual([]);
    expect(rib.routesOf('10.3.0.0/24')).toHaveLength(1);
  });

  it('max-prefix: past the limit the owner is told once per UPDATE that crosses it', () => {
    const hits: [string, number][] = [];
    const rib = newRib({ onMaxPrefix: (p, n) => hits.push([p, n]) });
    rib.addPeer(peerCfg('a', { maxPrefixes: 10 }));
    rib.update('a', announce(many(10), ebgpAttrs('192.0.2.1')));
    expect(hits).toEqual([]);
    rib.update('a', announce(many(1, 1), ebgpAttrs('192.0.2.1')));
    expect(hits).toEqual([['a', 10]]);
  });
});

describe('Loc-RIB', () => {
  it('chooses the best path, falls back when it goes, and reports changes in batches', async () => {
    const rib = newRib();
    const batches: BestChange[][] = [];
    rib.onBestChange((c) => batches.push(c));
    rib.addPeer(peerCfg('a', { peerAddress: '192.0.2.1' }));
    rib.addPeer(peerCfg('b', { peerAddress: '192.0.2.2', peerAs: 65002 }));
    rib.update('a', announce(['10.1.0.0/24'], ebgpAttrs('192.0.2.1', [65001, 65010])));
    rib.update('b', announce(['10.1.0.0/24'], ebgpAttrs('192.0.2.2', [65002])));
    await idle(rib);
    expect(batches).toEqual([[{ prefix: '10.1.0.0/24', afi: 1, nextHops: ['192.0.2.2'], session: 'b' }]]);
    expect(rib.routesOf('10.1.0.0/24').map((r) => [r.session, r.best])).toEqual([['b', true], ['a', false]]);
    rib.update('b', withdraw(['10.1.0.0/24']));
    await idle(rib);
    expect(batches[1]).toEqual([{ prefix: '10.1.0.0/24', afi: 1, nextHops: ['192.0.2.1'], session: 'a' }]);
    rib.update('a', withdraw(['10.1.0.0/24']));
    await idle(rib);
    expect(batches[2]).toEqual([{ prefix: '10.1.0.0/24', afi: 1, nextHops: [], session: null }]);
    expect(rib.routeCount()).toEqual({ routes: 0, networks: 0 });
  });

  it('multipath: equal paths from two peers give both next hops', async () => {
    const rib = newRib();
    const batches: BestChange[][] = [];
    rib.onBestChange((c) => batches.push(c));
    rib.addPeer(peerCfg('a', { peerAddress: '192.0.2.1' }));
    rib.addPeer(peerCfg('b', { peerAddress: '192.0.2.2' }));
    rib.up('a', new FakeLink('192.0.2.100'), 0x0a000005);
    rib.up('b', new FakeLink('192.0.2.100'), 0x0a000003);
    rib.update('a', announce(['10.1.0.0/24'], ebgpAttrs('192.0.2.1')));
    rib.update('b', announce(['10.1.0.0/24'], ebgpAttrs('192.0.2.2')));
    await idle(rib);
    // b has the lower router id: it is the best, a its multipath partner.
    expect(rib.bestOf('10.1.0.0/24')).toEqual({ session: 'b', nextHops: ['192.0.2.2', '192.0.2.1'], ecmp: 2 });
    expect(batches.flat().at(-1)!.nextHops).toEqual(['192.0.2.2', '192.0.2.1']);
  });

  it('decides a big table in bounded batches', async () => {
    const rib = new Rib({ routerId: RID, localAs: US, clusterId: null, batch: 1000 });
    rib.setPolicy(testPolicy());
    const sizes: number[] = [];
    rib.onBestChange((c) => sizes.push(c.length));
    rib.addPeer(peerCfg('a'));
    rib.update('a', announce(many(5000), ebgpAttrs('192.0.2.1')));
    await idle(rib);
    expect(sizes).toEqual([1000, 1000, 1000, 1000, 1000]);
  });
});

describe('Adj-RIB-Out', () => {
  it('packs prefixes by attribute set, prepends our AS, sets next hop self for eBGP, then End-of-RIB', async () => {
    const rib = newRib();
    rib.addPeer(peerCfg('a', { peerAddress: '192.0.2.1' }));
    rib.addPeer(peerCfg('b', { peerAddress: '198.51.100.2', peerAs: 65002 }));
    rib.update('a', announce(many(3000), ebgpAttrs('192.0.2.1', [65001], { med: 7 })));
    rib.update('a', announce(many(10, 1), ebgpAttrs('192.0.2.1', [65001, 65009])));
    await idle(rib);
    const link = new FakeLink('198.51.100.1');
    rib.up('b', link, 0x0a000002);
    await idle(rib);
    const ups = link.updates() as UpdateMessage[];
    expect(isEndOfRib(ups.at(-1)!)).not.toBeNull();
    expect(link.eors()).toBe(1);
    // 3000 /32s at 5 octets each need 4 full UPDATEs; the 10 others one more.
    expect(ups.length - 1).toBe(5);
    for (const u of ups.slice(0, -1)) expect(u.attributes.nextHop).toBe('198.51.100.1');
    const t = link.table();
    expect(t.size).toBe(3010);
    expect(t.get('10.0.0.1/32')!.asPath).toEqual([{ type: 2, asns: [US, 65001] }]);
    expect(t.get('10.1.0.1/32')!.asPath).toEqual([{ type: 2, asns: [US, 65001, 65009] }]);
    // RFC 4271 §5.1.4: a neighbouring AS's MED is not passed on to another AS.
    expect(t.get('10.0.0.1/32')!.med).toBeUndefined();
    expect(rib.counts('b')!.exported).toBe(3010);
    // a is never sent its own routes.
    const la = new FakeLink('192.0.2.100');
    rib.up('a', la, 0x0a000003);
    await idle(rib);
    expect(la.table().size).toBe(0);
    expect(la.eors()).toBe(1);
  });

  it('withdraws what is no longer the best to send', async () => {
    const rib = newRib();
    rib.addPeer(peerCfg('a'));
    rib.addPeer(peerCfg('b', { peerAs: 65002 }));
    const link = new FakeLink('198.51.100.1');
    rib.up('b', link, 2);
    rib.update('a', announce(['10.1.0.0/24', '10.2.0.0/24'], ebgpAttrs('192.0.2.1')));
    await idle(rib);
    rib.update('a', withdraw(['10.1.0.0/24']));
    await idle(rib);
    expect([...link.table().keys()]).toEqual(['10.2.0.0/24']);
    expect(rib.counts('b')!.exported).toBe(1);
  });

  it('backpressure: stops when the socket is full, goes on at drain, End-of-RIB last', async () => {
    const rib = newRib();
    rib.addPeer(peerCfg('a'));
    rib.addPeer(peerCfg('b', { peerAs: 65002 }));
    rib.update('a', announce(many(20_000), ebgpAttrs('192.0.2.1')));
    await idle(rib);
    const link = new FakeLink('198.51.100.1');
    link.room = 2;
    rib.up('b', link, 2);
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    const stalled = link.sent.length;
    expect(stalled).toBeLessThan(10);
    expect(link.eors()).toBe(0);
    expect(rib.idle).toBe(false);
    for (let round = 0; round < 100 && !rib.idle; round++) {
      link.room = 2;
      rib.drain('b');
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    }
    await idle(rib);
    expect(link.table().size).toBe(20_000);
    expect(link.eors()).toBe(1);
    expect(isEndOfRib(link.updates().at(-1) as UpdateMessage)).not.toBeNull();
  });

  it('route refresh: the table again, between BoRR and EoRR when enhanced (RFC 7313)', async () => {
    const rib = newRib();
    rib.addPeer(peerCfg('a'));
    rib.addPeer(peerCfg('b', { peerAs: 65002 }));
    rib.update('a', announce(many(100), ebgpAttrs('192.0.2.1')));
    const link = new FakeLink('198.51.100.1');
    rib.up('b', link, 2);
    await idle(rib);
    link.sent = [];
    rib.refresh('b', true);
    await idle(rib);
    const u = link.updates();
    expect(u[0]).toBe('refresh-1');
    expect(u.at(-1)).toBe('refresh-2');
    expect(link.table().size).toBe(100);
    link.sent = [];
    rib.refresh('b', false);
    await idle(rib);
    expect(link.refreshes).toEqual([1, 2]);
    expect(link.table().size).toBe(100);
    expect(link.eors()).toBe(0);
  });

  it('export policy: refused prefixes are not sent; a reload with a new key re-evaluates the export', async () => {
    const rib = newRib();
    rib.setPolicy(testPolicy(['10.2.0.0/24']));
    rib.addPeer(peerCfg('a'));
    rib.addPeer(peerCfg('b', { peerAs: 65002 }));
    rib.update('a', announce(['10.1.0.0/24', '10.2.0.0/24'], ebgpAttrs('192.0.2.1')));
    const link = new FakeLink('198.51.100.1');
    rib.up('b', link, 2);
    await idle(rib);
    expect([...link.table().keys()]).toEqual(['10.1.0.0/24']);
    // Same key: nothing is looked at again, even though the closures differ.
    rib.setPolicy(testPolicy(['10.1.0.0/24']));
    await idle(rib);
    expect([...link.table().keys()]).toEqual(['10.1.0.0/24']);
    rib.setPolicy(testPolicy(['10.1.0.0/24'], 'k2'));
    await idle(rib);
    expect([...link.table().keys()]).toEqual(['10.2.0.0/24']);
  });

  it('prefixAdvertisements communities from the export verdict are added', async () => {
    const rib = newRib();
    const verdict = { communities: [65000 * 65536 + 100], largeCommunities: [[65000, 1, 2]] as [number, number, number][] };
    rib.setPolicy({ ...testPolicy(), exportFilter: () => () => verdict });
    rib.addPeer(peerCfg('a'));
    rib.addPeer(peerCfg('b', { peerAs: 65002 }));
    rib.update('a', announce(['10.1.0.0/24'], ebgpAttrs('192.0.2.1', [65001], { communities: [1] })));
    const link = new FakeLink('198.51.100.1');
    rib.up('b', link, 2);
    await idle(rib);
    expect(link.table().get('10.1.0.0/24')).toMatchObject({ communities: [1, 65000 * 65536 + 100], largeCommunities: [[65000, 1, 2]] });
  });

  it('peers with the same policy and target share an update group and get the same bytes', async () => {
    const rib = newRib();
    rib.addPeer(peerCfg('a'));
    rib.addPeer(peerCfg('b', { peerAs: 65002 }));
    rib.addPeer(peerCfg('c', { peerAs: 65003 }));
    rib.update('a', announce(many(500), ebgpAttrs('192.0.2.1')));
    const lb = new FakeLink('198.51.100.1');
    const lc = new FakeLink('198.51.100.1');
    rib.up('b', lb, 2);
    rib.up('c', lc, 3);
    await idle(rib);
    expect(rib.groupCount).toBe(1);
    expect(Buffer.concat(lb.sent).equals(Buffer.concat(lc.sent))).toBe(true);
    // Another local address is another next hop: another group.
    rib.addPeer(peerCfg('d', { peerAs: 65004 }));
    rib.up('d', new FakeLink('203.0.113.1'), 4);
    expect(rib.groupCount).toBe(2);
  });

  it("this node's own routes: originated, sent with our address and an IGP origin, withdrawn when gone", async () => {
    const rib = newRib();
    rib.addPeer(peerCfg('i', { peerAs: US }));
    rib.addPeer(peerCfg('e', { peerAs: 65002 }));
    const li = new FakeLink('10.0.0.1');
    const le = new FakeLink('10.0.0.1');
    rib.up('i', li, 2);
    rib.up('e', le, 3);
    rib.setOriginated(['10.65.0.0/26', '10.65.1.0/26']);
    await idle(rib);
    expect(rib.routesOf('10.65.0.0/26')[0]).toMatchObject({ session: null, best: true });
    expect(li.table().get('10.65.0.0/26')).toEqual({ origin: 0, asPath: [], nextHop: '10.0.0.1', localPref: 100 });
    expect(le.table().get('10.65.0.0/26')).toEqual({ origin: 0, asPath: [{ type: 2, asns: [US] }], nextHop: '10.0.0.1' });
    rib.setOriginated(['10.65.1.0/26']);
    await idle(rib);
    expect([...li.table().keys()]).toEqual(['10.65.1.0/26']);
    expect([...le.table().keys()]).toEqual(['10.65.1.0/26']);
  });
});

describe('next hop and iBGP rules', () => {
  it('BIRD defaults: keep towards iBGP, self towards eBGP; self and keep modes override', async () => {
    const rib = newRib();
    rib.addPeer(peerCfg('src', { peerAs: 65009 }));
    rib.addPeer(peerCfg('ibgp', { peerAs: US }));
    rib.addPeer(peerCfg('ibgpSelf', { peerAs: US, nextHop: 'self' }));
    rib.addPeer(peerCfg('ebgpKeep', { peerAs: 65002, nextHop: 'keep' }));
    const links = { ibgp: new FakeLink('10.0.0.1'), ibgpSelf: new FakeLink('10.0.0.1'), ebgpKeep: new FakeLink('10.0.0.1') };
    for (const [n, l] of Object.entries(links)) rib.up(n, l, 9);
    rib.update('src', announce(['10.1.0.0/24'], ebgpAttrs('192.0.2.9', [65009], { localPref: 300 })));
    await idle(rib);
    expect(links.ibgp.table().get('10.1.0.0/24')).toMatchObject({ nextHop: '192.0.2.9', localPref: 100, asPath: [{ type: 2, asns: [65009] }] });
    expect(links.ibgpSelf.table().get('10.1.0.0/24')!.nextHop).toBe('10.0.0.1');
    expect(links.ebgpKeep.table().get('10.1.0.0/24')).toMatchObject({ nextHop: '192.0.2.9', asPath: [{ type: 2, asns: [US, 65009] }] });
  });

  it('without route reflection an iBGP path is not sent to another iBGP peer (RFC 4271 §9.2)', async () => {
    const rib = newRib();
    rib.addPeer(peerCfg('i1', { peerAs: US }));
    rib.addPeer(peerCfg('i2', { peerAs: US }));
    rib.addPeer(peerCfg('e', { peerAs: 65002 }));
    const l2 = new FakeLink('10.0.0.1');
    const le = new FakeLink('10.0.0.1');
    rib.up('i2', l2, 2);
    rib.up('e', le, 3);
    rib.update('i1', announce(['10.1.0.0/24'], { origin: 0, asPath: [], nextHop: '10.0.0.7', localPref: 100 }));
    await idle(rib);
    expect(l2.table().size).toBe(0);
    expect(le.table().get('10.1.0.0/24')).toMatchObject({ nextHop: '10.0.0.1', asPath: [{ type: 2, asns: [US] }] });
    expect(le.table().get('10.1.0.0/24')!.localPref).toBeUndefined();
  });
});

describe('route reflection (RFC 4456)', () => {
  const CLUSTER = 0xf4000001; // 244.0.0.1
  async function setup() {
    const rib = newRib({ clusterId: CLUSTER });
    const names = ['c1', 'c2', 'n1', 'n2'] as const;
    const links: Record<string, FakeLink> = {};
    names.forEach((n, i) => {
      rib.addPeer(peerCfg(n, { peerAs: US, rrClient: n.startsWith('c'), peerAddress: `10.0.0.${i + 2}` }));
      links[n] = new FakeLink('10.0.0.1');
      rib.up(n, links[n], 0x0a000002 + i);
    });
    rib.addPeer(peerCfg('ext', { peerAs: 65002 }));
    links.ext = new FakeLink('10.0.0.1');
    rib.up('ext', links.ext, 0x0a0000ff);
    const ibgp = (nh: string): PathAttributes => ({ origin: 0, asPath: [], nextHop: nh, localPref: 100 });
    rib.update('c1', announce(['10.1.0.0/24'], ibgp('10.0.0.2')));
    rib.update('n1', announce(['10.3.0.0/24'], ibgp('10.0.0.4')));
    await idle(rib);
    return { rib, links };
  }

  it("a client's path goes to every other peer, with ORIGINATOR_ID and our CLUSTER_ID prepended", async () => {
    const { links } = await setup();
    for (const n of ['c2', 'n1', 'n2']) {
      expect(links[n].table().get('10.1.0.0/24')).toEqual({ origin: 0, asPath: [], nextHop: '10.0.0.2', localPref: 100, originatorId: 0x0a000002, clusterList: [CLUSTER] });
    }
    expect(links.c1.table().has('10.1.0.0/24')).toBe(false);
    // Towards eBGP neither attribute is sent, and the next hop is ours.
    expect(links.ext.table().get('10.1.0.0/24')).toEqual({ origin: 0, asPath: [{ type: 2, asns: [US] }], nextHop: '10.0.0.1' });
  });

  it("a non-client's path goes to clients only", async () => {
    const { links } = await setup();
    expect(links.c1.table().get('10.3.0.0/24')).toMatchObject({ originatorId: 0x0a000004, clusterList: [CLUSTER], nextHop: '10.0.0.4' });
    expect(links.c2.table().has('10.3.0.0/24')).toBe(true);
    expect(links.n2.table().has('10.3.0.0/24')).toBe(false);
    expect(links.n1.table().has('10.3.0.0/24')).toBe(false);
  });

  it('an ORIGINATOR_ID already there is kept and the CLUSTER_LIST grows', async () => {
    const { rib, links } = await setup();
    rib.update('c1', announce(['10.5.0.0/24'], { origin: 0, asPath: [], nextHop: '10.9.9.9', localPref: 100, originatorId: 0x0a090909, clusterList: [0x01010101] }));
    await idle(rib);
    expect(links.n1.table().get('10.5.0.0/24')).toMatchObject({ originatorId: 0x0a090909, clusterList: [CLUSTER, 0x01010101] });
  });

  it('eBGP paths go to clients and non-clients without reflection attributes', async () => {
    const { rib, links } = await setup();
    rib.update('ext', announce(['10.7.0.0/24'], ebgpAttrs('192.0.2.7', [65002])));
    await idle(rib);
    for (const n of ['c1', 'n1']) {
      const a = links[n].table().get('10.7.0.0/24')!;
      expect(a).toMatchObject({ nextHop: '192.0.2.7', localPref: 100 });
      expect(a.originatorId).toBeUndefined();
      expect(a.clusterList).toBeUndefined();
    }
  });
});
