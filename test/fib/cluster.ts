// A small Calico data plane in network namespaces for fib/ tests, wired as calico-node wires it
// (DESIGN.md §4): nodes on per-subnet bridges (an L2 namespace), a router namespace that is every
// subnet's gateway, pods as namespaces joined to their node by a `cali…` veth with a /32 address and
// a default route via 169.254.1.1, proxy ARP and a `/32 dev cali… scope link` route on the node
// side, forwarding on. Optionally vxlan.calico (VNI 4096, port 4789, nolearning, as Felix makes it)
// or tunl0 on every node. Each node gets a Fib opened inside its namespace; `program()` installs
// the routes kernelRoute() computes for the other nodes' blocks, the way the daemon will.
import { Topology, nsExec, sh } from '../helpers/netns.js';
import { blackholeRoute, kernelRoute, type EncapContext, type EncapMode, type Fib } from '../../fib/index.js';
import { openFib } from './fib-helpers.js';

export interface ClusterNode {
  name: string;
  ns: string;
  ip: string;
  subnet: 'a' | 'b';
  block: string;
  tunnelAddr: string;
  vtepMac: string;
  pods: { ns: string; ip: string }[];
  fib?: Fib;
}

export const SUBNET = {
  a: { prefix: '192.168.1', gateway: '192.168.1.1' },
  b: { prefix: '192.168.2', gateway: '192.168.2.1' },
} as const;

export interface ClusterSpec {
  /** Subnet of each node, in order (node i gets block 10.244.i.0/26). */
  subnets: ('a' | 'b')[];
  vxlan?: boolean;
  ipip?: boolean;
  podsPerNode?: number;
}

export class Cluster {
  readonly topo: Topology;
  readonly nodes: ClusterNode[] = [];

  constructor(tag: string) {
    this.topo = new Topology(tag);
  }

  build(spec: ClusterSpec): this {
    // Commands are grouped: one `ip -batch` for the links between namespaces, then one `ip -batch`
    // and one `sysctl` per namespace (a VM with a software CPU pays dearly for every process).
    const t = this.topo;
    const links: string[] = [];
    const inNs = new Map<string, string[]>();
    const sysctls = new Map<string, string[]>();
    const ipIn = (ns: string, cmd: string) => (inNs.get(ns) ?? inNs.set(ns, []).get(ns)!).push(cmd);
    const sysctl = (ns: string, kv: string) => (sysctls.get(ns) ?? sysctls.set(ns, []).get(ns)!).push(kv);
    const l2 = t.netns('l2');
    const router = t.netns('rt');
    sysctl(router, 'net.ipv4.ip_forward=1');
    for (const s of [...new Set(spec.subnets)]) {
      ipIn(l2, `link add br${s} type bridge`);
      ipIn(l2, `link set br${s} up`);
      links.push(`link add eth${s} netns ${router} type veth peer name rt${s} netns ${l2}`);
      ipIn(router, `addr add ${SUBNET[s].gateway}/24 dev eth${s}`);
      ipIn(router, `link set eth${s} up`);
      ipIn(l2, `link set rt${s} master br${s} up`);
    }
    spec.subnets.forEach((s, i) => {
      const name = `n${i}`;
      const ns = t.netns(name);
      const ip = `${SUBNET[s].prefix}.${10 + i}`;
      const node: ClusterNode = {
        name,
        ns,
        ip,
        subnet: s,
        block: `10.244.${i}.0/26`,
        tunnelAddr: `10.244.${i}.0`,
        vtepMac: `66:00:00:00:00:${(0x10 + i).toString(16)}`,
        pods: [],
      };
      for (const kv of ['net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']) sysctl(ns, kv);
      links.push(`link add eth0 netns ${ns} type veth peer name p${name} netns ${l2}`);
      ipIn(l2, `link set p${name} master br${s} up`);
      ipIn(ns, `addr add ${ip}/24 dev eth0`);
      ipIn(ns, 'link set eth0 up');
      // Proxy ARP answers only for addresses the node has a route to: the default route makes
      // 169.254.1.1 one of them.
      ipIn(ns, `route add default via ${SUBNET[s].gateway} dev eth0`);
      if (spec.vxlan) {
        ipIn(ns, `link add vxlan.calico type vxlan id 4096 dstport 4789 local ${ip} dev eth0 nolearning`);
        ipIn(ns, `link set vxlan.calico address ${node.vtepMac} mtu 1450 up`);
        ipIn(ns, `addr add ${node.tunnelAddr}/32 dev vxlan.calico`);
      }
      if (spec.ipip) {
        // With the ipip module loaded every namespace has a tunl0; Calico only brings it up.
        ipIn(ns, 'link set tunl0 mtu 1480 up');
        ipIn(ns, `addr add ${node.tunnelAddr}/32 dev tunl0`);
      }
      for (let p = 0; p < (spec.podsPerNode ?? 1); p++) {
        const pns = t.netns(`${name}p${p}`);
        const podIp = `10.244.${i}.${2 + p}`;
        const cali = `cali${t.id}${i}${p}`.slice(0, 15);
        links.push(`link add ${cali} netns ${ns} type veth peer name eth0 netns ${pns}`);
        ipIn(pns, `addr add ${podIp}/32 dev eth0`);
        ipIn(pns, 'link set eth0 up');
        ipIn(pns, 'route add 169.254.1.1 dev eth0 scope link');
        ipIn(pns, 'route add default via 169.254.1.1 dev eth0');
        ipIn(ns, `link set ${cali} up`);
        ipIn(ns, `route add ${podIp}/32 dev ${cali} scope link`);
        sysctl(ns, `net.ipv4.conf.${cali}.proxy_arp=1`);
        sysctl(ns, `net.ipv4.neigh.${cali}.proxy_delay=0`);
        node.pods.push({ ns: pns, ip: podIp });
      }
      this.nodes.push(node);
    });
    sh('ip', ['-batch', '-'], { input: links.join('\n') + '\n' });
    for (const [ns, cmds] of inNs) sh('ip', ['-n', ns, '-batch', '-'], { input: cmds.join('\n') + '\n' });
    for (const [ns, kvs] of sysctls) nsExec(ns, 'sysctl', ['-qw', ...kvs]);
    return this;
  }

  /** The encapsulation context of `node` for one pool holding every block. */
  context(node: ClusterNode, ipipMode: EncapMode, vxlanMode: EncapMode): EncapContext {
    return {
      pools: [{ cidr: '10.244.0.0/16', ipipMode, vxlanMode, disabled: false }],
      localSubnets: [`${node.ip}/24`],
      vteps: this.nodes.filter((n) => n !== node).map((n) => ({ nodeAddress: n.ip, vtepAddress: n.tunnelAddr, mac: n.vtepMac })),
      tunnelDevice: 'tunl0',
      vxlanDevice: 'vxlan.calico',
      vxlanV6Device: 'vxlan-v6.calico',
    };
  }

  /** Open a Fib on every node and install its blackhole and the routes to every other block. */
  async program(ipipMode: EncapMode, vxlanMode: EncapMode): Promise<void> {
    for (const node of this.nodes) {
      const fib = (node.fib ??= await openFib(node.ns));
      await fib.reconcile();
      const ctx = this.context(node, ipipMode, vxlanMode);
      const own = blackholeRoute(node.block);
      if (own) fib.setRoute(own.dst, own);
      for (const other of this.nodes) {
        if (other === node) continue;
        const intent = kernelRoute({ prefix: other.block, nextHops: [other.ip] }, ctx);
        if (!intent) throw new Error(`no kernel route on ${node.name} for ${other.block}`);
        fib.setRoute(intent.dst, intent);
      }
      await fib.settled();
      const errs = fib.errors();
      if (errs.length) throw new Error(`${node.name}: ${JSON.stringify(errs)}`);
    }
  }

  /** Ping every pod from every pod on another node; returns the pairs that got no reply. */
  pingAcross(): string[] {
    const failed: string[] = [];
    for (const a of this.nodes) {
      for (const b of this.nodes) {
        if (a === b) continue;
        for (const pa of a.pods) {
          for (const pb of b.pods) {
            if (!ping(pa.ns, pb.ip)) failed.push(`${a.name} ${pa.ip} → ${b.name} ${pb.ip}`);
          }
        }
      }
    }
    return failed;
  }

  async destroy(): Promise<void> {
    for (const n of this.nodes) n.fib?.close();
    await this.topo.destroy();
  }
}

export function ping(ns: string, ip: string): boolean {
  try {
    // ping exits 0 when any reply came back; three tries, since the first packet may wait for
    // ARP on a bridge that has just come up.
    nsExec(ns, 'ping', ['-c', '3', '-i', '0.2', '-W', '1', ip]);
    return true;
  } catch {
    return false;
  }
}
