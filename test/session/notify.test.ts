// NOTIFICATIONs as a real peer sees them: a wrong peer AS is refused with OPEN Message Error / Bad
// Peer AS, and an administrative shutdown carries its RFC 9003 message to bird.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, waitFor } from '../helpers/netns.js';
import type { Speaker } from '../../bgpd/speaker.js';
import { Bird } from './daemons/bird.js';
import { enterNetns, model, res, testSpeaker } from './harness.js';

const topo = new Topology('sno');
let leave: (() => void) | null = null;
let speaker: Speaker;
let bird: Bird;
const S = 'Global_10_0_6_2';
const resources = (peerAs: number) => [res.node('us', { ipv4: '10.0.6.1/24', as: 65001 }), res.peer('bird', { peerIP: '10.0.6.2', asNumber: peerAs })];

beforeAll(async () => {
  const us = topo.netns('us');
  const b = topo.netns('bird');
  topo.link(us, '10.0.6.1/24', b, '10.0.6.2/24');
  bird = new Bird(topo, b, 'bird');
  bird.configure({ routerId: '10.0.6.2', localAs: 65002, neighbors: [{ name: 'calico', address: '10.0.6.1', localAddress: '10.0.6.2', as: 65001 }] });
  await bird.start();
  leave = enterNetns(us);
  speaker = testSpeaker();
});

afterAll(async () => {
  await speaker?.stop({ graceful: false });
  leave?.();
  await topo.destroy();
});

describe('NOTIFICATIONs to a real peer', () => {
  it('refuses a peer with the wrong AS: OPEN Message Error / Bad Peer AS', async () => {
    await speaker.apply(model('us', resources(65099)));
    const s = speaker.session(S)!;
    await waitFor('our refusal', () => s.status().counters.notificationsOut > 0, 30_000);
    expect(s.status().lastError).toBe('BGP Error: Bad peer AS');
    expect(s.status().establishedCount).toBe(0);
    await waitFor('bird got it', () => /Received: Bad peer AS/.test(bird.birdc('show protocols all calico')));
  });

  it('shuts a session down with an RFC 9003 message', async () => {
    await speaker.apply(model('us', resources(65002)));
    const s = speaker.session(S)!;
    await waitFor('established', () => s.state === 'Established', 30_000);
    s.stop('maintenance: node drained');
    await waitFor('bird got the message', () => /maintenance: node drained/.test(bird.birdc('show protocols all calico')));
    expect(bird.birdc('show protocols all calico')).toMatch(/Administrative shutdown/);
    expect(s.state).toBe('Idle');
  });
});
