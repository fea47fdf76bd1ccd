// The reflector benchmark's harness: its clients count what the NLRI and withdrawn routes say, and
// with a real bird2 as the reflector they see exactly what bird exported to each of them.
import { afterAll, describe, expect, it } from 'vitest';
import { Topology, waitFor } from '../../helpers/netns.js';
import { startBird } from '../../wire/interop/daemons.js';
import { startFeeder } from './feeder.js';
import { PrefixCounter } from './receiver.js';
import { startReceivers } from './receivers.js';
import { FEED_FIRST, measureReflect, reflectorSetup, RR_AS } from './reflect.js';
import { bird2, birdReflectorConfig } from './reflectors.js';

/** An UPDATE (header included) with these withdrawn and announced prefixes and no attributes. */
function update(withdrawn: [number, number[]][], nlri: [number, number[]][]): Buffer {
  const enc = (l: [number, number[]][]) => Buffer.from(l.flatMap(([bits, bytes]) => [bits, ...bytes]));
  const w = enc(withdrawn);
  const a = Buffer.alloc(0);
  const n = enc(nlri);
  const head = Buffer.alloc(19, 0xff);
  head.writeUInt16BE(19 + 2 + w.length + 2 + a.length + n.length, 16);
  head[18] = 2;
  const wl = Buffer.alloc(2);
  wl.writeUInt16BE(w.length);
  const al = Buffer.alloc(2);
  al.writeUInt16BE(a.length);
  return Buffer.concat([head, wl, w, al, a, n]);
}

describe('reflector benchmark clients', () => {
  it('count each /24 of the feed once, take withdrawals back, and keep other prefixes apart', () => {
    const c = new PrefixCounter((32 << 24) >>> 0, 4); // 32.0.0.0/24 .. 32.0.3.0/24
    c.update(update([], [[24, [32, 0, 0]], [24, [32, 0, 3]], [24, [32, 0, 3]]]));
    expect(c.held).toBe(2);
    c.update(update([[24, [32, 0, 0]]], [[24, [32, 0, 1]], [24, [32, 0, 4]], [16, [32, 0]], [0, []]]));
    expect(c.held).toBe(2); // 32.0.1.0 in, 32.0.0.0 out; 32.0.4.0 is past the feed
    expect(c.other).toBe(3); // 32.0.4.0/24, 32.0.0.0/16, 0.0.0.0/0
    c.update(update([[24, [32, 0, 9]], [16, [32, 0]]], [[24, [32, 0, 0]], [24, [32, 0, 2]]]));
    expect(c.held).toBe(4);
    expect(c.other).toBe(2);
    expect(() => c.update(update([], [[24, [32, 0]]]))).toThrow(/malformed NLRI/);
  });
});

describe('reflector benchmark with bird2 as the reflector', () => {
  const topo = new Topology('rrt');
  afterAll(() => topo.destroy());

  it('measures the time to the last of 10 clients holding a small table', async () => {
    const r = await measureReflect(bird2, 3000, 10, 60_000);
    expect(r.rr).toBe('bird2');
    expect(r.updates).toBe(3); // 1013 /24 per full UPDATE
    expect(r.seconds).toBeGreaterThan(0);
    expect(r.seconds).toBeGreaterThanOrEqual(r.firstSeconds);
    expect(r.peakRssBytes).toBeGreaterThan(0);
  }, 120_000);

  it("each client holds exactly what bird exported to it, withdrawals included", async () => {
    const n = 2500;
    const peers = topo.netns('peers');
    const rns = topo.netns('rr');
    const setup = reflectorSetup(3);
    topo.link(peers, setup.clients.map((a) => `${a}/24`), rns, `${setup.localAddr}/24`);
    const receivers = await startReceivers(topo, peers, { addresses: setup.clients.slice(1), localAs: RR_AS, n, firstPrefix: FEED_FIRST });
    const feeder = await startFeeder(topo, peers, {
      listen: setup.clients[0], n, mode: 'packed', localAs: RR_AS, routerId: setup.clients[0], nextHop: setup.clients[0],
      firstPrefix: FEED_FIRST, ibgp: true, gate: true,
    });
    // Client c2 (the second receiver) gets everything but one prefix.
    const conf = birdReflectorConfig(setup).replace(
      /protocol bgp c2 from rrc \{ (neighbor [^;]+;) \}/,
      'protocol bgp c2 from rrc { $1 ipv4 { import all; export where net != 32.0.7.0/24; gateway direct; }; }',
    );
    expect(conf).toContain('export where net != 32.0.7.0/24');
    const bird = await startBird(topo, rns, 'rr', conf);
    await Promise.all(receivers.established);
    feeder.go();
    await feeder.established;
    await Promise.all([receivers.full[0], receivers.full[2]]);
    const exported = (p: string) => Number(/Routes:\s+\d+ imported, (\d+) exported/.exec(bird.birdc(`show protocols all ${p}`))?.[1]);
    await waitFor('bird to export to c2', () => exported('c2') === n - 1);
    let counts = await receivers.counts();
    expect(counts.held).toEqual([exported('c1'), exported('c2'), exported('c3')]);
    expect(counts.held).toEqual([n, n - 1, n]);
    expect(counts.other).toEqual([0, 0, 0]);
    // The feeder's session going down withdraws its routes from every client.
    bird.birdc('disable c0');
    await waitFor('withdrawn everywhere', async () => (await receivers.counts()).held.every((h) => h === 0));
    counts = await receivers.counts();
    expect(counts.held).toEqual([0, 0, 0]);
  }, 120_000);
});
