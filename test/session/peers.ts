// Real peer daemons for session topology tests: configuration text and small control wrappers for
// bird2 (birdc), so each test file reads as a scenario rather than as daemon plumbing.
import { execFile, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { nsExec, waitFor, type Topology } from '../helpers/netns.js';

export interface BirdPeerSpec {
  routerId: string;
  localAs: number;
  /** One BGP protocol per neighbour. */
  neighbors: { name: string; address: string; localAddress: string; as: number; v6?: boolean; password?: string; listenPort?: number; passive?: boolean }[];
  /** Static routes bird announces (IPv4 prefixes). */
  announce?: string[];
  holdTime?: number;
}

export function birdConfig(s: BirdPeerSpec, logFile: string): string {
  const statics = s.announce?.length
    ? `protocol static announce4 {\n  ipv4;\n${s.announce.map((p) => `  route ${p} blackhole;`).join('\n')}\n}\n`
    : '';
  const bgp = s.neighbors
    .map(
      (n) => `protocol bgp ${n.name} {
  local ${n.localAddress}${n.listenPort ? ` port ${n.listenPort}` : ''} as ${s.localAs};${n.passive ? '\n  passive on;' : ''}
  neighbor ${n.address} as ${n.as};
  hold time ${s.holdTime ?? 9};
  connect delay time 1;
  connect retry time 3;
  error wait time 1, 4;
  graceful restart on;
  graceful restart time 120;
  ${n.password ? `password "${n.password}";` : ''}
  ${n.v6 ? 'ipv6' : 'ipv4'} { import all; export ${n.v6 ? 'all' : 'where proto = "announce4"'}; };
}`,
    )
    .join('\n');
  return `router id ${s.routerId};
log "${logFile}" all;
protocol device { scan time 10; }
protocol kernel k4 { ipv4 { import none; export where source = RTS_BGP; }; }
protocol kernel k6 { ipv6 { import none; export where source = RTS_BGP; }; }
${statics}${bgp}
`;
}

export class Bird {
  proc: ChildProcess | null = null;
  readonly conf: string;
  readonly sock: string;
  readonly #topo: Topology;
  readonly ns: string;

  constructor(topo: Topology, ns: string, name: string) {
    this.#topo = topo;
    this.ns = ns;
    this.conf = topo.file(`${name}.conf`);
    this.sock = topo.file(`${name}.ctl`);
  }

  configure(spec: BirdPeerSpec): void {
    writeFileSync(this.conf, birdConfig(spec, `${this.conf}.log`));
  }

  /** Start bird in the foreground; `recovery` is `-R`: graceful restart recovery (R bit set). */
  async start(recovery = false): Promise<void> {
    this.proc = this.#topo.spawn(this.ns, 'bird', ['-f', '-c', this.conf, '-s', this.sock, '-P', `${this.conf}.pid`, ...(recovery ? ['-R'] : [])]);
    await waitFor('bird control socket', () => {
      try {
        return this.birdc('show status').includes('Daemon is up');
      } catch {
        return false;
      }
    });
  }

  birdc(cmd: string): string {
    return nsExec(this.ns, 'birdc', ['-s', this.sock, ...cmd.split(' ')]);
  }

  protocolState(name: string): string {
    const line = this.birdc(`show protocols ${name}`).split('\n').find((l) => l.startsWith(name));
    return line ?? '';
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

/** Routes of the kernel table in a namespace, as `ip route` prints them. */
export function kernelRoutes(ns: string, v6 = false): string {
  return nsExec(ns, 'ip', [...(v6 ? ['-6'] : []), 'route', 'show']);
}

export interface FrrPeerSpec {
  routerId: string;
  localAs: number;
  neighbors: { address: string; as: number; v6?: boolean; password?: string; ttlSecurityHops?: number }[];
  /** IPv4 networks FRR originates. */
  announce?: string[];
}

export function frrConfig(s: FrrPeerSpec, logFile: string): string {
  const v4 = s.neighbors.filter((n) => !n.v6);
  const v6 = s.neighbors.filter((n) => n.v6);
  return `frr defaults traditional
hostname frr
log file ${logFile}
!
router bgp ${s.localAs}
 bgp router-id ${s.routerId}
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 bgp graceful-restart
 timers bgp 3 9
${s.neighbors.map((n) => ` neighbor ${n.address} remote-as ${n.as}\n neighbor ${n.address} timers connect 2${n.password ? `\n neighbor ${n.address} password ${n.password}` : ''}${n.ttlSecurityHops ? `\n neighbor ${n.address} ttl-security hops ${n.ttlSecurityHops}` : ''}`).join('\n')}
 address-family ipv4 unicast
${(s.announce ?? []).map((p) => `  network ${p}`).join('\n')}
${v4.map((n) => `  neighbor ${n.address} activate`).join('\n')}
 exit-address-family
 address-family ipv6 unicast
${v6.map((n) => `  neighbor ${n.address} activate`).join('\n')}
 exit-address-family
!
`;
}

export class Frr {
  proc: ChildProcess | null = null;
  readonly conf: string;
  readonly vtyDir: string;
  readonly ns: string;
  readonly #topo: Topology;

  constructor(topo: Topology, ns: string, name: string) {
    this.#topo = topo;
    this.ns = ns;
    this.conf = topo.file(`${name}.conf`);
    this.vtyDir = topo.file(`${name}-vty`);
  }

  configure(spec: FrrPeerSpec): void {
    writeFileSync(this.conf, frrConfig(spec, `${this.conf}.log`));
  }

  async start(): Promise<void> {
    mkdirSync(this.vtyDir, { recursive: true });
    this.proc = this.#topo.spawn(this.ns, '/usr/lib/frr/bgpd', ['-f', this.conf, '-Z', '-n', '-S', '--vty_socket', this.vtyDir, '-i', `${this.conf}.pid`, '-u', 'root', '-g', 'root']);
    await waitFor('FRR vty', () => {
      try {
        return this.vtysh('show bgp summary json').length > 0;
      } catch {
        return false;
      }
    });
  }

  vtysh(cmd: string): string {
    return nsExec(this.ns, 'vtysh', ['--vty_socket', this.vtyDir, '-d', 'bgpd', '-c', cmd]);
  }

  json<T = Record<string, unknown>>(cmd: string): T {
    return JSON.parse(this.vtysh(`${cmd} json`)) as T;
  }

  /** FRR's state of one neighbour ("Established", "Active", …). */
  neighborState(address: string): string {
    const j = this.json<Record<string, { bgpState?: string }>>(`show bgp neighbors ${address}`);
    return j[address]?.bgpState ?? '';
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

export interface ExabgpPeerSpec {
  routerId: string;
  localAs: number;
  neighbors: { address: string; localAddress: string; as: number; v6?: boolean }[];
  /** IPv4 prefixes announced to the IPv4 neighbours, next hop self. */
  announce?: string[];
}

/**
 * ExaBGP with two helper processes: one appends every UPDATE it receives (JSON) to a file, one
 * feeds it API commands written to a file by the test.
 */
export class Exabgp {
  proc: ChildProcess | null = null;
  readonly conf: string;
  readonly received: string;
  readonly commands: string;
  readonly ns: string;
  readonly #topo: Topology;
  #seq = 0;

  constructor(topo: Topology, ns: string, name: string) {
    this.#topo = topo;
    this.ns = ns;
    this.conf = topo.file(`${name}.conf`);
    this.received = topo.file(`${name}.received.jsonl`);
    this.commands = topo.file(`${name}.commands`);
  }

  configure(s: ExabgpPeerSpec): void {
    const recv = this.#topo.file('exa-recv.sh');
    const cmd = this.#topo.file('exa-cmd.sh');
    // No exec: the shell keeps its stdout (ExaBGP reads EOF there as the helper dying).
    writeFileSync(recv, `#!/bin/sh\ncat >> ${this.received}\n`, { mode: 0o755 });
    writeFileSync(
      cmd,
      `#!/bin/sh\nwhile true; do\n  for f in ${this.commands}.*; do\n    [ -f "$f" ] || continue\n    cat "$f"; rm -f "$f"\n  done\n  sleep 0.2\ndone\n`,
      { mode: 0o755 },
    );
    const neighbors = s.neighbors
      .map(
        (n, i) => `neighbor ${n.address} {
  router-id ${s.routerId};
  local-address ${n.localAddress};
  local-as ${s.localAs};
  peer-as ${n.as};
  hold-time 9;
  family { ${n.v6 ? 'ipv6' : 'ipv4'} unicast; }
  capability { graceful-restart 120; route-refresh enable; asn4 enable; }
  api speaking${i} { processes [ recv ]; receive { parsed; update; } }
  api commands${i} { processes [ cmd ]; }
${n.v6 ? '' : `  static {\n${(s.announce ?? []).map((p) => `    route ${p} next-hop ${n.localAddress};`).join('\n')}\n  }`}
}`,
      )
      .join('\n');
    writeFileSync(this.conf, `process recv {\n  run ${recv};\n  encoder json;\n}\nprocess cmd {\n  run ${cmd};\n  encoder text;\n}\n${neighbors}\n`);
  }

  async start(): Promise<void> {
    // Its log goes to a file: an unread pipe would fill and stall it.
    const out = openSync(`${this.conf}.log`, 'a');
    this.proc = this.#topo.spawn(this.ns, 'exabgp', [this.conf], {
      env: { ...process.env, 'exabgp.daemon.user': 'root', 'exabgp.daemon.drop': 'false', 'exabgp.api.ack': 'false' },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    await waitFor('exabgp running', () => this.proc!.exitCode === null && this.proc!.pid !== undefined);
  }

  /** Send one API command ("withdraw route …", "announce route-refresh ipv4 unicast"). */
  command(text: string): void {
    writeFileSync(`${this.commands}.${++this.#seq}`, `${text}\n`);
  }

  /** Routes ExaBGP holds from us, replayed from the UPDATEs it logged: prefix → next hop. */
  routes(): Map<string, string> {
    const out = new Map<string, string>();
    let text = '';
    try {
      text = readFileSync(this.received, 'utf8');
    } catch {
      return out;
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      let j: { type?: string; neighbor?: { message?: { update?: { announce?: Record<string, Record<string, { nlri: string }[]>>; withdraw?: Record<string, { nlri: string }[]> } } } };
      try {
        j = JSON.parse(line);
      } catch {
        continue;
      }
      const u = j.neighbor?.message?.update;
      if (!u) continue;
      for (const list of Object.values(u.withdraw ?? {})) for (const r of list) out.delete(r.nlri);
      for (const byNh of Object.values(u.announce ?? {})) for (const [nh, list] of Object.entries(byNh)) for (const r of list) out.set(r.nlri, nh);
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
