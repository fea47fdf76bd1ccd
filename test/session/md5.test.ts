// TCP MD5 signatures (RFC 2385) with bird2 and FRR: the session comes up with the right password
// and never with a wrong one (the peer's signed SYNs are dropped by our kernel and ours by theirs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, waitFor } from '../helpers/netns.js';
import type { Speaker } from '../../bgpd/speaker.js';
import { Bird } from './daemons/bird.js';
import { Frr } from './daemons/frr.js';
import { enterNetns, model, res, testSpeaker } from './harness.js';

const US_AS = 65001;
const topo = new Topology('smd');
let leave: (() => void) | null = null;
let speaker: Speaker;
let bird: Bird;
let frr: Frr;

const S_BIRD = 'Global_10_0_2_2';
const S_FRR = 'Global_10_0_3_2';
const secretRef = (key: string) => ({ secretKeyRef: { name: 'bgp-passwords', key } });
const resources = () => [
  res.node('us', { ipv4: '10.0.2.1/24', as: US_AS }),
  res.peer('bird', { peerIP: '10.0.2.2', asNumber: 65002, password: secretRef('bird') }),
  res.peer('frr', { peerIP: '10.0.3.2', asNumber: 65003, password: secretRef('frr') }),
  res.block('us', '10.65.2.0/26'),
];
const secrets = (birdPw: string, frrPw: string) => [{ name: 'bgp-passwords', namespace: 'kube-system', data: { bird: birdPw, frr: frrPw } }];

beforeAll(async () => {
  const us = topo.netns('us');
  const b = topo.netns('bird');
  const f = topo.netns('frr');
  topo.link(us, '10.0.2.1/24', b, '10.0.2.2/24');
  topo.link(us, '10.0.3.1/24', f, '10.0.3.2/24');
  bird = new Bird(topo, b, 'bird');
  bird.configure({ routerId: '10.0.2.2', localAs: 65002, neighbors: [{ name: 'calico', address: '10.0.2.1', localAddress: '10.0.2.2', as: US_AS, password: 'bird-Secret' }] });
  await bird.start();
  frr = new Frr(topo, f, 'frr');
  frr.configure({ routerId: '10.0.3.2', localAs: 65003, neighbors: [{ address: '10.0.3.1', as: US_AS, password: 'frr-Secret' }] });
  await frr.start();
  leave = enterNetns(us);
  speaker = testSpeaker();
});

afterAll(async () => {
  await speaker?.stop({ graceful: false });
  leave?.();
  await topo.destroy();
});

describe('TCP MD5', () => {
  it('comes up with the right password with bird2 and FRR', async () => {
    await speaker.apply(model('us', resources(), secrets('bird-Secret', 'frr-Secret')));
    await waitFor('bird session', () => speaker.session(S_BIRD)?.state === 'Established', 30_000);
    await waitFor('FRR session', () => speaker.session(S_FRR)?.state === 'Established', 30_000);
    expect(bird.protocolState('calico')).toMatch(/Established/);
    expect(frr.neighborState('10.0.3.1')).toBe('Established');
  });

  it('never comes up with a wrong password', { timeout: 90_000 }, async () => {
    await speaker.apply(model('us', resources(), secrets('wrong-1', 'wrong-2')));
    const sb = speaker.session(S_BIRD)!;
    const sf = speaker.session(S_FRR)!;
    // Several of our own attempts and the peers' retries (bird every 3 s, FRR every 2 s) go by.
    await waitFor('our attempts', () => sb.status().connectAttempts >= 3 && sf.status().connectAttempts >= 3, 60_000);
    expect(sb.status().establishedCount).toBe(0);
    expect(sf.status().establishedCount).toBe(0);
    expect(['Idle', 'Connect', 'Active']).toContain(sb.state);
    expect(['Idle', 'Connect', 'Active']).toContain(sf.state);
    expect(bird.protocolState('calico')).not.toMatch(/Established/);
    expect(frr.neighborState('10.0.3.1')).not.toBe('Established');
    // And the right password again brings both back.
    await speaker.apply(model('us', resources(), secrets('bird-Secret', 'frr-Secret')));
    await waitFor('bird session again', () => speaker.session(S_BIRD)?.state === 'Established', 30_000);
    await waitFor('FRR session again', () => speaker.session(S_FRR)?.state === 'Established', 30_000);
  });
});
