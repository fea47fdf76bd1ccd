// Reading the lab's state from the real things: bird2's answers on the ToR, our daemons' status
// (through bgpctl when this build has it, else from the daemon's own log), kernel routes in the
// node namespaces, and pings between pod namespaces.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { run } from './netlab.js';

const execFileP = promisify(execFile);

export interface BirdProtocol {
  name: string;
  proto: string;
  state: string;
  info: string;
}

/** Rows of `birdc show protocols` (bird 2). */
export function parseBirdProtocols(text: string): BirdProtocol[] {
  const rows: BirdProtocol[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 5 || parts[0] === 'Name' || parts[0] === 'BIRD') continue;
    // Since is a time ("07:20:01.123") or a date and a time; Info is the rest.
    let i = 5;
    if (parts[i] && /^\d{2}:\d{2}:\d{2}/.test(parts[i])) i++;
    rows.push({ name: parts[0], proto: parts[1], state: parts[3], info: parts.slice(i).join(' ') });
  }
  return rows;
}

export interface BirdRoute {
  prefix: string;
  protocol: string;
  via?: string;
  best: boolean;
}

/** Routes of `birdc show route` (bird 2): a prefix line, then `via … on …` lines. */
export function parseBirdRoutes(text: string): BirdRoute[] {
  const out: BirdRoute[] = [];
  let prefix = '';
  for (const line of text.split('\n')) {
    const head = /^(\d+\.\d+\.\d+\.\d+\/\d+)?\s+\S+\s+\[(\S+?)(?:\s|\])[^\]]*\]\s*(\*)?/.exec(line);
    if (head && !line.trimStart().startsWith('via')) {
      if (head[1]) prefix = head[1];
      if (!prefix) continue;
      out.push({ prefix, protocol: head[2], best: head[3] === '*' });
      continue;
    }
    const via = /^\s+via (\S+)/.exec(line);
    if (via && out.length) out[out.length - 1].via = via[1];
  }
  return out;
}

export interface SessionRow {
  name: string;
  peer: string;
  state: string;
  info: string;
  /** Routes held from the peer at its End-of-RIB (IPv4), when the log tells. */
  routes?: number;
}

export interface NodeStatus {
  source: 'bgpctl' | 'log';
  /** What the operator would see: bgpctl's table, or the sessions read from the log. */
  text: string;
  sessions: SessionRow[];
}

interface LogLine {
  msg?: string;
  session?: string;
  peer?: string;
  reason?: string;
  passive?: boolean;
  err?: string;
  level?: number;
  routes?: number;
}

/**
 * Sessions as the daemon's log tells them: each `session configured`, then the last of
 * `session established` / `session down` for it, with the routes held at the peer's End-of-RIB.
 */
export function sessionsFromLog(text: string): SessionRow[] {
  const rows = new Map<string, SessionRow>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let l: LogLine;
    try {
      l = JSON.parse(line) as LogLine;
    } catch {
      continue;
    }
    if (!l.session) continue;
    const row = rows.get(l.session) ?? { name: l.session, peer: '', state: 'Idle', info: '' };
    if (l.msg === 'session configured') {
      row.peer = l.peer ?? '';
      row.state = 'Connect';
      row.info = l.passive ? 'passive' : '';
    } else if (l.msg === 'session established') {
      row.state = 'Established';
      row.info = '';
      delete row.routes;
    } else if (l.msg === 'session down') {
      row.state = 'Active';
      row.info = l.reason ?? '';
      delete row.routes;
    } else if (l.msg === 'End-of-RIB received' && row.state === 'Established') {
      row.routes = l.routes ?? 0;
      row.info = `${row.routes} route${row.routes === 1 ? '' : 's'} received`;
    }
    rows.set(l.session, row);
  }
  return [...rows.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Session names and states out of calicoctl's table as `bgpctl status` prints it. */
export function sessionsFromBgpctl(text: string): SessionRow[] {
  const out: SessionRow[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 6 || !/^[\d.:a-f]+$/i.test(cells[1])) continue;
    out.push({ name: cells[1], peer: cells[1], state: cells[5], info: cells[2] });
  }
  return out;
}

export function formatSessions(rows: SessionRow[]): string {
  if (rows.length === 0) return '  (no sessions)';
  const w = Math.max(...rows.map((r) => r.name.length));
  const p = Math.max(...rows.map((r) => r.peer.length));
  return rows.map((r) => `  ${r.name.padEnd(w)}  ${r.peer.padEnd(p)}  ${r.state}${r.info ? `  ${r.info}` : ''}`).join('\n');
}

/** A node daemon's status: bgpctl against its control socket if this build has one, else its log. */
export function logSessions(logFile: string): SessionRow[] {
  return sessionsFromLog(existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
}

export function nodeStatus(bgpctl: string | null, socket: string, logFile: string): NodeStatus {
  if (bgpctl && existsSync(bgpctl) && existsSync(socket)) {
    try {
      const text = run(process.execPath, [bgpctl, '-s', socket, 'status']);
      const sessions = sessionsFromBgpctl(text);
      if (sessions.length > 0) return { source: 'bgpctl', text: text.trimEnd(), sessions };
      // A table this reader does not understand: show it, and judge the sessions by the log.
      const fromLog = sessionsFromLog(existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
      return { source: 'bgpctl', text: `${text.trimEnd()}\n(sessions judged from the daemon log)`, sessions: fromLog };
    } catch {
      /* fall back to the log below */
    }
  }
  const sessions = sessionsFromLog(existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  return { source: 'log', text: formatSessions(sessions), sessions };
}

export interface KernelRoute {
  dst: string;
  protocol: string;
  line: string;
}

/** `ip route` of a namespace, as text lines and parsed enough to check coverage. */
export function kernelRoutes(ns: string): KernelRoute[] {
  const out: KernelRoute[] = [];
  for (const line of run('ip', ['-n', ns, 'route', 'show']).split('\n').filter(Boolean)) {
    const words = line.split(/\s+/);
    const typed = ['blackhole', 'unreachable', 'prohibit', 'throw'].includes(words[0]);
    const dst = typed ? words[1] : words[0];
    const pi = words.indexOf('proto');
    out.push({ dst, protocol: pi >= 0 ? words[pi + 1] : 'boot', line });
  }
  return out;
}

export interface Ping {
  from: string;
  to: string;
  ok: boolean;
}

/** One ping, retried once: the first packet may wait for ARP or a route that is just arriving. */
export async function ping(fromNs: string, to: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await execFileP('ip', ['netns', 'exec', fromNs, 'ping', '-n', '-q', '-c', '1', '-W', '1', to]);
      return true;
    } catch {
      /* lost or unreachable */
    }
  }
  return false;
}
