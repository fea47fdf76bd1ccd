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
    const t = this.topo;
    const l2 = t.netns('l2');
    const router = t.netns('rt');
    nsExec(router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    for (const s of [...new Set(spec.subnets)]) {
      const br = `br${s}`;
      nsExec(l2, 'ip', ['link', 'add', br, 'type', 'bridge']);
      nsExec(l2, 'ip', ['link', 'set', br, 'up']);
      sh('ip', ['link', 'add', 'eth0', 'netns', router, 'type', 'veth', 'peer', 'name', `rt${s}`, 'netns', l2]);
      nsExec(router, 'ip', ['link', 'set', 'eth0', 'name', `eth${s}`]);
      nsExec(router, 'ip', ['addr', 'add', `${SUBNET[s].gateway}/24`, 'dev', `eth${s}`]);
      nsExec(router, 'ip', ['link', 'set', `eth${s}`, 'up']);
      nsExec(l2, 'ip', ['link', 'set', `rt${s}`, 'master', br, 'up']);
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
      for (const kv of ['net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']) nsExec(ns, 'sysctl', ['-qw', kv]);
      sh('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', `p${name}`, 'netns', l2]);
      nsExec(l2, 'ip', ['link', 'set', `p${name}`, 'master', `br${s}`, 'up']);
      nsExec(ns, 'ip', ['addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      nsExec(ns, 'ip', ['link', 'set', 'eth0', 'up']);
      // Proxy ARP answers only for addresses the node has a route to: the default route makes
      // 169.254.1.1 one of them.
      nsExec(ns, 'ip', ['route', 'add', 'default', 'via', SUBNET[s].gateway, 'dev', 'eth0']);
      if (spec.vxlan) {
        nsExec(ns, 'ip', ['link', 'add', 'vxlan.calico', 'type', 'vxlan', 'id', '4096', 'dstport', '4789', 'local', ip, 'dev', 'eth0', 'nolearning']);
        nsExec(ns, 'ip', ['link', 'set', 'vxlan.calico', 'address', node.vtepMac, 'mtu', '1450', 'up']);
        nsExec(ns, 'ip', ['addr', 'add', `${node.tunnelAddr}/32`, 'dev', 'vxlan.calico']);
      }
      if (spec.ipip) {
        // With the ipip module loaded every namespace has a tunl0; Calico only brings it up.
        nsExec(ns, 'ip', ['link', 'set', 'tunl0', 'mtu', '1480', 'up']);
        nsExec(ns, 'ip', ['addr', 'add', `${node.tunnelAddr}/32`, 'dev', 'tunl0']);
      }
      for (let p = 0; p < (spec.podsPerNode ?? 1); p++) {
        const pns = t.netns(`${name}p${p}`);
        const podIp = `10.244.${i}.${2 + p}`;
        const cali = `cali${t.id}${i}${p}`.slice(0, 15);
        sh('ip', ['link', 'add', cali, 'netns', ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pns]);
        nsExec(pns, 'ip', ['addr', 'add', `${podIp}/32`, 'dev', 'eth0']);
        nsExec(pns, 'ip', ['link', 'set', 'eth0', 'up']);
        nsExec(pns, 'ip', ['route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
        nsExec(pns, 'ip', ['route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
        nsExec(ns, 'ip', ['link', 'set', cali, 'up']);
        nsExec(ns, 'sysctl', ['-qw', `net.ipv4.conf.${cali}.proxy_arp=1`]);
        nsExec(ns, 'sysctl', ['-qw', `net.ipv4.neigh.${cali}.proxy_delay=0`]);
        nsExec(ns, 'ip', ['route', 'add', `${podIp}/32`, 'dev', cali, 'scope', 'link']);
        node.pods.push({ ns: pns, ip: podIp });
      }
      this.nodes.push(node);
    });
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
