// BIRD 1.6's text of `show status` (nest/cmds.c cmd_show_status), `show protocols [all]`
// (nest/proto.c proto_cmd_show, proto_show_basic_info, proto_show_stats) and the BGP details
// (proto/bgp/bgp.c bgp_get_status, bgp_show_proto_info), printed from status snapshots.
import { BIRD_VERSION, Code, type Printed, type ReplyLine } from './reply.js';
import { bgpStateOf, emptyChangeStats, type ChangeStats, type ChannelStatus, type DaemonStatus, type ProtocolStatus, type RouteCounts } from './status.js';
import { formatDateTime, formatSince } from './timefmt.js';

const line = (code: number, text: string): ReplyLine => ({ code, text });

export function* printStatus(d: DaemonStatus, now: number): Printed {
  yield line(Code.BIRD_VERSION, `BIRD ${BIRD_VERSION}`);
  yield line(Code.STATUS_LINE, `Router ID is ${d.routerId}`);
  yield line(Code.STATUS_LINE, `Current server time is ${formatDateTime(now)}`);
  yield line(Code.STATUS_LINE, `Last reboot on ${formatDateTime(d.startedAt)}`);
  yield line(Code.STATUS_LINE, `Last reconfiguration on ${formatDateTime(d.reconfiguredAt)}`);
  if (d.gracefulRestart) {
    const gr = d.gracefulRestart;
    yield line(Code.GR_STATUS, 'Graceful restart recovery in progress');
    yield line(Code.GR_STATUS, `  Waiting for ${gr.waitingFor} protocols to recover`);
    yield line(Code.GR_STATUS, `  Wait timer is ${Math.max(0, Math.round(gr.waitRemaining))}/${Math.round(gr.waitTotal)}`);
  }
  const phase = { running: 'Daemon is up and running', reconfiguring: 'Reconfiguration in progress', 'shutting-down': 'Shutdown in progress' }[d.phase];
  return line(Code.STATUS, phase);
}

/** The `info` column: BIRD pads the BGP state to 14 columns and appends the last error. */
export function protocolInfo(p: ProtocolStatus): string {
  const state = bgpStateOf(p);
  if (!p.bgp || !state) return p.info;
  if (p.state === 'down') return p.bgp.lastError;
  return `${state.padEnd(14)}${p.bgp.lastError}`;
}

export function protocolRow(p: ProtocolStatus, now: number): string {
  return `${p.name.padEnd(8)} ${p.proto.padEnd(8)} ${p.table.padEnd(8)} ${p.state.padEnd(5)}  ${formatSince(p.since, now).padEnd(10)}  ${protocolInfo(p)}`;
}

/** BIRD's glob for quoted protocol patterns: `*` any run, `?` one character. */
export function patternMatches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}

export function selectProtocols(all: readonly ProtocolStatus[], name: string | null, pattern: boolean): ProtocolStatus[] | ReplyLine {
  if (name === null) return [...all];
  if (!pattern) {
    const p = all.find((x) => x.name === name);
    return p ? [p] : line(Code.NOT_A_PROTOCOL, `${name} is not a protocol`);
  }
  return all.filter((p) => patternMatches(name, p.name));
}

export function* printProtocols(protocols: readonly ProtocolStatus[], verbose: boolean, now: number): Printed {
  if (protocols.length === 0) return line(Code.NO_PROTOCOLS_MATCH, 'No protocols match');
  yield line(Code.PROTOCOL_HEADER, 'name     proto    table    state  since       info');
  for (const p of protocols) {
    yield line(Code.PROTOCOL_ROW, protocolRow(p, now));
    if (verbose) {
      for (const text of protocolDetails(p)) yield line(Code.PROTOCOL_DETAILS, text);
      yield line(Code.PROTOCOL_DETAILS, '');
    }
  }
  return line(Code.OK, '');
}

const n10 = (n: number) => String(n).padStart(10);

function statsLines(routes: RouteCounts, c: ChangeStats): string[] {
  const r = routes.filtered > 0 ? `${routes.imported} imported, ${routes.filtered} filtered, ${routes.exported} exported, ${routes.preferred} preferred` : `${routes.imported} imported, ${routes.exported} exported, ${routes.preferred} preferred`;
  return [
    `  Routes:         ${r}`,
    '  Route change stats:     received   rejected   filtered    ignored   accepted',
    `    Import updates:     ${n10(c.importUpdates.received)} ${n10(c.importUpdates.rejected)} ${n10(c.importUpdates.filtered)} ${n10(c.importUpdates.ignored)} ${n10(c.importUpdates.accepted)}`,
    `    Import withdraws:   ${n10(c.importWithdraws.received)} ${n10(c.importWithdraws.rejected)}        --- ${n10(c.importWithdraws.ignored)} ${n10(c.importWithdraws.accepted)}`,
    `    Export updates:     ${n10(c.exportUpdates.received)} ${n10(c.exportUpdates.rejected)} ${n10(c.exportUpdates.filtered)}        --- ${n10(c.exportUpdates.accepted)}`,
    `    Export withdraws:   ${n10(c.exportWithdraws.received)}        ---        ---        --- ${n10(c.exportWithdraws.accepted)}`,
  ];
}

/** Route counts and change statistics of all channels together (BIRD 1.6 has one per protocol). */
export function sumChannels(channels: readonly ChannelStatus[]): { routes: RouteCounts; changes: ChangeStats } {
  const routes: RouteCounts = { received: 0, imported: 0, filtered: 0, exported: 0, preferred: 0, installed: 0 };
  const changes = emptyChangeStats();
  for (const ch of channels) {
    for (const k of Object.keys(routes) as (keyof RouteCounts)[]) routes[k] += ch.routes[k];
    for (const group of Object.keys(changes) as (keyof ChangeStats)[]) {
      const dst = changes[group] as Record<string, number>;
      const src = ch.changes[group] as Record<string, number>;
      for (const k of Object.keys(dst)) dst[k] += src[k];
    }
  }
  return { routes, changes };
}

export function protocolDetails(p: ProtocolStatus): string[] {
  const out: string[] = [];
  if (p.description) out.push(`  Description:    ${p.description}`);
  const first = p.channels[0];
  out.push(`  Preference:     ${first?.preference ?? 100}`);
  out.push(`  Input filter:   ${first?.inputFilter ?? 'ACCEPT'}`);
  out.push(`  Output filter:  ${first?.outputFilter ?? 'REJECT'}`);
  if (p.state !== 'down') {
    const sum = sumChannels(p.channels);
    out.push(...statsLines(sum.routes, sum.changes));
  }
  if (p.bgp) out.push(...bgpDetails(p));
  // Sessions carrying both families list each channel after the BIRD 1.6 block (BIRD 2 style).
  if (p.channels.length > 1) {
    for (const ch of p.channels) {
      out.push(`  Channel ${ch.family}`);
      out.push(`    State:          ${ch.state.toUpperCase()}`);
      out.push(`    Import filter:  ${ch.inputFilter}`);
      out.push(`    Export filter:  ${ch.outputFilter}`);
      out.push(`    Routes:         ${ch.routes.imported} imported, ${ch.routes.exported} exported, ${ch.routes.preferred} preferred`);
    }
  }
  return out;
}

function bgpDetails(p: ProtocolStatus): string[] {
  const b = p.bgp!;
  const out = [`  BGP state:          ${bgpStateOf(p)}`, `    Neighbor address: ${b.neighborAddress}`, `    Neighbor AS:      ${b.neighborAs}`];
  if (b.neighborRestarting) out.push('    Neighbor graceful restart active');
  if (p.state === 'start') {
    if (b.connectDelay) out.push(`    Connect delay:    ${Math.round(b.connectDelay.remaining)}/${Math.round(b.connectDelay.total)}`);
  } else if (p.state === 'up') {
    out.push(`    Neighbor ID:      ${b.neighborId ?? '0.0.0.0'}`);
    out.push(`    Neighbor caps:   ${b.neighborCaps.map((c) => ` ${c}`).join('')}`);
    out.push(`    Session:          ${b.sessionFlags.join(' ')}`);
    out.push(`    Source address:   ${b.sourceAddress ?? ''}`);
    if (b.holdTimer) out.push(`    Hold timer:       ${Math.round(b.holdTimer.remaining)}/${b.holdTimer.total}`);
    if (b.keepaliveTimer) out.push(`    Keepalive timer:  ${Math.round(b.keepaliveTimer.remaining)}/${b.keepaliveTimer.total}`);
  }
  if (b.lastError) out.push(`    Last error:       ${b.lastError}`);
  return out;
}
