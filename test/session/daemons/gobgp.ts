// GoBGP as a test peer: YAML configuration, gobgpd with its API on the namespace's loopback, gobgp
// CLI queries, and an MRT TABLE_DUMP_V2 writer to load a large table in one call.
import { execFile, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { nsExec, waitFor, type Topology } from '../../helpers/netns.js';

export interface GobgpPeerSpec {
  routerId: string;
  localAs: number;
  neighbors: { address: string; as: number; v6?: boolean }[];
}

export function gobgpConfig(s: GobgpPeerSpec): string {
  const n = s.neighbors
    .map(
      (x) => `  - config:
      neighbor-address: "${x.address}"
      peer-as: ${x.as}
    timers:
      config:
        hold-time: 9
        keepalive-interval: 3
        connect-retry: 2
    graceful-restart:
      config:
        enabled: true
        restart-time: 120
    afi-safis:
      - config:
          afi-safi-name: ${x.v6 ? 'ipv6-unicast' : 'ipv4-unicast'}
        mp-graceful-restart:
          config:
            enabled: true`,
    )
    .join('\n');
  return `global:
  config:
    as: ${s.localAs}
    router-id: ${s.routerId}
neighbors:
${n}
`;
}

export class Gobgp {
  proc: ChildProcess | null = null;
  readonly conf: string;
  readonly ns: string;
  readonly apiPort = 50051;
  readonly #topo: Topology;

  constructor(topo: Topology, ns: string, name: string) {
    this.#topo = topo;
    this.ns = ns;
    this.conf = topo.file(`${name}.yaml`);
  }

  configure(spec: GobgpPeerSpec): void {
    writeFileSync(this.conf, gobgpConfig(spec));
  }

  async start(): Promise<void> {
    this.proc = this.#topo.spawn(this.ns, 'gobgpd', ['-f', this.conf, '-t', 'yaml', '--api-hosts', `127.0.0.1:${this.apiPort}`, '--log-level', 'info']);
    await waitFor('gobgpd API', () => {
      try {
        return this.gobgp(['global']).includes('AS');
      } catch {
        return false;
      }
    });
  }

  gobgp(args: string[]): string {
    return nsExec(this.ns, 'gobgp', ['-p', String(this.apiPort), ...args]);
  }

  /** Run many gobgp commands, a few at a time (each is its own process). */
  async gobgpMany(commands: string[][], parallel = 8): Promise<void> {
    const queue = [...commands];
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        await new Promise<void>((resolve, reject) => {
          execFile('ip', ['netns', 'exec', this.ns, 'gobgp', '-p', String(this.apiPort), ...c!], (err) => (err ? reject(err) : resolve()));
        });
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  neighborState(address: string): string {
    const j = JSON.parse(this.gobgp(['neighbor', address, '-j'])) as { state?: { session_state?: number | string } };
    return String(j.state?.session_state ?? '');
  }

  /** Routes in GoBGP's global RIB: prefix → next hops. */
  rib(v6 = false): Map<string, string[]> {
    const j = JSON.parse(this.gobgp(['global', 'rib', '-a', v6 ? 'ipv6' : 'ipv4', '-j'])) as Record<string, { attrs?: { type: number; nexthop?: string; value?: { nexthop?: string }[] }[] }[]>;
    const out = new Map<string, string[]>();
    for (const [prefix, paths] of Object.entries(j)) {
      out.set(
        prefix,
        paths.flatMap((p) => (p.attrs ?? []).flatMap((a) => (a.type === 3 && a.nexthop ? [a.nexthop] : a.type === 14 && a.nexthop ? [a.nexthop] : []))),
      );
    }
    return out;
  }

  signal(sig: NodeJS.Signals): void {
    this.proc?.kill(sig);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));
  }
}

/**
 * An MRT TABLE_DUMP_V2 file (RFC 6396 §4.3) holding one IPv4 route per prefix (ORIGIN IGP, empty
 * AS_PATH, NEXT_HOP), so GoBGP can take a whole table in one `gobgp mrt inject global` call.
 */
export function mrtTable(prefixes: string[], nextHop: string, peerId: string): Buffer {
  const ip4 = (a: string) => Buffer.from(a.split('.').map(Number));
  const record = (subtype: number, body: Buffer): Buffer => {
    const h = Buffer.alloc(12);
    h.writeUInt32BE(0, 0);
    h.writeUInt16BE(13, 4); // TABLE_DUMP_V2
    h.writeUInt16BE(subtype, 6);
    h.writeUInt32BE(body.length, 8);
    return Buffer.concat([h, body]);
  };
  // PEER_INDEX_TABLE: collector id, empty view name, one IPv4 peer with a 4-octet AS.
  const peers = Buffer.concat([ip4(peerId), Buffer.from([0, 0, 0, 1, 0x02]), ip4(peerId), ip4(nextHop), Buffer.from([0, 0, 0xfd, 0xe8])]);
  const attrs = Buffer.concat([Buffer.from([0x40, 1, 1, 0]), Buffer.from([0x40, 2, 0]), Buffer.from([0x40, 3, 4]), ip4(nextHop)]);
  const out = [record(1, peers)];
  prefixes.forEach((p, seq) => {
    const [addr, len] = p.split('/');
    const bits = Number(len);
    const head = Buffer.alloc(5);
    head.writeUInt32BE(seq, 0);
    head.writeUInt8(bits, 4);
    const entry = Buffer.alloc(10);
    entry.writeUInt16BE(1, 0); // entry count
    entry.writeUInt16BE(0, 2); // peer index
    entry.writeUInt32BE(0, 4); // originated time
    entry.writeUInt16BE(attrs.length, 8);
    out.push(record(2, Buffer.concat([head, ip4(addr).subarray(0, Math.ceil(bits / 8)), entry, attrs])));
  });
  return Buffer.concat(out);
}
