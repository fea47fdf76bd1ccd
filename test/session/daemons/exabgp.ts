// ExaBGP as a test peer: configuration with a JSON receive log and a command feed.
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { waitFor, type Topology } from '../../helpers/netns.js';

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
