// bird2 as the peer: IPv4 and IPv6 sessions with 4-octet ASNs, our blocks in bird's kernel table,
// 1,000 prefixes from bird, withdrawals both ways, route refresh, hold timer expiry and TCP close
// with reconnect backoff, graceful restart both ways.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, waitFor } from '../helpers/netns.js';
import type { Speaker } from '../../bgpd/speaker.js';
import { Bird, kernelRoutes } from './daemons/bird.js';
import { enterNetns, manyPrefixes, model, quietLog, res, testSpeaker } from './harness.js';

const US_AS = 4200000001;
const BIRD_AS = 4200000002;
const topo = new Topology('sb2');
let leave: (() => void) | null = null;
let speaker: Speaker;
let bird: Bird;
let peerNs: string;

const resources = (blocks: string[]) => [
  res.node('us', { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64', as: US_AS }),
  res.peer('bird4', { peerIP: '10.0.0.2', asNumber: BIRD_AS }),
  res.peer('bird6', { peerIP: 'fd00::2', asNumber: BIRD_AS }),
  ...blocks.map((b) => res.block('us', b)),
];
const BLOCKS = ['10.65.0.0/26', 'fd00:65::/122'];
const S4 = 'Global_10_0_0_2';
const S6 = 'Global_fd00__2';
const birdSpec = (announce: string[]) => ({
  routerId: '10.0.0.2',
  localAs: BIRD_AS,
  neighbors: [
    { name: 'us4', address: '10.0.0.1', localAddress: '10.0.0.2', as: US_AS },
    { name: 'us6', address: 'fd00::1', localAddress: 'fd00::2', as: US_AS, v6: true },
  ],
  announce,
});

beforeAll(async () => {
  const us = topo.netns('us');
  peerNs = topo.netns('bird');
  topo.link(us, ['10.0.0.1/24', 'fd00::1/64'], peerNs, ['10.0.0.2/24', 'fd00::2/64']);
  bird = new Bird(topo, peerNs, 'bird');
  bird.configure(birdSpec(manyPrefixes(1000)));
  await bird.start();
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

describe('bird2 peer', () => {
  it('establishes IPv4 and IPv6 sessions with 4-octet ASNs', async () => {
    await waitFor('IPv4 session', established(S4));
    await waitFor('IPv6 session', established(S6));
    expect(bird.protocolState('us4')).toMatch(/Established/);
    expect(bird.protocolState('us6')).toMatch(/Established/);
    expect(speaker.session(S4)!.negotiated!.as4).toBe(true);
    expect(speaker.session(S4)!.negotiated!.peerAs).toBe(BIRD_AS);
  });

  it('bird installs our blocks with our address as next hop', async () => {
    await waitFor('IPv4 block in bird kernel table', () => /10\.65\.0\.0\/26 via 10\.0\.0\.1 .*proto bird/.test(kernelRoutes(peerNs)));
    await waitFor('IPv6 block in bird kernel table', () => /fd00:65::\/122 via fd00::1 .*proto bird/.test(kernelRoutes(peerNs, true)));
  });

  it('holds all 1,000 prefixes bird announces, with bird as next hop', async () => {
    const rib = speaker.adjRibIn(S4)!;
    await waitFor('1000 routes', () => rib.size === 1000, 30_000);
    expect(rib.get('100.64.0.0/24')!.nextHop).toBe('10.0.0.2');
    expect(rib.get('100.67.231.0/24')!.attributes.asPath).toEqual([{ type: 2, asns: [BIRD_AS] }]);
  });

  it('a withdrawal by bird disappears here', async () => {
    bird.birdc('disable announce4');
    await waitFor('routes withdrawn', () => speaker.adjRibIn(S4)!.size === 0, 30_000);
    bird.birdc('enable announce4');
    await waitFor('routes back', () => speaker.adjRibIn(S4)!.size === 1000, 30_000);
  });

  it('a withdrawal by us disappears in bird', async () => {
    await speaker.apply(model('us', resources([])));
    await waitFor('IPv4 block gone', () => !/10\.65\.0\.0\/26/.test(kernelRoutes(peerNs)));
    await waitFor('IPv6 block gone', () => !/fd00:65::\/122/.test(kernelRoutes(peerNs, true)));
    await speaker.apply(model('us', resources(BLOCKS)));
    await waitFor('IPv4 block back', () => /10\.65\.0\.0\/26 via 10\.0\.0\.1/.test(kernelRoutes(peerNs)));
    // Only the announcements changed: the sessions stayed up.
    expect(speaker.session(S4)!.status().establishedCount).toBe(1);
  });

  it('answers a route refresh with the full table', async () => {
    const before = speaker.session(S4)!.status().counters.updatesOut;
    bird.birdc('reload in us4');
    await waitFor('table sent again', () => speaker.session(S4)!.status().counters.updatesOut > before);
    expect(bird.birdc('show route protocol us4')).toMatch(/10\.65\.0\.0\/26/);
  });

  it('a frozen bird (SIGSTOP) is detected by hold timer expiry, and the session returns', { timeout: 90_000 }, async () => {
    const s = speaker.session(S4)!;
    const ups = s.status().establishedCount;
    bird.signal('SIGSTOP');
    try {
      await waitFor('hold timer expiry', () => s.state !== 'Established', 30_000);
      expect(s.status().lastError).toBe('BGP Error: Hold timer expired');
    } finally {
      bird.signal('SIGCONT');
    }
    await waitFor('re-established', () => s.state === 'Established' && s.status().establishedCount > ups, 60_000);
    await waitFor('routes back', () => speaker.adjRibIn(S4)!.size === 1000, 30_000);
  });

  it('a killed bird is detected by the TCP close; we retry with backoff and keep its routes stale (RFC 4724)', { timeout: 90_000 }, async () => {
    const s = speaker.session(S4)!;
    await waitFor('established', () => s.state === 'Established', 60_000);
    await waitFor('IPv6 established', established(S6), 60_000);
    await bird.stop();
    await waitFor('TCP close seen', () => s.state !== 'Established');
    expect(s.status().lastError).toMatch(/^Socket: Connection (closed|reset by peer)$/);
    const rib = speaker.adjRibIn(S4)!;
    expect(rib.size).toBe(1000);
    expect([...rib.routes()].every((r) => r.stale)).toBe(true);
    expect(s.status().gracefulRestart).toBe('peer-restarting');
    const attempts = s.status().connectAttempts;
    await new Promise((r) => setTimeout(r, 6000));
    const tried = s.status().connectAttempts - attempts;
    // Backoff from 1 s doubling: a handful of attempts while the peer is away, never a tight loop.
    expect(tried).toBeGreaterThanOrEqual(1);
    expect(tried).toBeLessThanOrEqual(5);
    expect(s.status().lastError).toBe('Active Socket: Connection refused');

    // bird comes back restarting (-R: R and forwarding bits) with half the table: after its
    // End-of-RIB the 500 routes it did not announce again are swept.
    quietLog.lines.length = 0;
    bird.configure(birdSpec(manyPrefixes(500)));
    await bird.start(true);
    await waitFor('re-established', () => s.state === 'Established', 60_000);
    await waitFor('stale routes swept', () => s.status().gracefulRestart === 'none' && rib.size === 500, 30_000);
    expect([...rib.routes()].some((r) => r.stale)).toBe(false);
    expect(quietLog.lines.some((l) => l.includes('stale routes swept') && l.includes(`"session":"${S4}"`) && l.includes('"removed":500'))).toBe(true);
  });

  it('we restart: bird keeps our routes through it (RFC 4724)', { timeout: 90_000 }, async () => {
    await waitFor('established', established(S4), 60_000);
    await waitFor('block in bird', () => /10\.65\.0\.0\/26 via 10\.0\.0\.1/.test(kernelRoutes(peerNs)));
    await speaker.stop({ graceful: true });
    await waitFor('bird saw us go', () => !/Established/.test(bird.protocolState('us4')));
    // Stale in bird, but still installed.
    expect(kernelRoutes(peerNs)).toMatch(/10\.65\.0\.0\/26 via 10\.0\.0\.1/);
    speaker = testSpeaker({ restarting: true });
    await speaker.apply(model('us', resources(BLOCKS)));
    await waitFor('re-established', established(S4), 60_000);
    await waitFor('bird back in Established', () => /Established/.test(bird.protocolState('us4')));
    expect(kernelRoutes(peerNs)).toMatch(/10\.65\.0\.0\/26 via 10\.0\.0\.1/);
    expect(bird.birdc('show route 10.65.0.0/26 all')).not.toMatch(/stale/i);
  });
});
