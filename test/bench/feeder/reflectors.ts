// Route reflectors under test for the reflector benchmark: how to start each daemon as an RFC 4456
// reflector in one AS whose every peer (the feeder and the clients) is a reflector client, importing
// and reflecting everything, never touching the kernel. The clients say when they hold the table, so a
// reflector driver only starts the daemon and names its process (for the peak RSS).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonCommand, daemonScript } from '../../helpers/daemon.js';
import type { Topology } from '../../helpers/netns.js';
import { startBird, startFrr, startGobgp } from '../../wire/interop/daemons.js';
import { benchNodeOptions, repoRoot, stopForProfiles } from './duts.js';

/** The reflector's sessions: one AS, every peer a client of one cluster. */
export interface ReflectorSetup {
  localAddr: string;
  as: number;
  clusterId: string;
  /** The feeder and the clients, all reflector clients. */
  clients: string[];
  /** A CIDR covering the feed (our daemon exports only what an IPPool covers, as Calico does). */
  feedPool: string;
}

export interface RunningReflector {
  pid: number;
  close(): void;
}

export interface Reflector {
  name: string;
  unavailable(): string | null;
  start(topo: Topology, ns: string, s: ReflectorSetup): Promise<RunningReflector>;
}

function installed(cmd: string): boolean {
  return ['/usr/bin', '/usr/sbin', '/usr/lib/frr'].some((d) => existsSync(join(d, cmd)));
}

export function birdReflectorConfig(s: ReflectorSetup): string {
  // Every peer shares our subnet: a direct session, whose next hops resolve on the link (iBGP's
  // default is multihop with recursive next hops, which would need an IGP table).
  return `router id ${s.localAddr};
protocol device {}
template bgp rrc {
  local ${s.localAddr} as ${s.as};
  rr client;
  rr cluster id ${s.clusterId};
  direct;
  connect retry time 1;
  ipv4 { import all; export all; gateway direct; };
}
${s.clients.map((a, i) => `protocol bgp c${i} from rrc { neighbor ${a} as ${s.as}; }`).join('\n')}
`;
}

export const bird2: Reflector = {
  name: 'bird2',
  unavailable: () => (installed('bird') ? null : 'bird2 not installed'),
  async start(topo, ns, s) {
    const bird = await startBird(topo, ns, 'rr', birdReflectorConfig(s));
    return { pid: bird.proc.pid!, close: () => undefined };
  },
};

export const frr: Reflector = {
  name: 'frr',
  unavailable: () => (installed('bgpd') ? null : 'frr not installed'),
  async start(topo, ns, s) {
    const f = await startFrr(topo, ns, 'rr', `frr defaults traditional
hostname rr
router bgp ${s.as}
 bgp router-id ${s.localAddr}
 bgp cluster-id ${s.clusterId}
 no bgp ebgp-requires-policy
 neighbor C peer-group
 neighbor C remote-as ${s.as}
 neighbor C timers connect 1
${s.clients.map((a) => ` neighbor ${a} peer-group C`).join('\n')}
 address-family ipv4 unicast
  neighbor C activate
  neighbor C route-reflector-client
 exit-address-family
!
`, { log: false });
    return { pid: f.proc.pid!, close: () => undefined };
  },
};

export const gobgp: Reflector = {
  name: 'gobgp',
  unavailable: () => (installed('gobgpd') ? null : 'gobgpd not installed'),
  async start(topo, ns, s) {
    const neighbors = s.clients.map((a) => `[[neighbors]]
  [neighbors.config]
    neighbor-address = "${a}"
    peer-as = ${s.as}
  [neighbors.timers.config]
    connect-retry = 1
  [neighbors.route-reflector.config]
    route-reflector-client = true
    route-reflector-cluster-id = "${s.clusterId}"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
`);
    const g = await startGobgp(topo, ns, 'rr', `[global.config]
  as = ${s.as}
  router-id = "${s.localAddr}"
${neighbors.join('')}`);
    return { pid: g.proc.pid!, close: () => undefined };
  },
};

/**
 * Calico resources making node "rr" a route reflector (routeReflectorClusterID) whose global BGPPeers
 * in its own AS, the feeder and the clients, are therefore all its reflector clients; a pool covering
 * the feed lets Calico's export policy pass the reflected routes.
 */
export function oursReflectorConfig(s: ReflectorSetup): string {
  const peers = s.clients.map((a, i) => `---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: client-${i}
spec:
  peerIP: ${a}
  asNumber: ${s.as}
`);
  return `apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  nodeToNodeMeshEnabled: false
  asNumber: ${s.as}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: rr
spec:
  bgp:
    ipv4Address: ${s.localAddr}/24
    asNumber: ${s.as}
    routeReflectorClusterID: ${s.clusterId}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: feed
spec:
  cidr: ${s.feedPool}
${peers.join('')}`;
}

/** Our daemon, built to dist/bgpd/main.js, as the reflector; no kernel writes. */
export const ours: Reflector = {
  name: 'ours',
  unavailable: () => (existsSync(daemonScript(repoRoot())) ? null : 'not built yet'),
  async start(topo, ns, s) {
    const config = topo.file('rr.yaml');
    writeFileSync(config, oursReflectorConfig(s));
    // The node flags it ships with (its first line), then BENCH_NODE_OPTIONS, as in the ingest benchmark.
    const nodeOpts = benchNodeOptions();
    const cmd = daemonCommand(repoRoot(), ['--config', config, '--node', 'rr', '--no-fib', '--socket', topo.file('rr.ctl'), '--port', '179'], nodeOpts);
    const proc = topo.spawn(ns, cmd.command, cmd.args);
    let log = '';
    const keep = (d: Buffer): void => {
      log = (log + d.toString()).slice(-2000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    await new Promise((r) => setTimeout(r, 300));
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`our daemon exited (${proc.exitCode ?? proc.signalCode}): ${log.trim()}`);
    }
    return { pid: proc.pid!, close: () => stopForProfiles(proc, nodeOpts) };
  },
};

export const allReflectors: Reflector[] = [bird2, frr, gobgp, ours];
