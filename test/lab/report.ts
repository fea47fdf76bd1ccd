// The lab's printout: per node its sessions and kernel routes, the ToR's view, the ping matrix
// and one summary line; and, for a kept lab, how to look around.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TOR_AS, type ClusterPlan } from './cluster.js';
import type { LabResult } from './lab.js';

export function pingMatrix(result: LabResult): string[] {
  const pods = result.nodes.flatMap((n) => n.pods.map((p) => p.name));
  const ok = new Map(result.pings.map((p) => [`${p.from}>${p.to}`, p.ok]));
  const w = Math.max(6, ...pods.map((p) => p.length));
  const lines = [`  ${'from\\to'.padEnd(w)} ${pods.map((p) => p.padStart(w)).join(' ')}`];
  for (const a of pods) {
    const cells = pods.map((b) => (a === b ? '·' : ok.get(`${a}>${b}`) === undefined ? '?' : ok.get(`${a}>${b}`) ? '✓' : '✗').padStart(w));
    lines.push(`  ${a.padEnd(w)} ${cells.join(' ')}`);
  }
  return lines;
}

export function formatReport(result: LabResult, plan: ClusterPlan): string[] {
  const lines: string[] = [''];
  for (const n of result.nodes) {
    lines.push(`== ${n.name}  ${n.ip}  block ${n.block}  pods ${n.pods.map((p) => `${p.name} ${p.ip}`).join(', ')}`);
    lines.push(n.status.source === 'bgpctl' ? 'bgpctl status:' : 'sessions (from the daemon log: this build has no bgpctl/control socket yet):');
    lines.push(...n.status.text.split('\n').map((l) => (n.status.source === 'bgpctl' ? `  ${l}` : l)));
    lines.push('kernel routes (ip route):');
    lines.push(...n.routes.map((r) => `  ${r.line}`));
    if (n.missingBlocks.length) {
      const owners = n.missingBlocks.map((b) => `${b} (${plan.nodes.find((x) => x.block === b)?.name ?? '?'})`);
      lines.push(`  ✗ no route to ${owners.join(', ')}`);
    }
    lines.push('');
  }
  lines.push(`== ToR  bird2  AS ${TOR_AS}`);
  for (const p of result.tor.protocols.filter((x) => x.proto === 'BGP')) lines.push(`  ${p.name.padEnd(8)} ${p.state.padEnd(5)} ${p.info}`);
  lines.push('routes learned (birdc show route):');
  const order = (prefix: string) => plan.nodes.findIndex((n) => n.block === prefix);
  const learned = result.tor.routes.filter((r) => r.protocol.startsWith('k8s_')).sort((a, b) => order(a.prefix) - order(b.prefix));
  if (learned.length === 0) lines.push('  (none)');
  for (const r of learned) lines.push(`  ${r.prefix.padEnd(18)} ${r.via ? `via ${r.via}` : 'unreachable'}  [${r.protocol}]${r.best ? ' *' : ''}`);
  lines.push('', '== ping matrix (✓ reply, ✗ no reply)', ...pingMatrix(result), '', result.summary);
  return lines;
}

export function keepHowto(result: LabResult, root: string): string {
  const n = result.nodes[0];
  const p = n?.pods[0];
  const q = result.nodes[1]?.pods[0] ?? n?.pods[1];
  const bgpctl = join(root, 'dist', 'bgpd', 'control', 'bgpctl.js');
  const sock = n ? result.tor.socket.replace(/tor\.ctl$/, `${n.name}.ctl`) : '';
  return [
    '',
    `The lab is kept (id ${result.id}). To look around:`,
    n && existsSync(bgpctl) ? `  sessions of ${n.name}:  node ${bgpctl} -s ${sock} status` : '',
    n ? `  daemon log:           ${sock.replace(/\.ctl$/, '.log')}` : '',
    n ? `  kernel routes:        ip -n ${n.ns} route` : '',
    `  the ToR:              birdc -s ${result.tor.socket} show protocols   |   birdc -s ${result.tor.socket} show route`,
    p && q ? `  a ping:               ip netns exec ${p.ns} ping ${q.ip}` : '',
    `  the datastore:        ${result.tor.socket.replace(/tor\.ctl$/, 'calico.yaml')} (daemons reload it on change or SIGHUP)`,
    `  take it down:         npm run lab -- --down ${result.id}`,
  ]
    .filter(Boolean)
    .join('\n');
}
