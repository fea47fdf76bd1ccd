// `bgpd --datastore kubernetes`: the daemon reads its configuration from the (test) API server through
// the real @kubernetes/client-node, peers with a real bird2 ToR, follows changes made through the API
// (a new block is advertised, a removed BGPPeer's session goes down), and keeps its sessions and
// routes through an API server outage, resyncing when it is back. The test API server listens inside
// the node's network namespace, where the daemon reaches it on 127.0.0.1.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, waitFor } from '../../helpers/netns.js';
import { Bird } from '../../session/daemons/bird.js';
import { enterNetns } from '../../session/harness.js';
import { bgpConfiguration, bgpPeer, blockAffinity, ipPool, node } from './cluster-objects.js';
import { TestApiServer } from './test-apiserver.js';

const root = resolve(__dirname, '..', '..', '..');
const main = resolve(root, 'dist/bgpd/main.js');
const topo = new Topology('k8d');
const server = new TestApiServer();
let nsNode: string;
let bird: Bird;
let daemon: ChildProcess;
let log = '';

const established = (): boolean => /Established/.test(bird.protocolState('node_a'));

beforeAll(async () => {
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  nsNode = topo.netns('n');
  const nsTor = topo.netns('t');
  topo.link(nsNode, '10.0.8.1/24', nsTor, '10.0.8.254/24');
  bird = new Bird(topo, nsTor, 'tor');
  bird.configure({ routerId: '10.0.8.254', localAs: 65000, neighbors: [{ name: 'node_a', address: '10.0.8.1', localAddress: '10.0.8.254', as: 64512 }] });
  await bird.start();
  server.put(node('node-a', '10.0.8.1'));
  server.put(bgpConfiguration({ nodeMeshPassword: undefined }));
  server.put(ipPool('pool', { cidr: '10.71.0.0/16', blockSize: 26, ipipMode: 'Never', vxlanMode: 'Never', natOutgoing: true }));
  server.put(blockAffinity('node-a', '10.71.0.0/26'));
  server.put(bgpPeer('tor', { peerIP: '10.0.8.254', asNumber: 65000 }));
  const leave = enterNetns(nsNode);
  try {
    await server.start();
  } finally {
    leave();
  }
  const kubeconfig = await server.writeKubeconfig(topo.dir);
  daemon = topo.spawn(nsNode, process.execPath, [main, '--datastore', 'kubernetes', '--kubeconfig', kubeconfig, '--node', 'node-a', '--no-fib', '--socket', topo.file('bird.ctl')], {
    env: { ...process.env, NAMESPACE: 'kube-system' },
  });
  daemon.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  daemon.stderr!.on('data', (d: Buffer) => (log += d.toString()));
}, 60_000);

afterAll(async () => {
  await server.stop();
  await bird?.stop();
  await topo.destroy();
});

const birdHas = (prefix: string) => () => bird.birdc(`show route ${prefix}`).includes('via 10.0.8.1');

describe('bgpd on the Kubernetes datastore', () => {
  it('peers with the BGPPeer from the API and advertises the node’s block', async () => {
    await waitFor('session with the ToR', established, 30_000);
    await waitFor('block at the ToR', birdHas('10.71.0.0/26'), 20_000);
  });

  it('follows a BlockAffinity added through the API', async () => {
    server.put(blockAffinity('node-a', '10.71.0.64/26'));
    await waitFor('new block at the ToR', birdHas('10.71.0.64/26'), 20_000);
  });

  it('keeps its session and routes while the API server is down, and resyncs when it is back', async () => {
    await server.stop();
    // Several seconds without the API: nothing is torn down.
    await new Promise((r) => setTimeout(r, 4000));
    expect(established()).toBe(true);
    expect(birdHas('10.71.0.64/26')()).toBe(true);
    expect(log).toMatch(/datastore unreadable; keeping the last configuration/);
    const leave = enterNetns(nsNode);
    try {
      await server.start();
    } finally {
      leave();
    }
    server.put(blockAffinity('node-a', '10.71.0.128/26'));
    await waitFor('block added after the outage', birdHas('10.71.0.128/26'), 30_000);
  }, 60_000);

  it('takes a removed BGPPeer’s session down', async () => {
    server.remove('BGPPeer', 'tor');
    await waitFor('ToR session down', () => !established(), 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\nbird: ${bird.protocolState('node_a')}\ndaemon log:\n${log.split('\n').slice(-15).join('\n')}`);
    });
    expect(daemon.exitCode).toBeNull();
  });
});
