// Devices under test for the ingest benchmark: how to start each daemon as a plain eBGP receiver
// (import everything, export nothing, never touch the kernel) and how to ask it how many routes its
// RIB holds. One small driver per daemon behind the `Dut` interface, so a new one plugs in easily.
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { daemonCommand, daemonScript } from '../../helpers/daemon.js';
import type { Topology } from '../../helpers/netns.js';
import { startBird, startFrr, startGobgp } from '../../wire/interop/daemons.js';
import { BirdControl, FrrVty } from './clients.js';

const run = promisify(execFile);

/** The eBGP session the DUT must open to the feeder. */
export interface DutSession {
  localAddr: string;
  localAs: number;
  peerAddr: string;
  peerAs: number;
}

export interface RunningDut {
  pid: number;
  /** Routes from the feeder its RIB holds now. */
  routes(): Promise<number>;
  /** How often routes() may be asked without loading the machine (ms). */
  pollMs: number;
  /**
   * Asking for the count costs the daemon real work (a table walk under its main lock): then the
   * harness must not ask while it ingests, and finds the end by watching its CPU go idle instead.
   */
  expensiveCount?: boolean;
  close(): void;
}

export interface Dut {
  name: string;
  /** Why it cannot run here (not installed, not built), or null when it can. */
  unavailable(): string | null;
  start(topo: Topology, ns: string, s: DutSession): Promise<RunningDut>;
}

// -------------------------------------------------------------------------------------------- drivers

function installed(cmd: string): boolean {
  return ['/usr/bin', '/usr/sbin', '/usr/lib/frr'].some((d) => existsSync(join(d, cmd)));
}

export const bird2: Dut = {
  name: 'bird2',
  unavailable: () => (installed('bird') ? null : 'bird2 not installed'),
  async start(topo, ns, s) {
    const bird = await startBird(topo, ns, 'dut', `
router id ${s.localAddr};
protocol device {}
protocol bgp feeder {
  local ${s.localAddr} as ${s.localAs}; neighbor ${s.peerAddr} as ${s.peerAs};
  ipv4 { import all; export none; };
}
`);
    const ctl = await BirdControl.connect(bird.socket);
    return {
      pid: bird.proc.pid!,
      pollMs: 5,
      // The protocol's import counter: O(1) in BIRD, unlike `show route count` which walks the table.
      async routes() {
        const m = /Routes:\s+(\d+) imported/.exec(await ctl.command('show protocols all feeder'));
        return m ? Number(m[1]) : 0;
      },
      close: () => ctl.close(),
    };
  },
};

export const frr: Dut = {
  name: 'frr',
  unavailable: () => (installed('bgpd') ? null : 'frr not installed'),
  async start(topo, ns, s) {
    const f = await startFrr(topo, ns, 'dut', `frr defaults traditional
hostname dut
router bgp ${s.localAs}
 bgp router-id ${s.localAddr}
 no bgp ebgp-requires-policy
 neighbor ${s.peerAddr} remote-as ${s.peerAs}
 neighbor ${s.peerAddr} timers connect 1
 address-family ipv4 unicast
  neighbor ${s.peerAddr} activate
 exit-address-family
!
`, { log: false });
    const vty = await FrrVty.connect(join(f.vtyDir, 'bgpd.vty'));
    return {
      pid: f.proc.pid!,
      pollMs: 20,
      async routes() {
        const j = JSON.parse(await vty.command('show bgp ipv4 unicast summary json')) as { peers?: Record<string, { pfxRcd?: number }> };
        return j.peers?.[s.peerAddr]?.pfxRcd ?? 0;
      },
      close: () => vty.close(),
    };
  },
};

export const gobgp: Dut = {
  name: 'gobgp',
  unavailable: () => (installed('gobgpd') ? null : 'gobgpd not installed'),
  async start(topo, ns, s) {
    const g = await startGobgp(topo, ns, 'dut', `[global.config]
  as = ${s.localAs}
  router-id = "${s.localAddr}"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${s.peerAddr}"
    peer-as = ${s.peerAs}
  [neighbors.timers.config]
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
`);
    return {
      pid: g.proc.pid!,
      // GoBGP computes a neighbour's received/accepted counts by walking its Adj-RIB-In inside the
      // server's event loop, which stalls ingest: polling every 250 ms made 1M take 114 s instead of ~30.
      pollMs: 1000,
      expensiveCount: true,
      async routes() {
        const { stdout } = await run('ip', ['netns', 'exec', ns, 'gobgp', '-u', '127.0.0.1', '-p', '50051', 'neighbor']);
        const row = stdout.split('\n').find((l) => l.startsWith(`${s.peerAddr} `));
        const m = row ? /(\d+)\s*$/.exec(row) : null;
        return m ? Number(m[1]) : 0;
      },
      close: () => undefined,
    };
  },
};

/** Node flags for our daemon only, after the ones it ships with: BENCH_NODE_OPTIONS, split on spaces. */
export function benchNodeOptions(): string[] {
  return (process.env.BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
}

/**
 * With BENCH_NODE_OPTIONS, profiles (--cpu-prof, --heap-prof) are written at exit: stop our daemon with
 * SIGTERM and wait for it, before the topology's SIGKILL.
 */
export function stopForProfiles(proc: ChildProcess, nodeOpts: string[]): void {
  if (!nodeOpts.length) return;
  proc.kill('SIGTERM');
  execFileSync('sh', ['-c', `for i in $(seq 100); do kill -0 ${proc.pid} 2>/dev/null || exit 0; sleep 0.1; done`]);
}

/** The repository root, from either the .ts source or its build under dist/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

/**
 * Calico resources making node "dut" a plain eBGP receiver of the feeder: no mesh, one global BGPPeer.
 * (A global BGPPeer is an active session: only the mesh applies Calico's passive rule.)
 */
export function oursConfig(s: DutSession): string {
  return `apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  nodeToNodeMeshEnabled: false
  asNumber: ${s.localAs}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: dut
spec:
  bgp:
    ipv4Address: ${s.localAddr}/24
    asNumber: ${s.localAs}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: feeder
spec:
  peerIP: ${s.peerAddr}
  asNumber: ${s.peerAs}
`;
}

/** Our daemon, built to dist/bgpd/main.js, configured from a Calico YAML file, no kernel writes. */
export const ours: Dut = {
  name: 'ours',
  unavailable: () => (existsSync(daemonScript(repoRoot())) ? null : 'not built yet'),
  async start(topo, ns, s) {
    const config = topo.file('ours.yaml');
    writeFileSync(config, oursConfig(s));
    const socket = topo.file('ours.ctl');
    // Started with the node flags it ships with (its first line), then BENCH_NODE_OPTIONS (e.g.
    // "--cpu-prof --cpu-prof-dir=/tmp/prof"), which go to our daemon's node only.
    const nodeOpts = benchNodeOptions();
    const cmd = daemonCommand(repoRoot(), ['--config', config, '--node', 'dut', '--no-fib', '--socket', socket], nodeOpts);
    const proc = topo.spawn(ns, cmd.command, cmd.args);
    let log = '';
    const keep = (d: Buffer): void => {
      log = (log + d.toString()).slice(-2000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const deadline = Date.now() + 15_000;
    while (!existsSync(socket)) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`our daemon exited (${proc.exitCode ?? proc.signalCode}): ${log.trim()}`);
      }
      if (Date.now() > deadline) throw new Error(`our daemon runs but opened no control socket at ${socket} (the RIB count is read there)`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const ctl = await BirdControl.connect(socket);
    return {
      pid: proc.pid!,
      pollMs: 5,
      async routes() {
        const m = /(\d+) of \d+ routes/.exec(await ctl.command('show route count'));
        return m ? Number(m[1]) : 0;
      },
      close: () => {
        ctl.close();
        stopForProfiles(proc, nodeOpts);
      },
    };
  },
};

export const allDuts: Dut[] = [bird2, frr, gobgp, ours];
