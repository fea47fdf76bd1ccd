// FRR as the peer: IPv4 and IPv6 sessions with 4-octet ASNs, our blocks in FRR's table with our
// next hop, 1,000 prefixes from FRR, withdrawals both ways, route refresh, hold timer expiry and
// TCP close with reconnect backoff.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, waitFor } from '../helpers/netns.js';
import type { Speaker } from '../../bgpd/speaker.js';
import { Frr } from './daemons/frr.js';
import { enterNetns, manyPrefixes, model, res, testSpeaker } from './harness.js';

const US_AS = 4200000001;
const FRR_AS = 4200000003;
const topo = new Topology('sfr');
let leave: (() => void) | null = null;
let speaker: Speaker;
let frr: Frr;

const BLOCKS = ['10.65.1.0/26', 'fd00:66::/122'];
const resources = (blocks: string[]) => [
  res.node('us', { ipv4: '10.0.1.1/24', ipv6: 'fd01::1/64', as: US_AS }),
  res.peer('frr4', { peerIP: '10.0.1.2', asNumber: FRR_AS }),
  res.peer('frr6', { peerIP: 'fd01::2', asNumber: FRR_AS }),
  ...blocks.map((b) => res.block('us', b)),
];
const S4 = 'Global_10_0_1_2';
const S6 = 'Global_fd01__2';
const spec = (announce: string[]) => ({
  routerId: '10.0.1.2',
  localAs: FRR_AS,
  neighbors: [
    { address: '10.0.1.1', as: US_AS },
    { address: 'fd01::1', as: US_AS, v6: true },
  ],
  announce,
});

interface BgpRoute {
  prefix?: string;
  paths?: { nexthops?: { ip: string }[]; valid?: boolean }[];
}

beforeAll(async () => {
  const us = topo.netns('us');
  const peerNs = topo.netns('frr');
  topo.link(us, ['10.0.1.1/24', 'fd01::1/64'], peerNs, ['10.0.1.2/24', 'fd01::2/64']);
  frr = new Frr(topo, peerNs, 'frr');
  frr.configure(spec(manyPrefixes(1000)));
  await frr.start();
  leave = enterNetns(us);
  speaker = testSpeaker();
  await speaker.apply(model('us', resources(BLOCKS)));
});

afterAll(async () => {
  await speaker?.stop({ graceful: false });
  leave?.();
  await topo.destroy();
});

const established = (name: string) => () => speaker.session(name)?.state === 'Established';
const frrRoute = (prefix: string, v6 = false) => frr.json<BgpRoute>(`show bgp ${v6 ? 'ipv6' : 'ipv4'} unicast ${prefix}`);

describe('FRR peer', () => {
  it('establishes IPv4 and IPv6 sessions with 4-octet ASNs', async () => {
    await waitFor('IPv4 session', established(S4), 30_000);
    await waitFor('IPv6 session', established(S6), 30_000);
    expect(frr.neighborState('10.0.1.1')).toBe('Established');
    expect(frr.neighborState('fd01::1')).toBe('Established');
    expect(speaker.session(S4)!.negotiated!.peerAs).toBe(FRR_AS);
  });

  it('FRR takes our blocks with our address as next hop', async () => {
    await waitFor('IPv4 block', () => frrRoute('10.65.1.0/26').paths?.[0]?.nexthops?.[0]?.ip === '10.0.1.1');
    await waitFor('IPv6 block', () => frrRoute('fd00:66::/122', true).paths?.[0]?.nexthops?.some((n) => n.ip === 'fd01::1'));
  });

  it('holds all 1,000 prefixes FRR announces', async () => {
    const rib = speaker.adjRibIn(S4)!;
    await waitFor('1000 routes', () => rib.size === 1000, 30_000);
    expect(rib.get('100.64.5.0/24')!.nextHop).toBe('10.0.1.2');
  });

  it('withdrawals both ways', async () => {
    frr.vtysh('configure terminal\nrouter bgp 4200000003\naddress-family ipv4 unicast\nno network 100.64.5.0/24');
    await waitFor('withdrawn here', () => speaker.adjRibIn(S4)!.get('100.64.5.0/24') === undefined);
    expect(speaker.adjRibIn(S4)!.size).toBe(999);
    await speaker.apply(model('us', resources([])));
    await waitFor('withdrawn in FRR', () => frrRoute('10.65.1.0/26').prefix === undefined);
    await speaker.apply(model('us', resources(BLOCKS)));
    await waitFor('back in FRR', () => frrRoute('10.65.1.0/26').prefix === '10.65.1.0/26');
  });

  it('answers a route refresh with the full table', async () => {
    const before = speaker.session(S4)!.status().counters.updatesOut;
    frr.vtysh('clear bgp ipv4 unicast 10.0.1.1 soft in');
    await waitFor('table sent again', () => speaker.session(S4)!.status().counters.updatesOut > before);
    expect(frrRoute('10.65.1.0/26').prefix).toBe('10.65.1.0/26');
    expect(speaker.session(S4)!.status().establishedCount).toBe(1);
  });

  it('a frozen FRR (SIGSTOP) is detected by hold timer expiry, and the session returns', { timeout: 90_000 }, async () => {
    const s = speaker.session(S4)!;
    const ups = s.status().establishedCount;
    frr.signal('SIGSTOP');
    try {
      await waitFor('hold timer expiry', () => s.state !== 'Established', 30_000);
      expect(s.status().lastError).toBe('BGP Error: Hold timer expired');
    } finally {
      frr.signal('SIGCONT');
    }
    await waitFor('re-established', () => s.state === 'Established' && s.status().establishedCount > ups, 60_000);
  });

  it('a killed FRR is detected by the TCP close; reconnects with backoff when it returns', { timeout: 90_000 }, async () => {
    const s = speaker.session(S4)!;
    await waitFor('established', () => s.state === 'Established', 60_000);
    await frr.stop();
    await waitFor('TCP close seen', () => s.state !== 'Established');
    expect(s.status().lastError).toMatch(/^Socket: Connection (closed|reset by peer)$/);
    const attempts = s.status().connectAttempts;
    await new Promise((r) => setTimeout(r, 6000));
    const tried = s.status().connectAttempts - attempts;
    expect(tried).toBeGreaterThanOrEqual(1);
    expect(tried).toBeLessThanOrEqual(5);
    await frr.start();
    await waitFor('re-established', () => s.state === 'Established', 60_000);
    await waitFor('routes back', () => speaker.adjRibIn(S4)!.size === 1000, 30_000);
  });
});
