// The lab: a small Calico cluster in network namespaces — nodes on one L2 (a bridge namespace), a
// ToR router running bird2, two pods per node joined by `cali…` veths exactly as Calico wires
// them — with our daemon on every node, reading a generated YAML datastore. `runLab` builds it,
// waits for BGP, reads the sessions, the kernel routes and the ToR's table, pings every pod from
// every pod, and reports what it saw. It never assumes success: a missing route is a failed ping
// and a non-zero exit code.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { daemonCommand, daemonScript } from '../helpers/daemon.js';
import { datastoreYaml, planCluster, protocolOf, SUBNETS, TOR_AS, torBirdConfig, type ClusterPlan, type Mode, type NodePlan } from './cluster.js';
import { NetLab, run } from './netlab.js';
import { kernelRoutes, logSessions, nodeStatus, parseBirdProtocols, parseBirdRoutes, ping, type BirdProtocol, type BirdRoute, type KernelRoute, type NodeStatus, type Ping, type SessionRow } from './observe.js';
import { formatReport, keepHowto } from './report.js';

export interface LabOptions {
  mode: Mode;
  nodes: number;
  routeReflector: boolean;
  /** Leave the lab running after the report (it is recorded for `--down`). */
  keep: boolean;
  /** Progress and report lines; default: stdout. */
  out?: (line: string) => void;
  /** Project root holding dist/ (default: found from this file). */
  root?: string;
  sessionTimeoutMs?: number;
  /** How long to wait for every node to hold a route to every other node's block. */
  routeWaitMs?: number;
}

export interface NodeResult {
  name: string;
  ns: string;
  ip: string;
  block: string;
  pods: { name: string; ip: string; ns: string }[];
  status: NodeStatus;
  /** Sessions as the daemon logged them, with the routes each peer sent before its End-of-RIB. */
  logSessions: SessionRow[];
  routes: KernelRoute[];
  /** Blocks of other nodes this node has no kernel route for. */
  missingBlocks: string[];
}

export interface LabResult {
  id: string;
  mode: Mode;
  ok: boolean;
  exitCode: number;
  /** Set when the lab could not be built or run (nothing else is then meaningful). */
  error?: string;
  sessionsUp: boolean;
  nodes: NodeResult[];
  tor: { ns: string; socket: string; protocols: BirdProtocol[]; routes: BirdRoute[] };
  pings: Ping[];
  summary: string;
  kept?: { stateFile: string; howto: string };
}

/** Labs being built or run by this process; `abortActiveLabs` tears them down (Ctrl-C). */
const active = new Set<NetLab>();

export function abortActiveLabs(): void {
  for (const lab of active) lab.teardown();
  active.clear();
}

export function projectRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let d = from; ; d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'calico-bgpd') return d;
    if (dirname(d) === d) throw new Error('cannot find the calico-bgpd project root');
  }
}

export class LabError extends Error {}

export const IPIP_MISSING =
  'ipip mode needs the kernel\'s ipip module (the tunl0 device), and this kernel has none: "ip link add tunl0 type ipip" fails. ' +
  'Run this mode under a kernel with ipip, e.g. ../shared/vmkernel/run-in-vm.sh -w "$PWD" -- npm run lab -- --mode ipip';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(deadline: number, probe: () => boolean): Promise<boolean> {
  for (;;) {
    let done = false;
    try {
      done = probe();
    } catch {
      done = false;
    }
    if (done) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

function describe(o: LabOptions): string {
  return `${o.nodes} node${o.nodes === 1 ? '' : 's'}, mode ${o.mode}, ${o.routeReflector ? 'route reflector k8s-w0 (mesh off)' : 'node-to-node mesh'}`;
}

/** The Calico node's plumbing: uplink, forwarding, tunnel device, and its pods. */
function buildNode(lab: NetLab, plan: ClusterPlan, n: NodePlan, l2: string): string {
  const ns = lab.netns(n.short);
  run('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', n.short, 'netns', l2]);
  lab.ip(l2, 'link', 'set', n.short, 'master', `br-${n.subnet.name}`, 'up');
  lab.ip(ns, 'addr', 'add', `${n.ip}/${n.prefixLength}`, 'dev', 'eth0');
  lab.ip(ns, 'link', 'set', 'eth0', 'up');
  // Proxy ARP on the cali… veths answers only for addresses the node has a route to: the default
  // route makes 169.254.1.1 one of them.
  lab.ip(ns, 'route', 'add', 'default', 'via', n.subnet.gateway, 'dev', 'eth0');
  lab.sysctl(ns, 'net.ipv4.ip_forward', 1);
  lab.sysctl(ns, 'net.ipv4.conf.all.rp_filter', 0);
  if (plan.usesVxlan) {
    // What Felix creates on a VXLAN node: VNI 4096, port 4789, no learning (the fdb is programmed).
    lab.ip(ns, 'link', 'add', 'vxlan.calico', 'type', 'vxlan', 'id', '4096', 'dstport', '4789', 'local', n.ip, 'dev', 'eth0', 'nolearning');
    lab.ip(ns, 'link', 'set', 'vxlan.calico', 'address', n.vtepMac, 'mtu', '1450', 'up');
    lab.ip(ns, 'addr', 'add', `${n.tunnelAddr}/32`, 'dev', 'vxlan.calico');
  }
  if (plan.usesIpip) {
    // With the ipip module loaded every namespace has a tunl0; Calico only brings it up.
    lab.ip(ns, 'link', 'set', 'tunl0', 'mtu', '1480', 'up');
    lab.ip(ns, 'addr', 'add', `${n.tunnelAddr}/32`, 'dev', 'tunl0');
  }
  for (const p of n.pods) {
    const pns = lab.netns(p.name);
    run('ip', ['link', 'add', p.iface, 'netns', ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pns]);
    lab.ip(pns, 'addr', 'add', `${p.ip}/32`, 'dev', 'eth0');
    lab.ip(pns, 'link', 'set', 'eth0', 'up');
    lab.ip(pns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link');
    lab.ip(pns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0');
    lab.ip(ns, 'link', 'set', p.iface, 'up');
    lab.sysctl(ns, `net.ipv4.conf.${p.iface}.proxy_arp`, 1);
    lab.sysctl(ns, `net.ipv4.neigh.${p.iface}.proxy_delay`, 0);
    lab.ip(ns, 'route', 'add', `${p.ip}/32`, 'dev', p.iface, 'scope', 'link');
  }
  return ns;
}

function requireIpip(lab: NetLab): void {
  const probe = lab.netns('ipip-probe');
  try {
    lab.ip(probe, 'link', 'show', 'tunl0');
  } catch {
    try {
      lab.ip(probe, 'link', 'add', 'tunl0', 'type', 'ipip');
    } catch {
      throw new LabError(IPIP_MISSING);
    }
  }
}

/** Where the failed pings are: between pods of different nodes, or of the same node. */
function crossNode(plan: ClusterPlan, pings: Ping[]): string {
  const nodeOf = new Map(plan.pods.map((p) => [p.name, p.node]));
  const across = pings.filter((p) => nodeOf.get(p.from) !== nodeOf.get(p.to));
  const within = pings.filter((p) => nodeOf.get(p.from) === nodeOf.get(p.to));
  const bad = (l: Ping[]) => l.filter((p) => !p.ok).length;
  return `${bad(across)} of ${across.length} between nodes, ${bad(within)} of ${within.length} within a node`;
}

export async function runLab(opts: LabOptions): Promise<LabResult> {
  const out = opts.out ?? ((l: string) => console.log(l));
  const root = opts.root ?? projectRoot();
  const lab = new NetLab(describe(opts));
  active.add(lab);
  const result: LabResult = {
    id: lab.id,
    mode: opts.mode,
    ok: false,
    exitCode: 1,
    sessionsUp: false,
    nodes: [],
    tor: { ns: lab.nsName('tor'), socket: lab.file('tor.ctl'), protocols: [], routes: [] },
    pings: [],
    summary: '',
  };
  let keep = false;
  const started = Date.now();
  const step = (what: string) => out(`• ${what}`);
  const secs = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  try {
    const daemon = daemonScript(root);
    if (!existsSync(daemon)) throw new LabError(`${daemon} is missing: run "npm run build" first`);
    for (const [tool, pkg] of [['bird', 'bird2'], ['birdc', 'bird2'], ['ping', 'iputils-ping'], ['ip', 'iproute2']]) {
      try {
        run('sh', ['-c', `command -v ${tool}`]);
      } catch {
        throw new LabError(`the lab needs ${tool} (Debian package ${pkg})`);
      }
    }
    const plan = planCluster({ mode: opts.mode, nodes: opts.nodes, routeReflector: opts.routeReflector }, lab.id);
    out(`calico-bgpd lab ${lab.id}: ${describe(opts)}`);
    if (plan.usesIpip) requireIpip(lab);

    // The shared L2: one bridge per subnet in its own namespace.
    const subnets = [...new Set(plan.nodes.map((n) => n.subnet.name))];
    const l2 = lab.netns('l2');
    for (const s of subnets) {
      lab.ip(l2, 'link', 'add', `br-${s}`, 'type', 'bridge');
      lab.ip(l2, 'link', 'set', `br-${s}`, 'up');
    }
    // The ToR: the nodes' gateway, routing between the subnets (CrossSubnet), bird2 for BGP.
    const tor = lab.netns('tor');
    for (const s of subnets) {
      run('ip', ['link', 'add', `eth-${s}`, 'netns', tor, 'type', 'veth', 'peer', 'name', `tor-${s}`, 'netns', l2]);
      lab.ip(l2, 'link', 'set', `tor-${s}`, 'master', `br-${s}`, 'up');
      lab.ip(tor, 'addr', 'add', `${SUBNETS[s].gateway}/24`, 'dev', `eth-${s}`);
      lab.ip(tor, 'link', 'set', `eth-${s}`, 'up');
    }
    lab.sysctl(tor, 'net.ipv4.ip_forward', 1);
    const nodeNs = plan.nodes.map((n) => buildNode(lab, plan, n, l2));
    step(`namespaces: bridge, ToR, ${plan.nodes.length} nodes, ${plan.pods.length} pods (${secs()})`);

    const store = lab.file('calico.yaml');
    writeFileSync(store, datastoreYaml(plan));
    const birdConf = lab.file('tor.conf');
    writeFileSync(birdConf, torBirdConfig(plan, lab.file('tor.log')));
    lab.daemon(tor, 'bird', ['-f', '-c', birdConf, '-s', result.tor.socket, '-P', lab.file('tor.pid')], lab.file('tor.out'));
    const birdc = (...cmd: string[]) => run('birdc', ['-s', result.tor.socket, ...cmd]);
    const torUp = await until(Date.now() + 10_000, () => birdc('show', 'status').includes('Daemon is up'));
    if (!torUp) throw new LabError(`bird2 on the ToR did not start; see ${lab.file('tor.out')}`);
    step(`ToR: bird2, AS ${TOR_AS}, one session per node`);

    plan.nodes.forEach((n, i) => {
      // As installed: with the node flags on the daemon's first line.
      const cmd = daemonCommand(root, ['--config', store, '--node', n.name, '--socket', lab.file(`${n.name}.ctl`), '--log-level', 'info']);
      lab.daemon(nodeNs[i], cmd.command, cmd.args, lab.file(`${n.name}.log`));
    });
    step(`bgpd on ${plan.nodes.map((n) => n.name).join(', ')} (datastore ${store})`);

    const bgpctl = join(root, 'dist', 'bgpd', 'control', 'bgpctl.js');
    const status = (n: NodePlan) => nodeStatus(bgpctl, lab.file(`${n.name}.ctl`), lab.file(`${n.name}.log`));
    const torProtocols = () => parseBirdProtocols(birdc('show', 'protocols'));
    result.sessionsUp = await until(Date.now() + (opts.sessionTimeoutMs ?? 30_000), () => {
      // The ToR first (birdc is quick); each node's bgpctl only once the ToR sees every session up.
      const p = torProtocols();
      if (!plan.nodes.every((n) => p.find((x) => x.name === protocolOf(n))?.info.startsWith('Established'))) return false;
      return plan.nodes.every((n) => {
        const s = status(n).sessions;
        return s.length > 0 && s.every((x) => x.state === 'Established');
      });
    });
    step(result.sessionsUp ? `BGP sessions: all Established (${secs()})` : `BGP sessions: not all Established after ${secs()}`);

    const missing = (n: NodePlan, ns: string): string[] => {
      const have = new Set(kernelRoutes(ns).map((r) => r.dst));
      return plan.nodes.filter((o) => o !== n && !have.has(o.block)).map((o) => o.block);
    };
    const routed = await until(Date.now() + (opts.routeWaitMs ?? 8000), () => plan.nodes.every((n, i) => missing(n, nodeNs[i]).length === 0));
    step(routed ? `kernel routes: every node has a route to every other node's block (${secs()})` : `kernel routes: some nodes lack routes to other nodes' blocks (${secs()})`);

    result.tor.protocols = torProtocols();
    result.tor.routes = parseBirdRoutes(birdc('show', 'route'));
    result.nodes = plan.nodes.map((n, i) => ({
      name: n.name,
      ns: nodeNs[i],
      ip: `${n.ip}/${n.prefixLength}`,
      block: n.block,
      pods: n.pods.map((p) => ({ name: p.name, ip: p.ip, ns: lab.nsName(p.name) })),
      status: status(n),
      logSessions: logSessions(lab.file(`${n.name}.log`)),
      routes: kernelRoutes(nodeNs[i]),
      missingBlocks: missing(n, nodeNs[i]),
    }));

    // Every pod pings every other pod; a few at a time to spare the CPU.
    const pairs = plan.pods.flatMap((a) => plan.pods.filter((b) => b !== a).map((b) => ({ a, b })));
    const pings: Ping[] = new Array(pairs.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let k = next++; k < pairs.length; k = next++) {
          const { a, b } = pairs[k];
          pings[k] = { from: a.name, to: b.name, ok: await ping(lab.nsName(a.name), b.ip) };
        }
      }),
    );
    result.pings = pings;
    const failed = pings.filter((p) => !p.ok).length;
    result.ok = result.sessionsUp && failed === 0;
    result.exitCode = result.ok ? 0 : 1;
    result.summary = failed === 0
      ? `✓ all ${pings.length} pings between ${plan.pods.length} pods succeeded${result.sessionsUp ? '' : ', but not every BGP session is up'} (${secs()})`
      : `✗ ${failed} of ${pings.length} pings failed: ${crossNode(plan, pings)} (${secs()})`;
    for (const line of formatReport(result, plan)) out(line);
    if (opts.keep) {
      keep = true;
      const stateFile = lab.keep();
      result.kept = { stateFile, howto: keepHowto(result, root) };
      out(result.kept.howto);
    }
    return result;
  } catch (e) {
    result.error = (e as Error).message;
    result.ok = false;
    result.exitCode = 1;
    result.summary = `✗ lab failed: ${result.error}`;
    out(result.summary);
    return result;
  } finally {
    active.delete(lab);
    if (!keep) lab.teardown();
  }
}
