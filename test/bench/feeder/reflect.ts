// One reflector measurement: a "peers" namespace holding the feeder and the clients (one address each)
// and a reflector namespace, joined by a veth pair. The reflector connects to all of them; once every
// client session is Established the feeder lets its own session open (it held back its OPEN until
// then, so client start-up is not timed) and writes its pre-encoded UPDATEs. The figure is the time
// from the feeder's session reaching Established to the last client holding every prefix, and the
// reflector's peak RSS (VmHWM) afterwards.
import { readFileSync } from 'node:fs';
import { Topology } from '../../helpers/netns.js';
import { peakRss } from '../../wire/interop/daemons.js';
import { startFeeder } from './feeder.js';
import { startReceivers, type Receivers } from './receivers.js';
import type { Reflector, ReflectorSetup } from './reflectors.js';

export interface ReflectResult {
  rr: string;
  n: number;
  clients: number;
  /** Seconds from the feeder's session Established to the last client holding the full table. */
  seconds: number;
  /** ... to the first client holding it. */
  firstSeconds: number;
  /** Seconds the feeder needed to hand every byte to TCP. */
  feederSeconds: number;
  peakRssBytes: number | undefined;
  /** CPU seconds the clients' process used from the feed's start to the last full table. */
  clientsCpuSeconds: number;
  updates: number;
  bytes: number;
}

export const RR_AS = 65000;
const FEEDER_ADDR = '10.210.0.1';
const RR_ADDR = '10.210.0.2';
const clientAddr = (i: number): string => `10.210.0.${11 + i}`;
/** 2^20 /24s from here fill exactly 32.0.0.0/4, the pool our daemon needs to export them. */
export const FEED_FIRST = '32.0.0.0';
export const FEED_POOL = '32.0.0.0/4';

export function reflectorSetup(clients: number): ReflectorSetup {
  return {
    localAddr: RR_ADDR,
    as: RR_AS,
    clusterId: '244.0.0.1',
    clients: [FEEDER_ADDR, ...Array.from({ length: clients }, (_, i) => clientAddr(i))],
    feedPool: FEED_POOL,
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** CPU seconds (user + system) a process has used so far: fields 14 and 15 of stat, in 10 ms ticks. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Wait for every client to hold the feed; give up at the deadline, or sooner when no client has
 * gained a route for a minute (a reflector that does not reflect should not cost ten minutes).
 */
async function allFull(receivers: Receivers, n: number, deadline: number): Promise<number[]> {
  const all = Promise.all(receivers.full);
  let done: number[] | undefined;
  all.then((f) => (done = f), () => undefined);
  let lastTotal = -1;
  let lastGain = Date.now();
  for (;;) {
    await Promise.race([all, sleep(2000)]);
    if (done) return done;
    const c = await withTimeout(receivers.counts(), 10_000, 'the clients to report');
    const total = c.held.reduce((a, b) => a + b, 0);
    if (total !== lastTotal) {
      lastTotal = total;
      lastGain = Date.now();
    }
    const stalled = Date.now() - lastGain > 60_000;
    if (stalled || Date.now() > deadline) {
      const why = stalled ? 'no client gained a route for 60 s' : 'deadline passed';
      throw new Error(`${why}: clients hold ${c.held.join(', ')} of ${n} routes (and ${c.other.join(', ')} others)`);
    }
  }
}

export async function measureReflect(rr: Reflector, n: number, clients = 10, timeoutMs = 600_000): Promise<ReflectResult> {
  if (n > 1 << 20) throw new Error(`at most ${1 << 20} prefixes fit the feed pool ${FEED_POOL}`);
  const topo = new Topology('rrb');
  try {
    const peers = topo.netns('peers');
    const rns = topo.netns('rr');
    const setup = reflectorSetup(clients);
    topo.link(peers, setup.clients.map((a) => `${a}/24`), rns, `${RR_ADDR}/24`);
    const receivers = await startReceivers(topo, peers, {
      addresses: setup.clients.slice(1), localAs: RR_AS, n, firstPrefix: FEED_FIRST,
    });
    const feeder = await startFeeder(topo, peers, {
      listen: FEEDER_ADDR, n, mode: 'packed', localAs: RR_AS, routerId: FEEDER_ADDR, nextHop: FEEDER_ADDR,
      firstPrefix: FEED_FIRST, ibgp: true, gate: true,
    });
    const running = await rr.start(topo, rns, setup);
    try {
      await withTimeout(Promise.all(receivers.established), 120_000, `${rr.name} to bring up all ${clients} client sessions`);
      const clientsCpu = cpuSeconds(receivers.pid);
      feeder.go();
      const established = await withTimeout(feeder.established, 60_000, `${rr.name}'s session with the feeder`);
      const fulls = await allFull(receivers, n, established + timeoutMs);
      const clientsCpuSeconds = cpuSeconds(receivers.pid) - clientsCpu;
      const sent = await withTimeout(feeder.sent, 10_000, 'the feeder to finish writing');
      return {
        rr: rr.name,
        n,
        clients,
        seconds: (Math.max(...fulls) - established) / 1000,
        firstSeconds: (Math.min(...fulls) - established) / 1000,
        feederSeconds: (sent.at - established) / 1000,
        peakRssBytes: peakRss(running.pid),
        clientsCpuSeconds,
        updates: sent.updates,
        bytes: sent.bytes,
      };
    } finally {
      running.close();
    }
  } finally {
    await topo.destroy();
  }
}
