// bgpctl: the operator's client of the control socket. `status` prints what `calicoctl node status`
// prints; `show ...` prints BIRD's answer as birdc does; `health --live|--ready` are calico-node's
// probes (exit 0 healthy, 1 not); `trace PREFIX` prints a prefix's route events; `--json` gives
// machines the same facts as JSON. Exit codes: 0 ok, 1 the daemon said no or cannot be reached,
// 2 bad usage.
import { statSync } from 'node:fs';
import { BirdFormatError, nodeStatusText, scanPeers } from './calicoctl.js';
import { BirdClient, type ReplyLines } from './client.js';
import { isPrefixOrAddress } from './commands.js';
import { liveVerdict, readyVerdict } from './health.js';
import { Code } from './reply.js';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

export const DEFAULT_SOCKET = '/var/run/calico/bird.ctl';

const USAGE = `Usage:
  bgpctl [-s SOCKET] [--json] [--timeout MS] status
  bgpctl [-s SOCKET] [--json] show status
  bgpctl [-s SOCKET] [--json] show protocols [all] [NAME]
  bgpctl [-s SOCKET] [--json] show route [for PREFIX|PREFIX] [all] [primary] [protocol NAME] [count]
  bgpctl [-s SOCKET] health --live | --ready [--threshold SECONDS] [--nodename-file PATH]
  bgpctl [-s SOCKET] [--json] trace PREFIX
The socket defaults to ${DEFAULT_SOCKET}.
`;

interface Options {
  socket: string;
  json: boolean;
  timeoutMs: number;
  live: boolean;
  ready: boolean;
  thresholdMs: number;
  nodenameFile: string | null;
  args: string[];
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Options {
  const o: Options = { socket: DEFAULT_SOCKET, json: false, timeoutMs: 2000, live: false, ready: false, thresholdMs: 30_000, nodenameFile: null, args: [] };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const number = (text: string, flag: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} needs a non-negative number, not ${JSON.stringify(text)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-s' || a === '--socket') o.socket = value(i++, a);
    else if (a === '--json' || a === '-j') o.json = true;
    else if (a === '--timeout') o.timeoutMs = number(value(i++, a), a);
    else if (a === '--live') o.live = true;
    else if (a === '--ready') o.ready = true;
    else if (a === '--threshold') o.thresholdMs = number(value(i++, a), a) * 1000;
    else if (a === '--nodename-file') o.nodenameFile = value(i++, a);
    else if (a === '-h' || a === '--help') throw new UsageError('');
    else if (a.startsWith('-') && a.length > 1) throw new UsageError(`unknown option ${a}`);
    else o.args.push(a);
  }
  return o;
}

export async function runBgpctl(argv: string[], io: CliIO): Promise<number> {
  let o: Options;
  try {
    o = parseArgs(argv);
    if (o.args.length === 0) throw new UsageError('');
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message) io.err(`bgpctl: ${err.message}\n`);
      io.err(USAGE);
      return 2;
    }
    throw err;
  }
  const [cmd, ...rest] = o.args;
  try {
    switch (cmd) {
      case 'status':
        return await status(o, io);
      case 'show':
        return await show(o, rest, io);
      case 'health':
        return await health(o, io);
      case 'trace':
        if (rest.length !== 1 || !isPrefixOrAddress(rest[0])) throw new UsageError('trace needs one prefix or address');
        return await passThrough(o, `trace ${rest[0]}`, io);
      default:
        throw new UsageError(`unknown command ${cmd}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`bgpctl: ${err.message}\n${USAGE}`);
      return 2;
    }
    io.err(`bgpctl: ${(err as Error).message}\n`);
    return 1;
  }
}

async function ask(o: Options, command: string): Promise<ReplyLines> {
  const c = await BirdClient.connect(o.socket, o.timeoutMs);
  try {
    return await c.command(command);
  } finally {
    c.close();
  }
}

async function status(o: Options, io: CliIO): Promise<number> {
  let reply: ReplyLines;
  try {
    reply = await ask(o, 'show protocols');
  } catch (err) {
    io.err(`Calico process is not running.\n(bgpd control socket ${o.socket}: ${(err as Error).message})\n`);
    return 1;
  }
  try {
    const peers = scanPeers(reply.raw);
    io.out(o.json ? `${JSON.stringify(peers, null, 2)}\n` : nodeStatusText(peers));
    return 0;
  } catch (err) {
    if (err instanceof BirdFormatError) {
      io.err(`Error executing command: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

async function show(o: Options, words: string[], io: CliIO): Promise<number> {
  if (words.length === 0) throw new UsageError('show what? status, protocols or route');
  return passThrough(o, `show ${words.map((w) => (/^[\w.:/-]+$/.test(w) ? w : JSON.stringify(w))).join(' ')}`, io);
}

/** Runs a command and prints the answer: BIRD's lines as birdc prints them, or JSON. */
async function passThrough(o: Options, command: string, io: CliIO): Promise<number> {
  const reply = await ask(o, o.json ? `json ${command}` : command);
  const failed = reply.final.code >= 8000;
  if (o.json) {
    if (failed) {
      io.err(`${reply.final.text}\n`);
      return 1;
    }
    const docs = reply.lines.filter((l) => l.code === Code.JSON).map((l) => JSON.parse(l.text) as unknown);
    const single = /^(show status|show memory)/.test(command) || / count$| stats$/.test(command);
    io.out(`${JSON.stringify(single ? (docs[0] ?? null) : docs, null, 2)}\n`);
    return 0;
  }
  for (const l of reply.lines) io.out(`${l.text}\n`);
  if (reply.final.code !== 0) (failed ? io.err : io.out)(`${reply.final.text}\n`);
  return failed ? 1 : 0;
}

async function health(o: Options, io: CliIO): Promise<number> {
  if (o.live === o.ready) throw new UsageError('health needs exactly one of --live and --ready');
  let c: BirdClient;
  try {
    c = await BirdClient.connect(o.socket, o.timeoutMs);
  } catch (err) {
    io.out(`${(o.live ? liveVerdict(err as Error) : { message: `bgpd is not ready: ${(err as Error).message}` }).message}\n`);
    return 1;
  }
  try {
    const st = await c.command('show status');
    if (o.live) {
      const v = liveVerdict({ firstText: st.lines[0]?.text ?? st.final.text, finalCode: st.final.code });
      io.out(`${v.message}\n`);
      return v.ok ? 0 : 1;
    }
    const protocols = await c.command('show protocols');
    const peers = scanPeers(protocols.raw);
    const v = readyVerdict({
      peers: [...peers.ipv4, ...peers.ipv6],
      sinceStartMs: Date.now() - startTime(o, st),
      thresholdMs: o.thresholdMs,
      gracefulRestart: st.lines.some((l) => l.code === Code.GR_STATUS),
    });
    io.out(`${v.message}\n`);
    return v.ok ? 0 : 1;
  } catch (err) {
    io.out(`bgpd is not ${o.live ? 'live' : 'ready'}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    c.close();
  }
}

/** When the node started: its nodename file's mtime as calico-node uses, else the daemon's `Last reboot`. */
function startTime(o: Options, st: ReplyLines): number {
  if (o.nodenameFile) return statSync(o.nodenameFile).mtimeMs;
  const reboot = st.lines.find((l) => l.text.startsWith('Last reboot on '));
  const t = reboot ? Date.parse(reboot.text.slice('Last reboot on '.length).replace(' ', 'T')) : NaN;
  if (Number.isNaN(t)) throw new Error('the daemon did not say when it started');
  return t;
}
