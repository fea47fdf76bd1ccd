// Prometheus metrics, read from the status source at scrape time (so they show exactly what the
// control socket shows) plus one histogram fed by events: how long a route took from being learned
// to being installed in the kernel. Served over HTTP on a configurable address at /metrics.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BgpState, StatusSource } from './status.js';
import type { EventLog } from './trace.js';

const BGP_STATES: BgpState[] = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established', 'Passive', 'Down'];

export interface MetricsOptions {
  source: StatusSource;
  /** The route event log; its `installed` events feed the learned→installed histogram. */
  events?: EventLog | null;
  /** Also export Node's process metrics (CPU, memory, event-loop lag). */
  processMetrics?: boolean;
}

export interface MetricsEndpoint {
  host: string;
  port: number;
  close(): Promise<void>;
}

type PeerLabels = 'peer' | 'neighbor';

export class ControlMetrics {
  readonly registry = new Registry();
  readonly #source: StatusSource;
  readonly #installSeconds: Histogram;

  constructor(opts: MetricsOptions) {
    this.#source = opts.source;
    const registers = [this.registry];
    const self = this;

    new Gauge({
      name: 'bgpd_sessions',
      help: 'BGP sessions by state',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = new Map<string, number>(BGP_STATES.map((s) => [s, 0]));
        for (const p of self.#source.protocols()) {
          if (!p.bgp) continue;
          const s = p.state === 'down' ? 'Down' : p.bgp.state;
          counts.set(s, (counts.get(s) ?? 0) + 1);
        }
        this.reset();
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });

    const perPeerGauge = (name: string, help: string, pick: (r: { received: number; imported: number; exported: number; installed: number }) => number) =>
      new Gauge<PeerLabels>({
        name,
        help,
        labelNames: ['peer', 'neighbor'],
        registers,
        collect() {
          this.reset();
          for (const p of self.#source.protocols()) {
            if (!p.bgp) continue;
            const total = p.channels.reduce((sum, ch) => sum + pick(ch.routes), 0);
            this.set({ peer: p.name, neighbor: p.bgp.neighborAddress }, total);
          }
        },
      });
    perPeerGauge('bgpd_peer_prefixes_received', 'Prefixes received from the peer (Adj-RIB-In)', (r) => r.received);
    perPeerGauge('bgpd_peer_prefixes_accepted', 'Prefixes from the peer accepted by import policy', (r) => r.imported);
    perPeerGauge('bgpd_peer_prefixes_advertised', 'Prefixes advertised to the peer (Adj-RIB-Out)', (r) => r.exported);
    perPeerGauge('bgpd_peer_prefixes_installed', 'Prefixes from the peer installed in the kernel', (r) => r.installed);

    new Gauge<PeerLabels>({
      name: 'bgpd_peer_established',
      help: '1 when the session with the peer is Established',
      labelNames: ['peer', 'neighbor'],
      registers,
      collect() {
        this.reset();
        for (const p of self.#source.protocols()) if (p.bgp) this.set({ peer: p.name, neighbor: p.bgp.neighborAddress }, p.state === 'up' && p.bgp.state === 'Established' ? 1 : 0);
      },
    });

    const perPeerCounter = (name: string, help: string, pick: (b: { updatesIn: number; updatesOut: number }) => number) =>
      new Counter<PeerLabels>({
        name,
        help,
        labelNames: ['peer', 'neighbor'],
        registers,
        collect() {
          this.reset();
          for (const p of self.#source.protocols()) if (p.bgp) this.inc({ peer: p.name, neighbor: p.bgp.neighborAddress }, pick(p.bgp));
        },
      });
    perPeerCounter('bgpd_peer_updates_received_total', 'UPDATE messages received from the peer', (b) => b.updatesIn);
    perPeerCounter('bgpd_peer_updates_sent_total', 'UPDATE messages sent to the peer', (b) => b.updatesOut);

    new Counter<'op'>({
      name: 'bgpd_fib_operations_total',
      help: 'Kernel route operations by kind',
      labelNames: ['op'],
      registers,
      collect() {
        this.reset();
        const f = self.#source.fib();
        if (!f) return;
        for (const op of ['add', 'replace', 'delete'] as const) this.inc({ op }, f.operations[op]);
      },
    });
    new Counter({
      name: 'bgpd_fib_errors_total',
      help: 'Kernel route operations that failed',
      registers,
      collect() {
        this.reset();
        this.inc(self.#source.fib()?.errors ?? 0);
      },
    });
    new Gauge({
      name: 'bgpd_fib_routes',
      help: 'Routes of ours in the kernel',
      registers,
      collect() {
        this.set(self.#source.fib()?.routes ?? 0);
      },
    });

    this.#installSeconds = new Histogram({
      name: 'bgpd_route_install_seconds',
      help: 'Time from a route being learned from a peer to its installation in the kernel',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    const events = opts.events;
    if (events) {
      events.onEvent((e) => {
        if (e.type !== 'installed') return;
        const learned = events.lastLearned(e.prefix);
        if (learned !== null && e.at >= learned) this.observeInstall((e.at - learned) / 1000);
      });
    }
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'bgpd_' });
  }

  /** For a speaker that measures install latency itself rather than through the event log. */
  observeInstall(seconds: number): void {
    this.#installSeconds.observe(seconds);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Serve /metrics on host:port (port 0 picks a free one). */
  async serve(host: string, port: number): Promise<MetricsEndpoint> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    return {
      host: addr.address,
      port: addr.port,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
}

/** `host:port`, `:port` or `[v6]:port` as given on the command line. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`metrics address must be host:port, not ${JSON.stringify(text)}`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`metrics port out of range: ${port}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
