// One ingest measurement: a feeder namespace and a DUT namespace joined by a veth pair; the DUT
// connects to the feeder, which writes its pre-encoded UPDATEs once the session is Established. The
// figure is the time from Established (feeder side) until the DUT reports all N routes in its RIB,
// and the DUT's peak RSS (VmHWM) afterwards.
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
}

const FEEDER = { addr: '10.200.0.1', as: 65001 };
const DUT = { addr: '10.200.0.2', as: 65002 };

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
      let done = 0;
      for (;;) {
        const count = await running.routes();
        if (count >= n) {
          done = now();
          break;
        }
        if (now() > deadline) throw new Error(`${dut.name} holds ${count} of ${n} routes after ${timeoutMs / 1000} s`);
        await sleep(running.pollMs);
      }
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
      };
    } finally {
      running.close();
    }
  } finally {
    await topo.destroy();
  }
}
