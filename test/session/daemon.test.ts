// The bgpd binary as calico-node runs it: two daemons on a YAML datastore form the node-to-node
// mesh (one side passive by Calico's string rule), exchange their blocks with End-of-RIB, and a
// SIGTERM closes without NOTIFICATION so the other side keeps the routes (graceful restart).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, nsExec, waitFor } from '../helpers/netns.js';

const root = resolve(__dirname, '..', '..');
const topo = new Topology('sdm');
let nsA: string;
let nsB: string;
const logs: Record<string, string> = { a: '', b: '' };
const procs: Record<string, ChildProcess> = {};
let main: string;

const yaml = `apiVersion: projectcalico.org/v3
kind: Node
metadata: { name: node-a }
spec: { bgp: { ipv4Address: 10.0.7.1/24 } }
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: { name: node-b }
spec: { bgp: { ipv4Address: 10.0.7.2/24 } }
---
apiVersion: projectcalico.org/v3
kind: BlockAffinity
metadata: { name: node-a-block }
spec: { node: node-a, cidr: 10.66.1.0/26, state: confirmed, deleted: "false" }
---
apiVersion: projectcalico.org/v3
kind: BlockAffinity
metadata: { name: node-b-block }
spec: { node: node-b, cidr: 10.66.2.0/26, state: confirmed, deleted: "false" }
`;

function startDaemon(name: 'a' | 'b', ns: string, config: string): void {
  logs[name] = '';
  const p = topo.spawn(ns, process.execPath, [main, '--config', config, '--node', `node-${name}`, '--no-fib', '--log-level', 'debug', '--socket', topo.file(`${name}.ctl`)]);
  p.stdout!.on('data', (d: Buffer) => (logs[name] += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (logs[name] += d.toString()));
  procs[name] = p;
}

const logged = (name: string, re: RegExp) => () => re.test(logs[name]);

beforeAll(async () => {
  // Build the daemon's import graph into this topology's directory, beside a link to node_modules.
  const out = topo.file('build');
  mkdirSync(out);
  writeFileSync(join(topo.dir, 'package.json'), '{"type":"module"}');
  symlinkSync(join(root, 'node_modules'), join(topo.dir, 'node_modules'));
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--outDir', out, '--rootDir', root, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--skipLibCheck', '--types', 'node', join(root, 'bgpd/main.ts')], { stdio: 'pipe' });
  } catch {
    /* type errors elsewhere still emit JavaScript; a missing file shows below */
  }
  main = join(out, 'bgpd/main.js');
  nsA = topo.netns('a');
  nsB = topo.netns('b');
  topo.link(nsA, '10.0.7.1/24', nsB, '10.0.7.2/24');
  const config = topo.file('calico.yaml');
  writeFileSync(config, yaml);
  startDaemon('a', nsA, config);
  startDaemon('b', nsB, config);
}, 120_000);

afterAll(async () => {
  await topo.destroy();
});

describe('bgpd daemons in a mesh', () => {
  it('establishes the mesh session, node-b connecting to passive node-a', async () => {
    await waitFor('a established', logged('a', /"session":"Mesh_10_0_7_2".*session established/), 30_000);
    await waitFor('b established', logged('b', /"session":"Mesh_10_0_7_1".*session established/), 30_000);
    // "10.0.7.2" > "10.0.7.1" as strings: node-a waits, so the TCP connection goes from b to a:179.
    expect(nsExec(nsA, 'ss', ['-tnH', 'state', 'established'])).toMatch(/10\.0\.7\.1:179\s+10\.0\.7\.2:\d+/);
  });

  it('each side receives the other side block and its End-of-RIB', async () => {
    await waitFor('a got b block', logged('a', /"session":"Mesh_10_0_7_2","afi":1,"routes":1.*End-of-RIB received/), 30_000);
    await waitFor('b got a block', logged('b', /"session":"Mesh_10_0_7_1","afi":1,"routes":1.*End-of-RIB received/), 30_000);
  });

  it('SIGTERM closes without NOTIFICATION: the other side keeps the routes stale', async () => {
    procs.b.kill('SIGTERM');
    await waitFor('a saw b go', logged('a', /"session":"Mesh_10_0_7_2".*"keepStale":true.*session down/), 30_000);
    expect(logs.a).not.toMatch(/Received: /);
  });
});
