// FRR's bgpd as a test peer (no zebra): configuration text, start in a namespace, vtysh queries.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { nsExec, waitFor, type Topology } from '../../helpers/netns.js';

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
