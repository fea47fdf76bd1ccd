// Issue 5 acceptance 1–3 on this kernel, driving Fib directly: pods on different nodes ping each
// other because the routes kernelRoute() computes are in each node's kernel — Direct on one L2,
// VXLAN over vxlan.calico (our neighbours + fdb entries), and vxlanMode CrossSubnet across a router.
// (IPIP needs tunl0, which this kernel lacks: ipip.vm.test.ts runs it under Debian's kernel.)
import { afterEach, describe, expect, it } from 'vitest';
import { nsExec, waitFor } from '../helpers/netns.js';
import { kernelRoute } from '../../fib/index.js';
import { Cluster, ping } from './cluster.js';
import { openFib, routeTo } from './fib-helpers.js';

describe('pods ping across nodes through the routes Fib installs', () => {
  let cluster: Cluster | null = null;
  afterEach(async () => {
    await cluster?.destroy();
    cluster = null;
  });

  it('Direct: two nodes on one L2', async () => {
    cluster = new Cluster('fdir').build({ subnets: ['a', 'a'], podsPerNode: 2 });
    const [n0, n1] = cluster.nodes;
    // Without our routes the pods cannot reach each other (the default route leads nowhere).
    expect(ping(n0.pods[0].ns, n1.pods[0].ip)).toBe(false);
    await cluster.program('Never', 'Never');
    expect(routeTo(n0.ns, n1.block)).toMatchObject({ gateway: n1.ip, dev: 'eth0', protocol: 'bird' });
    expect(routeTo(n0.ns, n0.block)).toMatchObject({ type: 'blackhole', protocol: 'bird' });
    expect(cluster.pingAcross()).toEqual([]);
  });

  it('VXLAN: two nodes over vxlan.calico with our neighbour and fdb entries', async () => {
    cluster = new Cluster('fvx').build({ subnets: ['a', 'a'], vxlan: true });
    const [n0, n1] = cluster.nodes;
    await cluster.program('Never', 'Always');
    expect(routeTo(n0.ns, n1.block)).toMatchObject({ gateway: n1.tunnelAddr, dev: 'vxlan.calico', flags: ['onlink'], protocol: 'bird' });
    expect(nsExec(n0.ns, 'ip', ['neigh', 'show', 'dev', 'vxlan.calico'])).toContain(`${n1.tunnelAddr} lladdr ${n1.vtepMac} PERMANENT`);
    expect(nsExec(n0.ns, 'bridge', ['fdb', 'show', 'dev', 'vxlan.calico'])).toContain(`${n1.vtepMac} dst ${n1.ip} self permanent`);
    expect(cluster.pingAcross()).toEqual([]);
    // The traffic really is encapsulated: vxlan.calico counted the packets it sent.
    const sent = JSON.parse(nsExec(n0.ns, 'ip', ['-j', '-s', 'link', 'show', 'vxlan.calico']))[0].stats64.tx.packets as number;
    expect(sent).toBeGreaterThan(0);
  });

  it('CrossSubnet (vxlanMode): three nodes in two subnets joined by a router — direct inside a subnet, VXLAN across', async () => {
    cluster = new Cluster('fxs').build({ subnets: ['a', 'a', 'b'], vxlan: true });
    const [n0, n1, n2] = cluster.nodes;
    await cluster.program('Never', 'CrossSubnet');
    // Same subnet: a plain route. Across the router: the tunnel.
    expect(routeTo(n0.ns, n1.block)).toMatchObject({ gateway: n1.ip, dev: 'eth0' });
    expect(routeTo(n0.ns, n2.block)).toMatchObject({ gateway: n2.tunnelAddr, dev: 'vxlan.calico', flags: ['onlink'] });
    expect(routeTo(n2.ns, n0.block)).toMatchObject({ gateway: n0.tunnelAddr, dev: 'vxlan.calico' });
    expect(routeTo(n2.ns, n1.block)).toMatchObject({ gateway: n1.tunnelAddr, dev: 'vxlan.calico' });
    expect(cluster.pingAcross()).toEqual([]);
  });

  it('restart: a new Fib adopts the routes while pods ping (nothing lost), then sweeps the route of a peer that stays gone', async () => {
    cluster = new Cluster('frst').build({ subnets: ['a', 'a', 'a'] });
    const [n0, n1, n2] = cluster.nodes;
    await cluster.program('Never', 'Never');
    // A steady ping from a pod on n0 to a pod on n1, across the restart.
    const pinger = cluster.topo.spawn(n0.pods[0].ns, 'ping', ['-i', '0.05', '-c', '60', '-W', '1', n1.pods[0].ip]);
    let out = '';
    pinger.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => pinger.on('exit', r));
    await waitFor('ping under way', () => /icmp_seq=5 /.test(out), 10_000, 50);

    // The old process goes away without a word (its sockets close; the kernel keeps its routes).
    n0.fib!.close();
    const fib = await openFib(n0.ns);
    n0.fib = fib;
    expect(await fib.reconcile()).toEqual({ found: 3 });
    // n1 comes back with the same route; n2 never does.
    const intent = kernelRoute({ prefix: n1.block, nextHops: [n1.ip] }, cluster.context(n0, 'Never', 'Never'))!;
    fib.setRoute(intent.dst, intent);
    fib.setRoute(n0.block, { dst: n0.block, type: 'blackhole', nextHops: [], neighbours: [], fdb: [] });
    await fib.settled();
    expect(fib.status().operations).toEqual({ add: 0, replace: 0, delete: 0 });
    expect(routeTo(n0.ns, n2.block)).toBeDefined();
    expect(fib.sweepStale()).toBe(1);
    await fib.settled();
    expect(routeTo(n0.ns, n2.block)).toBeUndefined();
    expect(routeTo(n0.ns, n1.block)).toMatchObject({ gateway: n1.ip });

    await exited;
    expect(out).toMatch(/60 packets transmitted, 60 received, 0% packet loss/);
  });
});
