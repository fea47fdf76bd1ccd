// bird2 as a test peer: configuration text, `bird -f` in a namespace, birdc queries, and the
// kernel table bird programs in its namespace.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { nsExec, waitFor, type Topology } from '../../helpers/netns.js';

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
