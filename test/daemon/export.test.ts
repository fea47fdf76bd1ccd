// Calico's export to peers, end to end (issue 4): our built daemon on a node with two local blocks,
// pod routes inside them as Felix writes them (`<ip>/32 dev cali… proto 80`), a borrowed pod IP (a /32
// inside an enabled pool but outside our blocks) and a block in a disableBGPExport pool, peered with a
// real bird2 ToR. The ToR must hold exactly our two blocks and the borrowed /32 — no pod /32 from inside
// a block, nothing of the disableBGPExport pool, nothing outside the pools. Kernel routes of other
// programs are learned as BIRD's `protocol kernel { learn; }` does, and shown as kernel1's routes.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, nsExec, waitFor } from '../helpers/netns.js';
import { Bird } from '../session/daemons/bird.js';

const root = resolve(__dirname, '..', '..');
const main = resolve(root, 'dist/bgpd/main.js');
const topo = new Topology('exp');
let nsNode: string;
let bird: Bird;
let daemon: ChildProcess;
const sock = topo.file('bird.ctl');

const yaml = `apiVersion: projectcalico.org/v3
kind: Node
metadata: { name: node-a }
spec: { bgp: { ipv4Address: 10.0.4.1/24 } }
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: { name: pods }
spec: { cidr: 10.80.0.0/16, blockSize: 26, ipipMode: Never, vxlanMode: Never }
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: { name: private }
spec: { cidr: 10.81.0.0/16, blockSize: 26, ipipMode: Never, vxlanMode: Never, disableBGPExport: true }
---
apiVersion: projectcalico.org/v3
kind: BlockAffinity
metadata: { name: a-1 }
spec: { node: node-a, cidr: 10.80.1.0/26, state: confirmed, deleted: "false" }
---
apiVersion: projectcalico.org/v3
kind: BlockAffinity
metadata: { name: a-2 }
spec: { node: node-a, cidr: 10.80.2.0/26, state: confirmed, deleted: "false" }
---
apiVersion: projectcalico.org/v3
kind: BlockAffinity
metadata: { name: a-3 }
spec: { node: node-a, cidr: 10.81.3.0/26, state: confirmed, deleted: "false" }
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: { name: tor }
spec: { peerIP: 10.0.4.254, asNumber: 65000 }
`;

/** Prefixes the ToR learned over its session with us. */
function torPrefixes(): string[] {
  return bird
    .birdc('show route protocol node_a')
    .split('\n')
    .map((l) => /^(\d+\.\d+\.\d+\.\d+\/\d+)\s/.exec(l)?.[1])
    .filter((p): p is string => !!p)
    .sort();
}

beforeAll(async () => {
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  nsNode = topo.netns('n');
  const nsTor = topo.netns('t');
  topo.link(nsNode, '10.0.4.1/24', nsTor, '10.0.4.254/24');
  // Felix's view: a veth per pod, a /32 route to each pod IP (proto 80), one IP borrowed from a block
  // that is not ours, and an unrelated static route outside every pool.
  nsExec(nsNode, 'ip', ['link', 'add', 'cali1a', 'type', 'veth', 'peer', 'name', 'cali1b']);
  nsExec(nsNode, 'ip', ['link', 'set', 'cali1a', 'up']);
  nsExec(nsNode, 'ip', ['link', 'set', 'cali1b', 'up']);
  for (const ip of ['10.80.1.5', '10.80.2.9', '10.80.7.77', '10.81.3.4']) nsExec(nsNode, 'ip', ['route', 'add', `${ip}/32`, 'dev', 'cali1a', 'proto', '80', 'scope', 'link']);
  nsExec(nsNode, 'ip', ['route', 'add', '198.18.0.0/24', 'via', '10.0.4.254', 'proto', 'static']);
  bird = new Bird(topo, nsTor, 'tor');
  bird.configure({ routerId: '10.0.4.254', localAs: 65000, neighbors: [{ name: 'node_a', address: '10.0.4.1', localAddress: '10.0.4.254', as: 64512 }], announce: ['192.0.2.0/24'] });
  await bird.start();
  const config = topo.file('calico.yaml');
  writeFileSync(config, yaml);
  daemon = topo.spawn(nsNode, process.execPath, [main, '--config', config, '--node', 'node-a', '--socket', sock]);
}, 60_000);

afterAll(async () => {
  daemon?.kill('SIGKILL');
  await bird?.stop();
  await topo.destroy();
});

describe('Calico export to a ToR, end to end', () => {
  it('advertises exactly the two blocks and the borrowed /32', async () => {
    await waitFor('the borrowed /32 at the ToR', () => torPrefixes().includes('10.80.7.77/32'), 30_000);
    // Let the rest arrive, then compare the whole table.
    await new Promise((r) => setTimeout(r, 1500));
    expect(torPrefixes()).toEqual(['10.80.1.0/26', '10.80.2.0/26', '10.80.7.77/32']);
  });

  it('withdraws the borrowed /32 when its pod route goes', async () => {
    nsExec(nsNode, 'ip', ['route', 'del', '10.80.7.77/32', 'dev', 'cali1a', 'proto', '80']);
    await waitFor('borrowed /32 withdrawn', () => !torPrefixes().includes('10.80.7.77/32'), 20_000);
    expect(torPrefixes()).toEqual(['10.80.1.0/26', '10.80.2.0/26']);
  });

  it('bgpctl trace tells when a route was learned, selected, installed in the kernel, and what went out to whom', async () => {
    const bgpctl = resolve(root, 'dist/bgpd/control/bgpctl.js');
    const trace = (prefix: string) => nsExec(nsNode, process.execPath, [bgpctl, '-s', sock, 'trace', prefix]);
    await waitFor('ToR route in the kernel', () => /192\.0\.2\.0\/24 via 10\.0\.4\.254/.test(nsExec(nsNode, 'ip', ['route', 'show', 'proto', 'bird'])), 20_000);
    const learned = trace('192.0.2.0/24');
    expect(learned).toMatch(/learned from Global_10_0_4_254 \(next hop 10\.0\.4\.254\)[\s\S]*selected[\s\S]*installed in the kernel: via 10\.0\.4\.254/);
    expect(trace('10.80.1.0/26')).toMatch(/advertised to Global_10_0_4_254/);
    expect(trace('10.80.7.77/32')).toMatch(/advertised to Global_10_0_4_254[\s\S]*withdrawn from Global_10_0_4_254/);
  });

  it('shows learned kernel routes as kernel1’s and its blocks as static1’s, as calico-node’s BIRD does', () => {
    const out = spawnSync('ip', ['netns', 'exec', nsNode, 'birdc', '-s', sock, 'show', 'route'], { encoding: 'utf8' }).stdout;
    expect(out).toMatch(/10\.80\.1\.5\/32\s+dev cali1a \[kernel1 [^\]]+\] \* \(10\)/);
    expect(out).toMatch(/10\.80\.1\.0\/26\s+blackhole \[static1 [^\]]+\] \* \(200\)/);
    // Our own blackholes are in the kernel, and were not learned back.
    expect(nsExec(nsNode, 'ip', ['route', 'show', 'proto', 'bird'])).toMatch(/blackhole 10\.80\.1\.0\/26/);
  });
});
