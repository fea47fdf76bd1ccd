// ExaBGP as the peer: IPv4 and IPv6 sessions with 4-octet ASNs, our blocks received by ExaBGP with
// our next hop, 1,000 prefixes from ExaBGP, withdrawals both ways, route refresh answered, hold timer
// expiry and TCP close with reconnect backoff.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, waitFor } from '../helpers/netns.js';
import type { Speaker } from '../../bgpd/speaker.js';
import { Exabgp } from './daemons/exabgp.js';
import { enterNetns, manyPrefixes, model, res, testSpeaker } from './harness.js';

const US_AS = 4200000001;
const EXA_AS = 4200000005;
const topo = new Topology('sex');
let leave: (() => void) | null = null;
let speaker: Speaker;
let exa: Exabgp;

const BLOCKS = ['10.65.5.0/26', 'fd00:65:5::/122'];
const resources = (blocks: string[]) => [
  res.node('us', { ipv4: '10.0.5.1/24', ipv6: 'fd05::1/64', as: US_AS }),
  res.peer('exa4', { peerIP: '10.0.5.2', asNumber: EXA_AS }),
  res.peer('exa6', { peerIP: 'fd05::2', asNumber: EXA_AS }),
  ...blocks.map((b) => res.block('us', b)),
];
const S4 = 'Global_10_0_5_2';
const S6 = 'Global_fd05__2';

beforeAll(async () => {
  const us = topo.netns('us');
  const peerNs = topo.netns('exa');
  topo.link(us, ['10.0.5.1/24', 'fd05::1/64'], peerNs, ['10.0.5.2/24', 'fd05::2/64']);
  exa = new Exabgp(topo, peerNs, 'exabgp');
  exa.configure({
    routerId: '10.0.5.2',
    localAs: EXA_AS,
    neighbors: [
      { address: '10.0.5.1', localAddress: '10.0.5.2', as: US_AS },
      { address: 'fd05::1', localAddress: 'fd05::2', as: US_AS, v6: true },
    ],
    announce: manyPrefixes(1000),
  });
  await exa.start();
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

describe('ExaBGP peer', () => {
  it('establishes IPv4 and IPv6 sessions with 4-octet ASNs', async () => {
    await waitFor('IPv4 session', established(S4), 30_000);
    await waitFor('IPv6 session', established(S6), 30_000);
    expect(speaker.session(S4)!.negotiated!.peerAs).toBe(EXA_AS);
    expect(speaker.session(S4)!.negotiated!.as4).toBe(true);
  });

  it('ExaBGP receives our blocks with our address as next hop', async () => {
    await waitFor('IPv4 block', () => exa.routes().get('10.65.5.0/26') === '10.0.5.1');
    await waitFor('IPv6 block', () => exa.routes().get('fd00:65:5::/122') === 'fd05::1');
  });

  it('holds all 1,000 prefixes ExaBGP announces', async () => {
    const rib = speaker.adjRibIn(S4)!;
    await waitFor('1000 routes', () => rib.size === 1000, 30_000);
    expect(rib.get('100.64.9.0/24')!.nextHop).toBe('10.0.5.2');
  });

  it('withdrawals both ways', async () => {
    exa.command('neighbor 10.0.5.1 withdraw route 100.64.9.0/24 next-hop 10.0.5.2');
    await waitFor('withdrawn here', () => speaker.adjRibIn(S4)!.get('100.64.9.0/24') === undefined);
    expect(speaker.adjRibIn(S4)!.size).toBe(999);
    await speaker.apply(model('us', resources([])));
    await waitFor('withdrawn in ExaBGP', () => !exa.routes().has('10.65.5.0/26') && !exa.routes().has('fd00:65:5::/122'));
    await speaker.apply(model('us', resources(BLOCKS)));
    await waitFor('back in ExaBGP', () => exa.routes().get('10.65.5.0/26') === '10.0.5.1');
  });

  it('answers a route refresh with the full table', async () => {
    const before = speaker.session(S4)!.status().counters.updatesOut;
    exa.command('neighbor 10.0.5.1 announce route-refresh ipv4 unicast');
    await waitFor('table sent again', () => speaker.session(S4)!.status().counters.updatesOut > before);
    expect(speaker.session(S4)!.status().establishedCount).toBe(1);
  });

  it('a frozen ExaBGP (SIGSTOP) is detected by hold timer expiry, and the session returns', { timeout: 90_000 }, async () => {
    const s = speaker.session(S4)!;
    const ups = s.status().establishedCount;
    exa.signal('SIGSTOP');
    try {
      await waitFor('hold timer expiry', () => s.state !== 'Established', 30_000);
      expect(s.status().lastError).toBe('BGP Error: Hold timer expired');
    } finally {
      exa.signal('SIGCONT');
    }
    await waitFor('re-established', () => s.state === 'Established' && s.status().establishedCount > ups, 60_000);
  });

  it('a killed ExaBGP is detected by the TCP close; reconnects with backoff when it returns', { timeout: 120_000 }, async () => {
    const s = speaker.session(S4)!;
    await waitFor('established', () => s.state === 'Established', 60_000);
    await exa.stop();
    await waitFor('TCP close seen', () => s.state !== 'Established');
    expect(s.status().lastError).toMatch(/^Socket: Connection (closed|reset by peer)$/);
    const attempts = s.status().connectAttempts;
    await new Promise((r) => setTimeout(r, 6000));
    const tried = s.status().connectAttempts - attempts;
    expect(tried).toBeGreaterThanOrEqual(1);
    expect(tried).toBeLessThanOrEqual(5);
    await exa.start();
    await waitFor('re-established', () => s.state === 'Established', 60_000);
    await waitFor('routes back', () => speaker.adjRibIn(S4)!.size === 1000, 30_000);
  });
});
