// tshark as an independent BGP decoder: reads a capture file and returns every BGP message it saw,
// in stream order, with its bytes, its TCP endpoints and the fields Wireshark's BGP dissector decoded
// (flattened to `field name → values in order`). Also checks the message bytes against tshark's own
// TCP stream reassembly so no message is silently missed or cut wrong.
import { execFileSync } from 'node:child_process';

export interface TsharkMessage {
  frame: number;
  stream: number;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  hex: string;
  /** Decoded fields: name → values in the order the dissector produced them. */
  fields: Record<string, string[]>;
  /** Expert items the dissector raised inside this message (severity, group, text). */
  expert: { severity: string; group: string; message: string }[];
}

export interface TsharkCapture {
  messages: TsharkMessage[];
  /** Frames tshark flagged as malformed (`_ws.malformed`), any protocol. */
  malformedFrames: number[];
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

const TSHARK_OPTS = ['-o', 'tcp.desegment_tcp_streams:TRUE', '-o', 'tcp.analyze_sequence_numbers:TRUE'];

export function tsharkVersion(): string {
  const out = execFileSync('tshark', ['--version'], { encoding: 'utf8' });
  return /TShark \(Wireshark\) (\S+)/.exec(out)?.[1] ?? 'unknown';
}

/** Decode a capture. `ports` are TCP ports other than 179 to dissect as BGP. */
export function readCapture(pcap: string, ports: number[] = []): TsharkCapture {
  const decodeAs = ports.flatMap((p) => ['-d', `tcp.port==${p},bgp`]);
  const out = execFileSync(
    'tshark',
    ['-r', pcap, '-n', ...TSHARK_OPTS, ...decodeAs, '-T', 'json', '-x', '--no-duplicate-keys', '-Y', 'bgp || _ws.malformed'],
    { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const packets = (out.trim() ? JSON.parse(out) : []) as { _source: { layers: Record<string, Json> } }[];
  const messages: TsharkMessage[] = [];
  const malformedFrames: number[] = [];
  for (const p of packets) {
    const l = p._source.layers;
    const frame = Number(field(l.frame, 'frame.number'));
    if (hasKey(l, '_ws.malformed')) malformedFrames.push(frame);
    if (l.bgp === undefined) continue;
    const ip = (l.ip ?? l.ipv6) as Record<string, Json>;
    const v6 = l.ip === undefined;
    const src = String(field(ip, v6 ? 'ipv6.src' : 'ip.src'));
    const dst = String(field(ip, v6 ? 'ipv6.dst' : 'ip.dst'));
    const stream = Number(field(l.tcp, 'tcp.stream'));
    const srcPort = Number(field(l.tcp, 'tcp.srcport'));
    const dstPort = Number(field(l.tcp, 'tcp.dstport'));
    const bodies = Array.isArray(l.bgp) ? l.bgp : [l.bgp];
    const raws = l.bgp_raw as Json[];
    const rawList = (Array.isArray(raws[0]) ? raws : [raws]) as Json[][];
    if (rawList.length !== bodies.length) {
      throw new Error(`frame ${frame}: ${bodies.length} BGP messages but ${rawList.length} raw blocks`);
    }
    bodies.forEach((body, i) => {
      const fields: Record<string, string[]> = {};
      const expert: TsharkMessage['expert'] = [];
      flatten(body, fields, expert);
      messages.push({ frame, stream, src, srcPort, dst, dstPort, hex: String(rawList[i][0]), fields, expert });
    });
  }
  checkAgainstStreams(pcap, messages, decodeAs);
  return { messages, malformedFrames };
}

function field(obj: Json | undefined, name: string): Json | undefined {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) return obj[name];
  return undefined;
}

function hasKey(obj: Json, key: string): boolean {
  if (Array.isArray(obj)) return obj.some((x) => hasKey(x, key));
  if (obj && typeof obj === 'object') return Object.entries(obj).some(([k, v]) => k === key || hasKey(v, key));
  return false;
}

/** Walk the dissector tree: keep leaf fields (not `_raw` byte positions, not the marker). */
function flatten(node: Json, out: Record<string, string[]>, expert: TsharkMessage['expert'], key = ''): void {
  if (Array.isArray(node)) {
    for (const x of node) flatten(x, out, expert, key);
    return;
  }
  if (node !== null && typeof node === 'object') {
    if (key === '_ws.expert') {
      expert.push({
        severity: String(node['_ws.expert.severity'] ?? ''),
        group: String(node['_ws.expert.group'] ?? ''),
        message: String(node['_ws.expert.message'] ?? ''),
      });
      return;
    }
    for (const [k, v] of Object.entries(node)) {
      if (k.endsWith('_raw') || k === 'bgp.marker') continue;
      flatten(v, out, expert, k);
    }
    return;
  }
  if (key.startsWith('bgp') && !key.includes(' ')) (out[key] ??= []).push(String(node));
}

/**
 * tshark's "follow tcp raw" reassembles each stream independently of the BGP dissector: the messages
 * of one direction, concatenated, must be exactly that direction's payload.
 */
function checkAgainstStreams(pcap: string, messages: TsharkMessage[], decodeAs: string[]): void {
  const streams = [...new Set(messages.map((m) => m.stream))];
  if (streams.length === 0) return;
  const out = execFileSync(
    'tshark',
    ['-r', pcap, '-n', '-q', ...decodeAs, ...streams.flatMap((s) => ['-z', `follow,tcp,raw,${s}`])],
    { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  for (const block of out.split(/^=+$/m)) {
    const filter = /Filter: tcp\.stream eq (\d+)/.exec(block);
    const node0 = /Node 0: (.*):(\d+)$/m.exec(block);
    if (!filter || !node0) continue;
    const stream = Number(filter[1]);
    let fromNode0 = '';
    let fromNode1 = '';
    for (const line of block.split('\n')) {
      if (/^[0-9a-f]+$/.test(line)) fromNode0 += line;
      else if (/^\t[0-9a-f]+$/.test(line)) fromNode1 += line.slice(1);
    }
    const mine = messages.filter((m) => m.stream === stream);
    const port0 = Number(node0[2]);
    const sent0 = mine.filter((m) => m.srcPort === port0).map((m) => m.hex).join('');
    const sent1 = mine.filter((m) => m.srcPort !== port0).map((m) => m.hex).join('');
    if (sent0 !== fromNode0 || sent1 !== fromNode1) {
      throw new Error(`tcp stream ${stream}: BGP messages do not add up to the reassembled payload`);
    }
  }
}
