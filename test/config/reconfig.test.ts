// Live reconfiguration end to end: the speaker runs from the YAML file datastore in a network
// namespace with two bird2 peers. Adding a BGPPeer to the file brings its session up; removing it
// brings it down; changing it resets only it; a listen port change or a broken edit resets nothing;
// the other session keeps its uptime throughout.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, waitFor } from '../helpers/netns.js';
import type { Speaker } from '../../bgpd/speaker.js';
import { FileDatastore } from '../../config/file.js';
import { buildNodeModel } from '../../config/model.js';
import { Bird } from '../session/daemons/bird.js';
import { enterNetns, testSpeaker } from '../session/harness.js';

const US_AS = 64512;
const topo = new Topology('cfr');
let leave: (() => void) | null = null;
let speaker: Speaker;
let store: FileDatastore;
let birdA: Bird;
let birdB: Bird;
let file: string;
const applied: string[] = [];

const NODE = `apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: us}
spec: {bgp: {ipv4Address: 10.0.1.1/24}}
`;
const PEER_A = `---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: peer-a}
spec: {peerIP: 10.0.1.2, asNumber: 65001}
`;
const PEER_B = `---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: peer-b}
spec: {peerIP: 10.0.2.2, asNumber: 65002, sourceAddress: None}
`;
const A = 'Global_10_0_1_2';
const B = 'Global_10_0_2_2';

beforeAll(async () => {
  const us = topo.netns('us');
  const a = topo.netns('a');
  const b = topo.netns('b');
  topo.link(us, '10.0.1.1/24', a, '10.0.1.2/24');
  topo.link(us, '10.0.2.1/24', b, '10.0.2.2/24');
  birdA = new Bird(topo, a, 'birda');
  birdA.configure({ routerId: '10.0.1.2', localAs: 65001, neighbors: [{ name: 'node', address: '10.0.1.1', localAddress: '10.0.1.2', as: US_AS }] });
  birdB = new Bird(topo, b, 'birdb');
  birdB.configure({ routerId: '10.0.2.2', localAs: 65002, neighbors: [{ name: 'node', address: '10.0.2.1', localAddress: '10.0.2.2', as: US_AS }] });
  await birdA.start();
  await birdB.start();

  file = topo.file('calico.yaml');
  writeFileSync(file, NODE + PEER_A);
  leave = enterNetns(us);
  speaker = testSpeaker();
  store = new FileDatastore(file, { watch: true, debounceMs: 100 });
  const apply = async (snap: Awaited<ReturnType<FileDatastore['start']>>) => {
    const { model } = buildNodeModel(snap, 'us');
    await speaker.apply(model);
    applied.push(snap.resources.map((r) => r.metadata.name).join(','));
  };
  store.onChange((snap) => void apply(snap));
  await apply(await store.start());
});

afterAll(async () => {
  await store?.stop();
  await speaker?.stop({ graceful: false });
  leave?.();
  await birdA?.stop();
  await birdB?.stop();
  await topo.destroy();
});

const established = (name: string) => () => speaker.session(name)?.state === 'Established';

describe('editing the YAML file reconfigures live', () => {
  let sinceA = 0;

  it('starts with the configured peer', async () => {
    await waitFor('session A', established(A));
    await waitFor('bird A sees us', () => /Established/.test(birdA.protocolState('node')));
    sinceA = speaker.session(A)!.status().since;
    expect(speaker.session(B)).toBeUndefined();
  });

  it('adding a BGPPeer brings its session up and leaves the other alone', async () => {
    writeFileSync(file, NODE + PEER_A + PEER_B);
    await waitFor('session B', established(B));
    await waitFor('bird B sees us', () => /Established/.test(birdB.protocolState('node')));
    expect(speaker.session(A)!.status()).toMatchObject({ state: 'Established', establishedCount: 1, since: sinceA });
  });

  it('a broken edit changes nothing', async () => {
    const before = applied.length;
    writeFileSync(file, NODE + PEER_A + PEER_B + 'spec: [broken\n');
    await waitFor('the broken file was read', () => applied.length > before || store.snapshot?.problems.some((p) => p.message.startsWith('malformed YAML')));
    expect(speaker.session(A)!.status()).toMatchObject({ state: 'Established', establishedCount: 1, since: sinceA });
    expect(speaker.session(B)!.state).toBe('Established');
  });

  it('changing one peer resets only that session; a listen port change resets nothing', async () => {
    const sinceB = speaker.session(B)!.status().since;
    // The graceful-restart time travels in the OPEN (RFC 4724), so B must reset; A must not.
    writeFileSync(file, NODE + PEER_A + PEER_B.replace('sourceAddress: None', 'sourceAddress: None, keepaliveTime: 3s, maxRestartTime: 100s'));
    await waitFor('session B re-established', () => speaker.session(B)?.state === 'Established' && speaker.session(B)!.status().since !== sinceB);
    expect(speaker.session(A)!.status()).toMatchObject({ state: 'Established', establishedCount: 1, since: sinceA });
    writeFileSync(file, NODE + PEER_A + PEER_B + '---\napiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: node.us}\nspec: {listenPort: 1790}\n');
    await waitFor('config applied', () => applied.at(-1)?.includes('node.us'));
    expect(speaker.session(A)!.status()).toMatchObject({ state: 'Established', establishedCount: 1, since: sinceA });
  });

  it('removing the BGPPeer brings its session down and leaves the other alone', async () => {
    writeFileSync(file, NODE + PEER_A);
    await waitFor('session B gone', () => speaker.session(B) === undefined);
    await waitFor('bird B lost us', () => !/Established/.test(birdB.protocolState('node')));
    expect(speaker.session(A)!.status()).toMatchObject({ state: 'Established', establishedCount: 1, since: sinceA });
    expect(birdA.protocolState('node')).toMatch(/Established/);
  });
});
