// Fib against the real kernel, in a fresh network namespace: install / replace / withdraw, only ever
// our protocol's routes, reconcile with stale marking and sweep, errors that never block others,
// and links that come and go.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Topology, nsExec, waitFor } from '../helpers/netns.js';
import type { Fib } from '../../fib/index.js';
import { blackhole, ipRoutes, openFib, routeTo, via } from './fib-helpers.js';

describe('Fib in a network namespace', () => {
  let topo: Topology;
  let ns: string;
  let dev: string;
  let fib: Fib | null = null;

  beforeEach(() => {
    topo = new Topology('fibk');
    ns = topo.netns('n');
    const peer = topo.netns('p');
    [dev] = topo.link(ns, ['10.0.0.1/24', 'fd00::1/64'], peer, ['10.0.0.2/24', 'fd00::2/64']);
  });
  afterEach(async () => {
    fib?.close();
    fib = null;
    await topo.destroy();
  });
  afterAll(async () => {
    await topo?.destroy();
  });

  const addVxlan = (name = 'vxlan.calico') => {
    nsExec(ns, 'ip', ['link', 'add', name, 'type', 'vxlan', 'id', '4096', 'dstport', '4789', 'dev', dev]);
    nsExec(ns, 'ip', ['addr', 'add', '10.40.1.0/32', 'dev', name]);
    nsExec(ns, 'ip', ['link', 'set', name, 'up']);
  };

  it('installs direct, blackhole, ECMP, onlink-via-VXLAN and IPv6 routes as proto bird, then replaces and withdraws them', async () => {
    addVxlan();
    fib = await openFib(ns);
    await fib.reconcile();
    fib.setRoute('10.10.1.0/26', via('10.10.1.0/26', '10.0.0.2'));
    fib.setRoute('10.244.0.0/26', blackhole('10.244.0.0/26'));
    fib.setRoute('172.16.0.0/16', via('172.16.0.0/16', '10.0.0.2', '10.0.0.3'));
    fib.setRoute('10.40.2.0/26', via('10.40.2.0/26', { gateway: '10.40.2.0', device: 'vxlan.calico', onlink: true }));
    fib.setRoute('fd10:0:0:1::/64', via('fd10:0:0:1::/64', 'fd00::2'));
    fib.setRoute('fd20::/64', via('fd20::/64', 'fd00::2', 'fd00::3'));
    await fib.settled();
    expect(fib.errors()).toEqual([]);

    const v4 = ipRoutes(ns, 4, 'bird');
    expect(v4).toContainEqual(expect.objectContaining({ dst: '10.10.1.0/26', gateway: '10.0.0.2', dev }));
    expect(v4).toContainEqual(expect.objectContaining({ dst: '10.244.0.0/26', type: 'blackhole' }));
    expect(v4.find((r) => r.dst === '172.16.0.0/16')?.nexthops?.map((h) => h.gateway)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(v4).toContainEqual(expect.objectContaining({ dst: '10.40.2.0/26', gateway: '10.40.2.0', dev: 'vxlan.calico', flags: ['onlink'] }));
    const v6 = ipRoutes(ns, 6, 'bird');
    expect(v6).toContainEqual(expect.objectContaining({ dst: 'fd10:0:0:1::/64', gateway: 'fd00::2', dev }));
    expect(v6.find((r) => r.dst === 'fd20::/64')?.nexthops?.map((h) => h.gateway)).toEqual(['fd00::2', 'fd00::3']);
    expect(fib.status()).toMatchObject({ operations: { add: 6, replace: 0, delete: 0 }, errors: 0, routes: 6 });

    // Asking again for the same routes writes nothing.
    fib.setRoute('10.10.1.0/26', via('10.10.1.0/26', '10.0.0.2'));
    fib.setRoute('fd20::/64', via('fd20::/64', 'fd00::2', 'fd00::3'));
    await fib.settled();
    expect(fib.status().operations).toEqual({ add: 6, replace: 0, delete: 0 });

    // Replace: a new gateway (IPv4 in place), ECMP shrinking to one path, IPv6 multipath changed
    // (deleted and re-added), a blackhole becoming a unicast route.
    fib.setRoute('10.10.1.0/26', via('10.10.1.0/26', '10.0.0.3'));
    fib.setRoute('172.16.0.0/16', via('172.16.0.0/16', '10.0.0.3'));
    fib.setRoute('fd20::/64', via('fd20::/64', 'fd00::3', 'fd00::4'));
    fib.setRoute('10.244.0.0/26', via('10.244.0.0/26', '10.0.0.2'));
    await fib.settled();
    expect(fib.errors()).toEqual([]);
    expect(routeTo(ns, '10.10.1.0/26')).toMatchObject({ gateway: '10.0.0.3' });
    expect(routeTo(ns, '172.16.0.0/16')).toMatchObject({ gateway: '10.0.0.3' });
    expect(routeTo(ns, '172.16.0.0/16')?.nexthops).toBeUndefined();
    expect(routeTo(ns, '10.244.0.0/26')).toMatchObject({ gateway: '10.0.0.2' });
    expect(ipRoutes(ns, 6, 'bird').filter((r) => r.dst === 'fd20::/64').flatMap((r) => r.nexthops?.map((h) => h.gateway) ?? [r.gateway])).toEqual(['fd00::3', 'fd00::4']);
    expect(fib.status().operations.replace).toBe(4);

    // Withdraw everything.
    for (const dst of ['10.10.1.0/26', '10.244.0.0/26', '172.16.0.0/16', '10.40.2.0/26', 'fd10:0:0:1::/64', 'fd20::/64']) fib.setRoute(dst, null);
    await fib.settled();
    expect(ipRoutes(ns, 4, 'bird')).toEqual([]);
    expect(ipRoutes(ns, 6, 'bird')).toEqual([]);
    expect(fib.status()).toMatchObject({ operations: { delete: 6 }, routes: 0, errors: 0 });
  });

  it('never touches routes of other protocols (Felix proto 80, static, boot, kernel)', async () => {
    nsExec(ns, 'ip', ['route', 'add', '10.80.0.0/24', 'via', '10.0.0.2', 'proto', '80']);
    nsExec(ns, 'ip', ['route', 'add', '10.81.0.0/24', 'via', '10.0.0.2', 'proto', 'static']);
    nsExec(ns, 'ip', ['route', 'add', '10.82.0.0/24', 'via', '10.0.0.2', 'proto', 'boot']);
    nsExec(ns, 'ip', ['-6', 'route', 'add', 'fd80::/64', 'via', 'fd00::2', 'proto', '80']);
    const before = [ipRoutes(ns, 4), ipRoutes(ns, 6)];
    fib = await openFib(ns, { retryBaseMs: 50 });
    expect(await fib.reconcile()).toEqual({ found: 0 });
    // Our routes to the same prefixes: refused by the kernel (we add with NLM_F_EXCL), reported.
    fib.setRoute('10.80.0.0/24', via('10.80.0.0/24', '10.0.0.3'));
    fib.setRoute('10.81.0.0/24', blackhole('10.81.0.0/24'));
    fib.setRoute('fd80::/64', via('fd80::/64', 'fd00::3'));
    fib.setRoute('10.90.0.0/24', via('10.90.0.0/24', '10.0.0.3'));
    await fib.settled();
    expect(fib.errors().map((e) => [e.what, e.code]).sort()).toEqual([
      ['10.80.0.0/24', 'EEXIST'],
      ['10.81.0.0/24', 'EEXIST'],
      ['fd80::/64', 'EEXIST'],
    ]);
    // Withdrawing them, sweeping, closing: theirs stay exactly as they were.
    fib.setRoute('10.80.0.0/24', null);
    fib.setRoute('10.81.0.0/24', null);
    fib.setRoute('fd80::/64', null);
    fib.setRoute('10.90.0.0/24', null);
    fib.sweepStale();
    await fib.settled();
    await new Promise((r) => setTimeout(r, 200)); // past any retry
    expect([ipRoutes(ns, 4), ipRoutes(ns, 6)]).toEqual(before);
    expect(fib.errors()).toEqual([]);
  });

  it('reconcile keeps pre-existing proto bird routes (stale), rewrites only what differs, sweeps the rest', async () => {
    nsExec(ns, 'ip', ['route', 'add', '10.10.1.0/26', 'via', '10.0.0.2', 'proto', 'bird']);
    nsExec(ns, 'ip', ['route', 'add', '10.10.2.0/26', 'via', '10.0.0.2', 'proto', 'bird']);
    nsExec(ns, 'ip', ['route', 'add', '10.10.3.0/26', 'via', '10.0.0.2', 'proto', 'bird']);
    nsExec(ns, 'ip', ['route', 'add', 'blackhole', '10.244.0.0/26', 'proto', 'bird']);
    nsExec(ns, 'ip', ['-6', 'route', 'add', 'fd10::/64', 'via', 'fd00::2', 'proto', 'bird']);
    nsExec(ns, 'ip', ['route', 'add', '10.10.9.0/26', 'via', '10.0.0.2', 'proto', 'bird', 'table', '100']);
    nsExec(ns, 'ip', ['route', 'add', '10.80.0.0/24', 'via', '10.0.0.2', 'proto', '80']);

    fib = await openFib(ns);
    expect(await fib.reconcile()).toEqual({ found: 5 });
    expect(fib.staleCount()).toBe(5);
    // Nothing is deleted at start (graceful restart).
    await fib.settled();
    expect(ipRoutes(ns, 4, 'bird').map((r) => r.dst).sort()).toEqual(['10.10.1.0/26', '10.10.2.0/26', '10.10.3.0/26', '10.244.0.0/26']);
    expect(fib.status()).toMatchObject({ operations: { add: 0, replace: 0, delete: 0 }, routes: 5 });

    // Re-asserted: same (no write), different (replaced); the others wait for the sweep.
    fib.setRoute('10.10.1.0/26', via('10.10.1.0/26', '10.0.0.2'));
    fib.setRoute('10.10.2.0/26', via('10.10.2.0/26', '10.0.0.3'));
    fib.setRoute('10.244.0.0/26', blackhole('10.244.0.0/26'));
    await fib.settled();
    expect(fib.status().operations).toEqual({ add: 0, replace: 1, delete: 0 });
    expect(fib.staleCount()).toBe(2);
    expect(routeTo(ns, '10.10.3.0/26')).toBeDefined();

    expect(fib.sweepStale()).toBe(2);
    await fib.settled();
    expect(ipRoutes(ns, 4, 'bird').map((r) => r.dst).sort()).toEqual(['10.10.1.0/26', '10.10.2.0/26', '10.244.0.0/26']);
    expect(ipRoutes(ns, 6, 'bird')).toEqual([]);
    expect(routeTo(ns, '10.10.2.0/26')).toMatchObject({ gateway: '10.0.0.3' });
    // Other tables and protocols untouched.
    expect(nsExec(ns, 'ip', ['route', 'show', 'table', '100'])).toContain('10.10.9.0/26');
    expect(routeTo(ns, '10.80.0.0/24')).toMatchObject({ protocol: '80' });
    expect(fib.status()).toMatchObject({ operations: { add: 0, replace: 1, delete: 2 }, routes: 3 });
  });

  it('reports a missing device and an unreachable gateway, installs the others, and retries until they work', async () => {
    fib = await openFib(ns, { retryBaseMs: 50, retryMaxMs: 200 });
    await fib.reconcile();
    fib.setRoute('10.20.1.0/26', via('10.20.1.0/26', { gateway: '10.0.0.2', device: 'tunl0', onlink: true }));
    fib.setRoute('10.30.1.0/26', via('10.30.1.0/26', '10.5.0.2'));
    fib.setRoute('10.10.1.0/26', via('10.10.1.0/26', '10.0.0.2'));
    fib.setRoute('10.244.0.0/26', blackhole('10.244.0.0/26'));
    await fib.settled();
    expect(ipRoutes(ns, 4, 'bird').map((r) => r.dst).sort()).toEqual(['10.10.1.0/26', '10.244.0.0/26']);
    const errs = fib.errors().sort((a, b) => a.what.localeCompare(b.what));
    expect(errs.map((e) => [e.what, e.code])).toEqual([
      ['10.20.1.0/26', 'ENODEV'],
      ['10.30.1.0/26', 'ENETUNREACH'],
    ]);
    expect(errs[0].message).toContain('tunl0');
    expect(fib.status()).toMatchObject({ failing: 2, routes: 2 });
    expect(fib.status().errors).toBeGreaterThanOrEqual(2);

    // The gateway becomes reachable: the retry installs it. The device appears: the link
    // notification installs the route through it.
    nsExec(ns, 'ip', ['addr', 'add', '10.5.0.1/24', 'dev', dev]);
    // (no dummy module on this kernel: a veth named like the tunnel stands in for it)
    nsExec(ns, 'ip', ['link', 'add', 'tunl0', 'type', 'veth', 'peer', 'name', 'tunl0p']);
    nsExec(ns, 'ip', ['link', 'set', 'tunl0p', 'up']);
    nsExec(ns, 'ip', ['link', 'set', 'tunl0', 'up']);
    await waitFor('both routes installed', () => fib!.errors().length === 0 && ipRoutes(ns, 4, 'bird').length === 4, 10_000);
    expect(routeTo(ns, '10.20.1.0/26')).toMatchObject({ gateway: '10.0.0.2', dev: 'tunl0', flags: ['onlink'] });
    expect(routeTo(ns, '10.30.1.0/26')).toMatchObject({ gateway: '10.5.0.2' });
  });

  it('re-programs routes, neighbours and fdb entries when vxlan.calico is deleted and re-created', async () => {
    addVxlan();
    fib = await openFib(ns);
    await fib.reconcile();
    const intent = {
      ...via('10.40.2.0/26', { gateway: '10.40.2.0', device: 'vxlan.calico', onlink: true }),
      neighbours: [{ device: 'vxlan.calico', address: '10.40.2.0', mac: '66:00:00:00:00:20' }],
      fdb: [{ device: 'vxlan.calico', mac: '66:00:00:00:00:20', dst: '10.0.0.2' }],
    };
    fib.setRoute('10.40.2.0/26', intent);
    await fib.settled();
    const neigh = () => nsExec(ns, 'ip', ['neigh', 'show', 'dev', 'vxlan.calico']);
    const fdb = () => nsExec(ns, 'bridge', ['fdb', 'show', 'dev', 'vxlan.calico']);
    expect(routeTo(ns, '10.40.2.0/26')).toMatchObject({ dev: 'vxlan.calico', gateway: '10.40.2.0' });
    expect(neigh()).toMatch(/10\.40\.2\.0 lladdr 66:00:00:00:00:20 PERMANENT proto bird/);
    expect(fdb()).toMatch(/66:00:00:00:00:20 dst 10\.0\.0\.2 self permanent/);

    nsExec(ns, 'ip', ['link', 'del', 'vxlan.calico']);
    await waitFor('route reported missing', () => fib!.errors().some((e) => e.code === 'ENODEV'), 5000);
    expect(routeTo(ns, '10.40.2.0/26')).toBeUndefined();
    addVxlan();
    await waitFor('route back', () => routeTo(ns, '10.40.2.0/26')?.dev === 'vxlan.calico' && /PERMANENT/.test(neigh()) && /dst 10\.0\.0\.2/.test(fdb()), 10_000);
    await fib.settled();
    expect(fib.errors()).toEqual([]);

    // Down and up again: the kernel flushed the route on down; it comes back on up.
    nsExec(ns, 'ip', ['link', 'set', 'vxlan.calico', 'down']);
    await waitFor('route gone with the link', () => routeTo(ns, '10.40.2.0/26') === undefined, 5000);
    nsExec(ns, 'ip', ['link', 'set', 'vxlan.calico', 'up']);
    await waitFor('route back after up', () => routeTo(ns, '10.40.2.0/26')?.dev === 'vxlan.calico', 10_000);

    // Withdrawn: the route and the entries it brought go.
    fib.setRoute('10.40.2.0/26', null);
    await fib.settled();
    await waitFor('entries removed', () => !/66:00:00:00:00:20/.test(neigh()) && !/66:00:00:00:00:20/.test(fdb()), 5000);
    expect(routeTo(ns, '10.40.2.0/26')).toBeUndefined();
  });

  it('reconcile adopts our neighbour entries (proto bird) and their fdb twins as stale; the sweep removes the unclaimed, never foreign ones', async () => {
    addVxlan();
    const neigh = (addr: string, mac: string, ...extra: string[]) => nsExec(ns, 'ip', ['neigh', 'replace', addr, 'lladdr', mac, 'dev', 'vxlan.calico', 'nud', 'permanent', ...extra]);
    const fdb = (mac: string, dst: string) => nsExec(ns, 'bridge', ['fdb', 'replace', mac, 'dev', 'vxlan.calico', 'dst', dst, 'self', 'permanent']);
    neigh('10.40.2.0', '66:00:00:00:00:20', 'protocol', 'bird'); // ours, comes back
    fdb('66:00:00:00:00:20', '10.0.0.2');
    neigh('10.40.3.0', '66:00:00:00:00:30', 'protocol', 'bird'); // ours, peer gone
    fdb('66:00:00:00:00:30', '10.0.0.3');
    neigh('10.40.4.0', '66:00:00:00:00:40'); // someone else's (e.g. Felix)
    fdb('66:00:00:00:00:40', '10.0.0.4');
    fib = await openFib(ns);
    await fib.reconcile();
    expect(fib.staleNeighbourCount()).toBe(4);
    fib.setRoute('10.40.2.0/26', {
      ...via('10.40.2.0/26', { gateway: '10.40.2.0', device: 'vxlan.calico', onlink: true }),
      neighbours: [{ device: 'vxlan.calico', address: '10.40.2.0', mac: '66:00:00:00:00:20' }],
      fdb: [{ device: 'vxlan.calico', mac: '66:00:00:00:00:20', dst: '10.0.0.2' }],
    });
    await fib.settled();
    expect(fib.staleNeighbourCount()).toBe(2);
    fib.sweepStale();
    await fib.settled();
    const neighs = nsExec(ns, 'ip', ['neigh', 'show', 'dev', 'vxlan.calico']);
    const fdbs = nsExec(ns, 'bridge', ['fdb', 'show', 'dev', 'vxlan.calico']);
    expect(neighs).toMatch(/10\.40\.2\.0 lladdr 66:00:00:00:00:20 PERMANENT/);
    expect(neighs).not.toContain('10.40.3.0');
    expect(neighs).toMatch(/10\.40\.4\.0 lladdr 66:00:00:00:00:40 PERMANENT/);
    expect(fdbs).toContain('66:00:00:00:00:20 dst 10.0.0.2');
    expect(fdbs).not.toContain('66:00:00:00:00:30');
    expect(fdbs).toContain('66:00:00:00:00:40 dst 10.0.0.4');
    expect(fib.errors()).toEqual([]);
  });

  it('the kernel scan repairs routes of ours that someone deleted or changed, and deletes unwanted proto bird routes', async () => {
    fib = await openFib(ns, { scanIntervalMs: 0 });
    // Before reconcile a scan does nothing: what is in the kernel is a survivor, not damage.
    nsExec(ns, 'ip', ['route', 'add', '10.10.9.0/26', 'via', '10.0.0.2', 'proto', 'bird']);
    expect(await fib.scan()).toEqual({ missing: 0, differing: 0, unwanted: 0 });
    await fib.reconcile();
    fib.sweepStale();
    fib.setRoute('10.10.1.0/26', via('10.10.1.0/26', '10.0.0.2'));
    fib.setRoute('10.10.2.0/26', via('10.10.2.0/26', '10.0.0.2'));
    fib.setRoute('fd10::/64', via('fd10::/64', 'fd00::2'));
    await fib.settled();
    expect(routeTo(ns, '10.10.9.0/26')).toBeUndefined();
    nsExec(ns, 'ip', ['route', 'del', '10.10.1.0/26', 'proto', 'bird']);
    nsExec(ns, 'ip', ['-6', 'route', 'del', 'fd10::/64', 'proto', 'bird']);
    nsExec(ns, 'ip', ['route', 'replace', '10.10.2.0/26', 'via', '10.0.0.3', 'proto', 'bird']);
    nsExec(ns, 'ip', ['route', 'add', '10.10.3.0/26', 'via', '10.0.0.2', 'proto', 'bird']);
    nsExec(ns, 'ip', ['route', 'add', '10.10.4.0/26', 'via', '10.0.0.2', 'proto', 'static']);
    expect(await fib.scan()).toEqual({ missing: 2, differing: 1, unwanted: 1 });
    await fib.settled();
    expect(routeTo(ns, '10.10.1.0/26')).toMatchObject({ gateway: '10.0.0.2', protocol: 'bird' });
    expect(routeTo(ns, '10.10.2.0/26')).toMatchObject({ gateway: '10.0.0.2', protocol: 'bird' });
    expect(routeTo(ns, 'fd10::/64')).toMatchObject({ gateway: 'fd00::2', protocol: 'bird' });
    expect(routeTo(ns, '10.10.3.0/26')).toBeUndefined();
    expect(routeTo(ns, '10.10.4.0/26')).toMatchObject({ protocol: 'static' });
    expect(await fib.scan()).toEqual({ missing: 0, differing: 0, unwanted: 0 });
  });

  it('keeps to its own table and protocol when told others', async () => {
    nsExec(ns, 'ip', ['route', 'add', '10.10.1.0/26', 'via', '10.0.0.2', 'proto', 'bird']);
    fib = await openFib(ns, { table: 1000, protocol: 77 });
    expect(await fib.reconcile()).toEqual({ found: 0 });
    fib.setRoute('10.10.1.0/26', via('10.10.1.0/26', '10.0.0.3'));
    fib.sweepStale();
    await fib.settled();
    expect(nsExec(ns, 'ip', ['route', 'show', 'table', '1000'])).toMatch(/10\.10\.1\.0\/26 via 10\.0\.0\.3 dev \S+ proto 77/);
    expect(routeTo(ns, '10.10.1.0/26')).toMatchObject({ gateway: '10.0.0.2', protocol: 'bird' });
  });

  it('ignores bad input without throwing', async () => {
    fib = await openFib(ns);
    await fib.reconcile();
    expect(() => fib!.setRoute('not a prefix', via('x', '10.0.0.2'))).not.toThrow();
    fib.setRoute('10.10.1.0/26', via('10.10.1.0/26', 'fd00::2'));
    fib.setRoute('10.10.2.0/26', via('10.10.2.0/26', { gateway: '10.0.0.2', device: 'no-such-dev' }));
    fib.setNeighbours([{ device: 'vxlan.calico', address: 'bogus', mac: 'zz' }]);
    await fib.settled();
    expect(fib.errors().map((e) => e.what).sort()).toEqual(['10.10.1.0/26', '10.10.2.0/26']);
    expect(ipRoutes(ns, 4, 'bird')).toEqual([]);
  });
});
