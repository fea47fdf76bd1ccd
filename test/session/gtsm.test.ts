// GTSM (RFC 5082) with FRR: with ttlSecurity we send TTL 255 (FRR, expecting it, accepts us) and
// set IP_MINTTL (we drop FRR's segments when it sends an ordinary TTL); without it FRR drops ours.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, waitFor } from '../helpers/netns.js';
import type { Speaker } from '../../bgpd/speaker.js';
import { Frr } from './daemons/frr.js';
import { enterNetns, model, res, testSpeaker } from './harness.js';

const topo = new Topology('sgt');
let leave: (() => void) | null = null;
let speaker: Speaker;
let frr: Frr;
const S = 'Global_10_0_8_2';
const resources = (ttlSecurity?: number) => [
  res.node('us', { ipv4: '10.0.8.1/24', as: 65001 }),
  res.peer('frr', { peerIP: '10.0.8.2', asNumber: 65008, ...(ttlSecurity ? { ttlSecurity } : {}) }),
];

beforeAll(async () => {
  const us = topo.netns('us');
  const f = topo.netns('frr');
  topo.link(us, '10.0.8.1/24', f, '10.0.8.2/24');
  frr = new Frr(topo, f, 'frr');
  frr.configure({ routerId: '10.0.8.2', localAs: 65008, neighbors: [{ address: '10.0.8.1', as: 65001, ttlSecurityHops: 1 }] });
  await frr.start();
  leave = enterNetns(us);
  speaker = testSpeaker();
});

afterAll(async () => {
  await speaker?.stop({ graceful: false });
  leave?.();
  await topo.destroy();
});

/** FRR's count of sessions it saw reach Established with us. */
function frrEstablishedCount(): number {
  const j = frr.json<Record<string, { connectionsEstablished?: number }>>('show bgp neighbors 10.0.8.1');
  return j['10.0.8.1']?.connectionsEstablished ?? 0;
}

/**
 * The side that enforces GTSM never reaches Established. (The other side may: the enforcer sets its
 * minimum TTL on a connection right after accepting it, so a segment that arrived first, like an
 * OPEN, still passes and the other side can get as far as the enforcer's KEEPALIVE.)
 */
async function neverUp(enforcer: 'us' | 'frr'): Promise<void> {
  const s = speaker.session(S)!;
  const frrBefore = frrEstablishedCount();
  try {
    // Several failed rounds: our attempts, or connections of FRR's we gave up on.
    await waitFor('several failed rounds', () => s.status().connectAttempts + s.status().counters.notificationsOut >= 4, 60_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${JSON.stringify(s.status())}`);
  }
  if (enforcer === 'us') expect(s.status().establishedCount).toBe(0);
  else expect(frrEstablishedCount()).toBe(frrBefore);
}

describe('GTSM', () => {
  it('comes up when both sides use it', async () => {
    await speaker.apply(model('us', resources(1)));
    await waitFor('established', () => speaker.session(S)?.state === 'Established', 30_000);
    expect(frr.neighborState('10.0.8.1')).toBe('Established');
    expect(frrEstablishedCount()).toBeGreaterThanOrEqual(1);
  });

  it('FRR drops us when we send an ordinary TTL', { timeout: 90_000 }, async () => {
    await speaker.apply(model('us', resources()));
    await neverUp('frr');
  });

  it('we drop FRR when it sends an ordinary TTL (IP_MINTTL)', { timeout: 90_000 }, async () => {
    frr.vtysh('configure terminal\nrouter bgp 65008\nno neighbor 10.0.8.1 ttl-security hops 1');
    await speaker.apply(model('us', resources(1)));
    await neverUp('us');
  });
});
