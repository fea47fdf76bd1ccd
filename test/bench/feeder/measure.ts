// One ingest measurement: a feeder namespace and a DUT namespace joined by a veth pair; the DUT
// connects to the feeder, which writes its pre-encoded UPDATEs once the session is Established. The
// figure is the time from Established (feeder side) until the DUT reports all N routes in its RIB,
// and the DUT's peak RSS (VmHWM) afterwards.
//
// Where the DUT answers "how many routes" cheaply (BIRD's control socket, FRR's vty) the harness asks
// every few milliseconds. Where the answer costs the DUT a table walk (GoBGP), asking would slow the
// very thing measured; there the end is the last moment the DUT was busy (its CPU time from /proc,
// sampled every 50 ms) before a second of idleness, and the count is checked only then.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Topology } from '../../helpers/netns.js';
import { peakRss } from '../../wire/interop/daemons.js';
import type { Dut } from './duts.js';
import { startFeeder } from './feeder.js';
import type { FeedMode } from './speaker.js';

export interface IngestResult {
  dut: string;
  n: number;
  mode: FeedMode;
  /** Seconds from Established to all N routes held. */
  seconds: number;
  /** Seconds the feeder needed to hand every byte to TCP (shows it is not the bottleneck). */
  feederSeconds: number;
  peakRssBytes: number | undefined;
  updates: number;
  bytes: number;
  /** How the end was found: by polling the count, or by the DUT's CPU going idle. */
  method: 'poll' | 'cpu-idle';
}

const FEEDER = { addr: '10.200.0.1', as: 65001 };
const DUT = { addr: '10.200.0.2', as: 65002 };

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU time (user + system, in clock ticks) a process has used so far; fields 14 and 15 of stat. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

type Running = Awaited<ReturnType<Dut['start']>>;

/** Poll the count until it reaches n; the end is the first poll that sees it. */
async function untilCountPolled(running: Running, n: number, deadline: number, name: string): Promise<number> {
  for (;;) {
    const count = await running.routes();
    if (count >= n) return now();
    if (now() > deadline) throw new Error(`${name} holds ${count} of ${n} routes at the deadline`);
    await sleep(running.pollMs);
  }
}

/** Watch the DUT's CPU; after a second without work, check the count; the end is its last busy moment. */
async function untilIdleWithAll(running: Running, n: number, deadline: number, name: string): Promise<number> {
  const SAMPLE_MS = 50;
  const BUSY_TICKS = 2; // at least 20 ms of CPU in a 50 ms sample (clock ticks are 10 ms)
  let lastTicks = cpuTicks(running.pid);
  let lastBusy = now();
  let lastAsked = 0;
  for (;;) {
    await sleep(SAMPLE_MS);
    const t = now();
    const ticks = cpuTicks(running.pid);
    if (ticks - lastTicks >= BUSY_TICKS) lastBusy = t;
    lastTicks = ticks;
    if (t - lastBusy >= 1000 && t - lastAsked >= running.pollMs) {
      const count = await running.routes();
      if (count >= n) return lastBusy;
      lastAsked = now();
      lastTicks = cpuTicks(running.pid); // the question itself made it work
    }
    if (t > deadline) throw new Error(`${name} did not finish ${n} routes by the deadline`);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export async function measureIngest(dut: Dut, mode: FeedMode, n: number, timeoutMs = 600_000): Promise<IngestResult> {
  const topo = new Topology('ing');
  try {
    const fns = topo.netns('fd');
    const dns = topo.netns('dut');
    topo.link(fns, `${FEEDER.addr}/24`, dns, `${DUT.addr}/24`);
    const feeder = await startFeeder(topo, fns, {
      listen: FEEDER.addr, n, mode, localAs: FEEDER.as, routerId: FEEDER.addr, nextHop: FEEDER.addr,
    });
    const running = await dut.start(topo, dns, { localAddr: DUT.addr, localAs: DUT.as, peerAddr: FEEDER.addr, peerAs: FEEDER.as });
    try {
      const established = await withTimeout(feeder.established, 120_000, `${dut.name} to reach Established`);
      const deadline = established + timeoutMs;
      const done = running.expensiveCount
        ? await untilIdleWithAll(running, n, deadline, dut.name)
        : await untilCountPolled(running, n, deadline, dut.name);
      const sent = await withTimeout(feeder.sent, 10_000, 'the feeder to finish writing');
      return {
        dut: dut.name,
        n,
        mode,
        seconds: (done - established) / 1000,
        feederSeconds: (sent.at - established) / 1000,
        peakRssBytes: peakRss(running.pid),
        updates: sent.updates,
        bytes: sent.bytes,
        method: running.expensiveCount ? 'cpu-idle' : 'poll',
      };
    } finally {
      running.close();
    }
  } finally {
    await topo.destroy();
  }
}
