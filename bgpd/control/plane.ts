// Starting and stopping everything bgpd/control serves, in one call for bgpd/main.ts: the control
// socket (bird.ctl), optionally a second one with only IPv6 peers (bird6.ctl, where calicoctl looks
// for them when a bird6 process runs), and the metrics endpoint. prom-client (metrics.ts) is loaded
// only when an endpoint is asked for: it costs ~5 MB resident and its process collectors sample the
// event loop, for nothing when nobody scrapes.
import type { ControlMetrics, MetricsEndpoint } from './metrics.js';
import { ControlServer, type ControlLog } from './server.js';
import type { StatusSource } from './status.js';
import { EventLog } from './trace.js';

export interface ControlPlaneOptions {
  source: StatusSource;
  /** The control socket path (calico-node: /var/run/calico/bird.ctl). */
  socket: string;
  /** A second socket serving only IPv6 peers and routes, or null. */
  socket6?: string | null;
  /** `host:port` for /metrics, or null for none. */
  metricsAddress?: string | null;
  /** The route event log the speaker records into; a new one when not given. */
  events?: EventLog;
  log?: ControlLog;
}

export interface ControlPlane {
  readonly events: EventLog;
  /** The metrics behind /metrics; null without an endpoint. */
  readonly metrics: ControlMetrics | null;
  readonly metricsEndpoint: MetricsEndpoint | null;
  close(): Promise<void>;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const events = opts.events ?? new EventLog();
  let metrics: ControlMetrics | null = null;
  const servers: ControlServer[] = [];
  let endpoint: MetricsEndpoint | null = null;
  const close = async () => {
    await Promise.all(servers.map((s) => s.close()));
    await endpoint?.close();
  };
  try {
    // With a bird6.ctl beside it, bird.ctl is BIRD's (IPv4) view, as calico-node's two daemons were:
    // calicoctl reads the IPv4 table from one and the IPv6 table from the other.
    servers.push(await ControlServer.start({ path: opts.socket, source: opts.source, trace: events, ...(opts.socket6 ? { family: 'ipv4' as const } : {}), log: opts.log }));
    if (opts.socket6) servers.push(await ControlServer.start({ path: opts.socket6, source: opts.source, trace: events, family: 'ipv6', log: opts.log }));
  } catch (err) {
    await close();
    throw err;
  }
  // Metrics are optional: a bad or busy address is reported and the control sockets stay, since
  // calico-node's probes and calicoctl depend on them.
  if (opts.metricsAddress) {
    try {
      const { ControlMetrics, parseListenAddress } = await import('./metrics.js').catch((err: Error) => {
        throw new Error(`cannot load the metrics module (prom-client): ${err.message}`);
      });
      const { host, port } = parseListenAddress(opts.metricsAddress);
      const m = new ControlMetrics({ source: opts.source, events, processMetrics: true });
      endpoint = await m.serve(host, port);
      metrics = m;
    } catch (err) {
      const log = opts.log;
      (log?.error ?? log?.warn)?.call(log, { err: (err as Error).message, address: opts.metricsAddress }, 'metrics endpoint unavailable; control sockets served without it');
    }
  }
  return { events, metrics, metricsEndpoint: endpoint, close };
}
