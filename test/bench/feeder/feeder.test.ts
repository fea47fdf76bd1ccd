// The ingest benchmark's feeder against a real bird2: bird connects, and ends up holding exactly the N
// routes the feeder pre-encoded, with the attributes each scenario promises.
import { afterAll, describe, expect, it } from 'vitest';
import { Topology, waitFor } from '../../helpers/netns.js';
import { startBird } from '../../wire/interop/daemons.js';
import { startFeeder } from './feeder.js';
import { encodeFeed, type FeedMode } from './speaker.js';

async function feedBird(topo: Topology, mode: FeedMode, n: number) {
  const fns = topo.netns(`f${mode[0]}`);
  const bns = topo.netns(`b${mode[0]}`);
  topo.link(fns, '10.201.0.1/24', bns, '10.201.0.2/24');
  const feeder = await startFeeder(topo, fns, {
    listen: '10.201.0.1', n, mode, localAs: 4200000001, routerId: '10.201.0.1', nextHop: '10.201.0.1',
  });
  const bird = await startBird(topo, bns, `dut${mode}`, `
router id 10.201.0.2;
protocol device {}
protocol bgp feeder {
  local 10.201.0.2 as 65002; neighbor 10.201.0.1 as 4200000001;
  ipv4 { import all; export none; };
}
`);
  await feeder.established;
  const sent = await feeder.sent;
  await waitFor(`bird to import ${n} routes`, () => {
    const m = /Routes:\s+(\d+) imported/.exec(bird.birdc('show protocols all feeder'));
    return m !== null && Number(m[1]) === n;
  });
  return { bird, sent };
}

describe('ingest feeder', () => {
  const topo = new Topology('feed');
  afterAll(() => topo.destroy());

  it('packs UPDATEs as full as 4096 bytes allow, all sharing one attribute set', () => {
    const { bytes, updates } = encodeFeed({ n: 5000, mode: 'packed', localAs: 65001, routerId: '1.1.1.1', nextHop: '1.1.1.1' });
    // 19-byte header, two length fields, 20 bytes of attributes, then 4 bytes per /24: 1013 prefixes.
    expect(updates).toBe(Math.ceil(5000 / 1013));
    const len = bytes.readUInt16BE(16);
    expect(len).toBe(23 + 20 + 4 * 1013);
    expect(len + 4).toBeGreaterThan(4096);
    const firstAttrs = bytes.subarray(23, 43);
    expect(bytes.subarray(len + 23, len + 43)).toEqual(firstAttrs);
  });

  it('feeds a real bird2 exactly N routes in packed UPDATEs', async () => {
    const n = 5000;
    const { bird, sent } = await feedBird(topo, 'packed', n);
    expect(sent.updates).toBe(5);
    expect(bird.birdc('show route count')).toMatch(new RegExp(`\\b${n} of ${n} routes for ${n} networks`));
    const last = bird.birdc('show route 20.19.135.0/24 all'); // prefix 4999: 20.0.0.0 + 4999 * 256
    expect(last).toContain('BGP.as_path: 4200000001');
  });

  it('feeds a real bird2 N one-prefix UPDATEs, each with its own AS path and community', async () => {
    const n = 700;
    const { bird, sent } = await feedBird(topo, 'unique', n);
    expect(sent.updates).toBe(n);
    expect(bird.birdc('show route count')).toMatch(new RegExp(`\\b${n} of ${n} routes`));
    const r1 = bird.birdc('show route 20.0.1.0/24 all');
    expect(r1).toContain('BGP.as_path: 4200000001 100001');
    expect(r1).toContain('BGP.community: (1,1)');
    const r699 = bird.birdc('show route 20.2.187.0/24 all'); // prefix 699
    expect(r699).toContain('BGP.as_path: 4200000001 100699');
    expect(r699).toContain('BGP.community: (1,699)');
  });
});
