// The bgpd binary serves its control socket and metrics the way calico-node's BIRD does: the real
// birdc and birdcl from Debian's bird2 read the sessions and routes of a running daemon peered with a
// real bird2 ToR, `bgpctl status` prints calicoctl's table from it, and /metrics shows the numbers
// the RIB holds. Runs dist/ (CI builds before testing, as the lab does).
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, nsExec, waitFor } from '../helpers/netns.js';
import { Bird } from '../session/daemons/bird.js';

const root = resolve(__dirname, '..', '..');
const main = resolve(root, 'dist/bgpd/main.js');
const bgpctl = resolve(root, 'dist/bgpd/control/bgpctl.js');
const topo = new Topology('ctd');
let nsNode: string;
let nsTor: string;
let bird: Bird;
let daemon: ChildProcess;
let log = '';
const sock = topo.file('bird.ctl');
const sock6 = topo.file('bird6.ctl');
const METRICS = '127.0.0.1:9099';

const yaml = `apiVersion: projectcalico.org/v3
kind: Node
metadata: { name: node-a }
spec: { bgp: { ipv4Address: 10.0.9.1/24, asNumber: 64512 } }
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: { name: pool }
spec: { cidr: 10.70.0.0/16, blockSize: 26, ipipMode: Never, vxlanMode: Never }
---
apiVersion: projectcalico.org/v3
kind: BlockAffinity
metadata: { name: node-a-block }
spec: { node: node-a, cidr: 10.70.1.0/26, state: confirmed, deleted: "false" }
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: { name: tor }
spec: { peerIP: 10.0.9.254, asNumber: 65000 }
`;

/** What birdc prints, also for error replies (it then exits non-zero, as with BIRD). */
const birdc = (cmd: string, client = 'birdc', path = sock): string =>
  spawnSync('ip', ['netns', 'exec', nsNode, client, '-s', path, ...cmd.split(' ')], { encoding: 'utf8' }).stdout;
const runBgpctl = (args: string[]): string => nsExec(nsNode, process.execPath, [bgpctl, '-s', sock, ...args]);

beforeAll(async () => {
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  nsNode = topo.netns('n');
  nsTor = topo.netns('t');
  topo.link(nsNode, '10.0.9.1/24', nsTor, '10.0.9.254/24');
  bird = new Bird(topo, nsTor, 'tor');
  bird.configure({ routerId: '10.0.9.254', localAs: 65000, neighbors: [{ name: 'node_a', address: '10.0.9.1', localAddress: '10.0.9.254', as: 64512 }], announce: ['192.0.2.0/24', '198.51.100.0/24'] });
  await bird.start();
  const config = topo.file('calico.yaml');
  writeFileSync(config, yaml);
  daemon = topo.spawn(nsNode, process.execPath, [main, '--config', config, '--node', 'node-a', '--no-fib', '--socket', sock, '--socket6', sock6, '--metrics', METRICS]);
  daemon.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  daemon.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await waitFor('control socket answering', () => existsSync(sock) && birdc('show status').includes('Daemon is up'), 20_000);
}, 60_000);

afterAll(async () => {
  await bird?.stop();
  await topo.destroy();
});

describe('the daemon’s control socket', () => {
  it('is a socket with mode 0660 and greets like BIRD 1.6', () => {
    const st = statSync(sock);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    expect(birdc('show status')).toMatch(/BIRD v0\.3\.3\+birdv1\.6\.8 ready\.[\s\S]*Router ID is 10\.0\.9\.1[\s\S]*Daemon is up and running/);
  });

  it('birdc and birdcl see the ToR session come up, as calicoctl parses show protocols', async () => {
    await waitFor('Established in show protocols', () => /Global_10_0_9_254\s+BGP\s+master\s+up\s+\S+\s+Established/.test(birdc('show protocols')), 30_000);
    const out = birdcl('show protocols');
    // calicoctl's scan: the header fields, then one row per protocol.
    const lines = out.split('\n');
    const header = lines.find((l) => /^name\s+proto/.test(l.trim()))!.trim().split(/\s+/);
    expect(header).toEqual(['name', 'proto', 'table', 'state', 'since', 'info']);
    expect(lines.some((l) => /^\s*Global_10_0_9_254\s+BGP\s+master\s+up/.test(l))).toBe(true);
    expect(birdc('show protocols all Global_10_0_9_254')).toMatch(/Neighbor address:\s+10\.0\.9\.254[\s\S]*Neighbor AS:\s+65000/);
    // Each peer logs through its own child logger: every line names the peer and its neighbour.
    const established = log.split('\n').find((l) => l.includes('"msg":"session established"'));
    expect(JSON.parse(established!)).toMatchObject({ peer: 'Global_10_0_9_254', neighbor: '10.0.9.254', node: 'node-a' });
  });

  it('shows the routes the ToR announced, with their AS path, and this node’s block', async () => {
    await waitFor('ToR routes in the RIB', () => birdc('show route').includes('198.51.100.0/24'), 30_000);
    const all = birdc('show route all');
    expect(all).toMatch(/192\.0\.2\.0\/24\s+via 10\.0\.9\.254[\s\S]*BGP\.as_path: 65000/);
    expect(birdc('show route for 198.51.100.77')).toMatch(/198\.51\.100\.0\/24\s+via 10\.0\.9\.254/);
    expect(birdc('show route for 203.0.113.1')).toMatch(/Network not in table/);
    expect(birdc('show route')).toMatch(/10\.70\.1\.0\/26\s+blackhole/);
    expect(birdc('show route count')).toMatch(/3 of 3 routes for 3 networks/);
    // bird2 learned our block from us, with our next hop.
    await waitFor('bird has our block', () => bird.birdc('show route 10.70.1.0/26').includes('via 10.0.9.1'), 30_000);
  });

  it('bgpctl status prints calicoctl’s table; the IPv6 socket lists no IPv4 peers', () => {
    const out = runBgpctl(['status']);
    expect(out).toMatch(/IPv4 BGP status/);
    expect(out).toMatch(/\|\s+10\.0\.9\.254\s+\|\s+global\s+\|\s+up\s+\|\s+\d\d:\d\d:\d\d\s+\|\s+Established\s+\|/);
    expect(birdc('show protocols', 'birdc', sock6)).not.toMatch(/Global_10_0_9_254/);
  });

  it('answers an unknown command with BIRD’s syntax error and keeps serving', () => {
    // birdc knows BIRD's command table and refuses unknown words itself; the daemon answers the rest.
    expect(birdc('show frobnicate')).toMatch(/No such command/);
    expect(birdc('show route for not-an-address')).toMatch(/syntax error/);
    expect(birdc('show status')).toMatch(/Daemon is up and running/);
  });

  it('serves Prometheus metrics with the RIB’s per-peer numbers', async () => {
    const script = `fetch('http://${METRICS}/metrics').then(r => r.text()).then(t => process.stdout.write(t))`;
    const text = await waitFor('metrics', () => {
      const t = nsExec(nsNode, process.execPath, ['-e', script]);
      return /bgpd_peer_prefixes_received\{[^}]*Global_10_0_9_254[^}]*\} 2\b/.test(t) ? t : null;
    }, 20_000);
    expect(text).toMatch(/bgpd_peer_prefixes_accepted\{[^}]*Global_10_0_9_254[^}]*\} 2\b/);
    // Our block went out to the ToR.
    expect(text).toMatch(/bgpd_peer_prefixes_advertised\{[^}]*Global_10_0_9_254[^}]*\} 1\b/);
    expect(text).toMatch(/bgpd_sessions\{state="Established"\} 1\b/);
    expect(text).toMatch(/bgpd_peer_established\{[^}]*Global_10_0_9_254[^}]*\} 1\b/);
  });
});

function birdcl(cmd: string): string {
  return birdc(cmd, 'birdcl');
}

