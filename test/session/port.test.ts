// A BGPPeer with a port (peerIP "ip:port"): we connect to that port, and the protocol is named with
// "_port_N" as confd names it. bird listens on 1790 only and never connects itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, waitFor } from '../helpers/netns.js';
import type { Speaker } from '../../bgpd/speaker.js';
import { Bird } from './daemons/bird.js';
import { enterNetns, model, res, testSpeaker } from './harness.js';

const topo = new Topology('spt');
let leave: (() => void) | null = null;
let speaker: Speaker;
let bird: Bird;

beforeAll(async () => {
  const us = topo.netns('us');
  const b = topo.netns('bird');
  topo.link(us, '10.0.9.1/24', b, '10.0.9.2/24');
  bird = new Bird(topo, b, 'bird');
  bird.configure({ routerId: '10.0.9.2', localAs: 65009, neighbors: [{ name: 'calico', address: '10.0.9.1', localAddress: '10.0.9.2', as: 65001, listenPort: 1790, passive: true }] });
  await bird.start();
  leave = enterNetns(us);
  speaker = testSpeaker();
  await speaker.apply(model('us', [res.node('us', { ipv4: '10.0.9.1/24', as: 65001 }), res.peer('bird', { peerIP: '10.0.9.2:1790', asNumber: 65009 }), res.block('us', '10.65.9.0/26')]));
});

afterAll(async () => {
  await speaker?.stop({ graceful: false });
  leave?.();
  await topo.destroy();
});

describe('per-peer port', () => {
  it('connects to the port given in peerIP', async () => {
    const s = speaker.session('Global_10_0_9_2_port_1790');
    expect(s).toBeDefined();
    await waitFor('established', () => s!.state === 'Established', 30_000);
    expect(s!.status().connection).toMatchObject({ remoteAddress: '10.0.9.2', remotePort: 1790, initiatedBy: 'us' });
    await waitFor('bird has our block', () => /10\.65\.9\.0\/26/.test(bird.birdc('show route protocol calico')));
  });
});
