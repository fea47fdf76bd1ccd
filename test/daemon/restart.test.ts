// Graceful restart of the whole daemon on real kernels (issue 5, acceptance 4): three nodes on one
// L2, our built daemon on each (dist/, YAML datastore, node-to-node mesh, Direct routing). While a pod
// on node 0 pings a pod on node 1, node 0's daemon is killed with SIGKILL and started again: neither
// kernel ever loses the route between the two blocks and the ping loses nothing. Node 2's daemon is
// killed for good before node 0 restarts: its block's routes are kept as stale for the restart time,
// then swept on every node.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/netns.js';
import { Cluster, type ClusterNode } from '../fib/cluster.js';
import { ipRoutes } from '../fib/fib-helpers.js';

const root = resolve(__dirname, '..', '..');
const main = resolve(root, 'dist/bgpd/main.js');
const RESTART_TIME = 10;
const cluster = new Cluster('grr');
const daemons = new Map<string, ChildProcess>();
const logs = new Map<string, string>();
let config: string;

function datastore(nodes: ClusterNode[]): string {
  const docs = [
    `apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: { name: default }\nspec: { nodeToNodeMeshEnabled: true, asNumber: 64512, nodeMeshMaxRestartTime: ${RESTART_TIME}s }`,
    `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: { name: pool }\nspec: { cidr: 10.244.0.0/16, blockSize: 26, ipipMode: Never, vxlanMode: Never }`,
  ];
  for (const n of nodes) {
    docs.push(`apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: { name: ${n.name} }\nspec: { bgp: { ipv4Address: ${n.ip}/24 } }`);
    docs.push(`apiVersion: projectcalico.org/v3\nkind: BlockAffinity\nmetadata: { name: ${n.name}-block }\nspec: { node: ${n.name}, cidr: ${n.block}, state: confirmed, deleted: "false" }`);
  }
  return docs.join('\n---\n') + '\n';
}

function start(n: ClusterNode): void {
  const p = cluster.topo.spawn(n.ns, process.execPath, [main, '--config', config, '--node', n.name, '--socket', cluster.topo.file(`${n.name}.ctl`), '--log-level', 'debug']);
  let text = logs.get(n.name) ?? '';
  p.stdout!.on('data', (d: Buffer) => logs.set(n.name, (text += d.toString())));
  p.stderr!.on('data', (d: Buffer) => logs.set(n.name, (text += d.toString())));
  daemons.set(n.name, p);
}

async function kill(n: ClusterNode): Promise<void> {
  const p = daemons.get(n.name);
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
}

/** The kernel route of ours (proto bird) on `on` towards `to`'s block, as a gateway, or null. */
function routeVia(on: ClusterNode, to: ClusterNode): string | null {
  const r = ipRoutes(on.ns, 4, 'bird').find((x) => x.dst === to.block);
  return r?.gateway ?? null;
}

beforeAll(async () => {
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  cluster.build({ subnets: ['a', 'a', 'a'] });
  config = cluster.topo.file('calico.yaml');
  writeFileSync(config, datastore(cluster.nodes));
  for (const n of cluster.nodes) start(n);
  const [a, b, c] = cluster.nodes;
  for (const [on, to] of [[a, b], [a, c], [b, a], [b, c], [c, a], [c, b]] as const) {
    await waitFor(`${on.name} route to ${to.block}`, () => routeVia(on, to) === to.ip, 40_000);
  }
}, 120_000);

afterAll(async () => {
  for (const n of cluster.nodes) await kill(n);
  await cluster.destroy();
});

describe('bgpd restart with kernel routes kept', () => {
  it('pods ping across nodes through the routes the daemons installed', () => {
    expect(cluster.pingAcross()).toEqual([]);
    // Each node blackholes its own block, as calico-node's BIRD does.
    for (const n of cluster.nodes) expect(ipRoutes(n.ns, 4, 'bird').find((r) => r.dst === n.block)?.type).toBe('blackhole');
  });

  it('kill -9 and restart: no route disappears, the ping loses nothing', async () => {
    const [a, b, c] = cluster.nodes;
    // Node 2 goes for good first: its routes stay stale for the restart time on the others.
    await kill(c);
    // 10 pings a second from a pod on node 0 to a pod on node 1 for the whole restart.
    const count = 120;
    const pinger = spawn('ip', ['netns', 'exec', a.pods[0].ns, 'ping', '-c', String(count), '-i', '0.1', '-W', '1', b.pods[0].ip], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pingOut = '';
    pinger.stdout.on('data', (d: Buffer) => (pingOut += d.toString()));
    const pingDone = new Promise<number | null>((r) => pinger.on('exit', (code) => r(code)));
    // Watch both kernels every 50 ms while node 0's daemon dies and comes back.
    const missing: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        if (routeVia(a, b) !== b.ip) missing.push(`${new Date().toISOString()} node 0 lost its route to ${b.block}`);
        if (routeVia(b, a) !== a.ip) missing.push(`${new Date().toISOString()} node 1 lost its route to ${a.block}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    await kill(a);
    await new Promise((r) => setTimeout(r, 1500));
    start(a);
    await waitFor('node 0 back in the mesh with node 1', () => /"session":"Mesh_192_168_1_11".*session established/.test(logs.get(a.name) ?? ''), 30_000);
    await pingDone;
    watching = false;
    await watcher;
    expect(missing).toEqual([]);
    const stats = /(\d+) packets transmitted, (\d+) received/.exec(pingOut);
    expect(stats, pingOut).not.toBeNull();
    expect(Number(stats![2]), pingOut).toBe(count);
  }, 90_000);

  it('the routes of a peer that stays gone are swept after the restart time, on every node', async () => {
    const [a, b, c] = cluster.nodes;
    await waitFor('node 1 swept node 2’s block', () => routeVia(b, c) === null, (RESTART_TIME + 20) * 1000);
    await waitFor('node 0 swept node 2’s block', () => routeVia(a, c) === null, (RESTART_TIME + 20) * 1000);
    // The live blocks stay.
    expect(routeVia(a, b)).toBe(b.ip);
    expect(routeVia(b, a)).toBe(a.ip);
    expect(cluster.pingAcross().filter((p) => !p.includes(c.name))).toEqual([]);
  }, 60_000);
});
