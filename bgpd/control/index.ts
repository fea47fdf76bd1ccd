// Public surface of bgpd/control, for bgpd/main.ts and the speaker.
//   StatusSource & co.   the plain-data view the speaker implements (status.ts)
//   protocolFromSession  a session's status as a BIRD protocol (from-session.ts)
//   startControlPlane    control socket(s) + metrics in one call (plane.ts)
//   ControlServer        one BIRD-compatible control socket (server.ts)
//   ControlMetrics       Prometheus metrics from the source (metrics.ts; types only here: import the
//                        module itself for the class, so loading this index never loads prom-client)
//   EventLog             route events behind `bgpctl trace` (trace.ts)
//   LogHub               pino root logger, a child per peer, Calico severities (logger.ts)
export type { StatusSource, DaemonStatus, ProtocolStatus, BgpDetails, ChannelStatus, RouteCounts, ChangeStats, RouteStatus, RouteQuery, BgpAttributes, NextHop, FibStatus, GracefulRestartStatus, ProtoState, BgpState, TimerStatus, Origin } from './status.js';
export { emptyChangeStats } from './status.js';
export { protocolFromSession, calicoLocalProtocols, emptyChannel, type SessionExtras } from './from-session.js';
export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from './plane.js';
export { ControlServer, type ControlServerOptions, type ControlLog } from './server.js';
export type { ControlMetrics, MetricsOptions, MetricsEndpoint } from './metrics.js';
export { EventLog, type TraceEvent, type TraceLog } from './trace.js';
export { LogHub, levelFromSeverity, type LogLevel, type LogHubOptions } from './logger.js';
