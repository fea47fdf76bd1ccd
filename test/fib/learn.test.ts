// KernelRouteWatcher against the real kernel, in a fresh network namespace: the initial dump learns
// other protocols' routes (Felix's proto 80 pod routes, boot, static, blackholes) and not the
// kernel's connected routes or our own proto bird ones; later changes arrive as batches; links that
// are renamed or deleted; ignored interface globs; a burst of 2,000 routes; periodic rescans.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Topology, nsExec, waitFor } from '../helpers/netns.js';
import { enterNetns } from '../session/harness.js';
import { KernelRouteWatcher, type AlienBatch, type AlienRoute, type KernelRouteWatcherOptions } from '../../fib/index.js';

interface Watched {
  watcher: KernelRouteWatcher;
  batches: AlienBatch[];
  /** The consumer's view, built from the batches alone. */
  view: Map<string, AlienRoute>;
}

async function openWatcher(ns: string, opts: Partial<KernelRouteWatcherOptions> = {}): Promise<Watched> {
  const batches: AlienBatch[] = [];
  const view = new Map<string, AlienRoute>();
  const onBatch = (b: AlienBatch) => {
    batches.push(b);
    for (const dst of b.removed) {
      expect(view.has(dst), `removed ${dst} that was never added`).toBe(true);
      view.delete(dst);
    }
    for (const r of b.added) view.set(r.dst, r);
  };
  const leave = enterNetns(ns);
  let p: Promise<KernelRouteWatcher>;
  try {
    // open() creates its sockets before the first await.
    p = KernelRouteWatcher.open({ batchDelayMs: 20, ...opts, onBatch });
  } finally {
    leave();
  }
  return { watcher: await p, batches, view };
}

const sorted = (m: Map<string, unknown>) => [...m.keys()].sort();

describe('KernelRouteWatcher in a network namespace', () => {
  let topo: Topology;
  let ns: string;
  let dev: string;
  let w: Watched | null = null;
  const ip = (...args: string[]) => nsExec(ns, 'ip', args);

  beforeEach(() => {
    topo = new Topology('lrn');
    ns = topo.netns('n');
    const peer = topo.netns('p');
    [dev] = topo.link(ns, ['10.0.0.1/24', 'fd00::1/64'], peer, ['10.0.0.2/24', 'fd00::2/64']);
    // A Felix-style workload interface (veth; its peer stays in this namespace).
    ip('link', 'add', 'caliX', 'type', 'veth', 'peer', 'name', 'caliXp');
    ip('link', 'set', 'caliX', 'up');
    ip('link', 'set', 'caliXp', 'up');
    ip('route', 'add', '10.244.1.5', 'dev', 'caliX', 'scope', 'link', 'proto', '80');
    ip('route', 'add', '10.244.1.6/32', 'dev', 'caliX', 'scope', 'link'); // proto boot
    ip('route', 'add', 'default', 'via', '10.0.0.2');
    ip('route', 'add', '10.99.0.0/24', 'via', '10.0.0.2', 'proto', '12'); // ours: never learned
    ip('route', 'add', 'blackhole', '10.244.9.0/26', 'proto', 'static');
    ip('route', 'add', 'unreachable', '10.250.0.0/16');
    ip('-6', 'route', 'add', 'fd10::5', 'dev', 'caliX', 'proto', '80');
    ip('-6', 'route', 'add', 'fd20::/64', 'via', 'fd00::2', 'proto', '12');
  });
  afterEach(async () => {
    w?.watcher.close();
    w = null;
    await topo.destroy();
  });

  it('dumps alien routes at start: Felix and boot pod routes, default route, blackhole; not kernel or proto 12 routes', async () => {
    // The connected subnets are there, as proto kernel (the filter below must be what hides them).
    expect(ip('-j', 'route', 'show', '10.0.0.0/24')).toContain('"protocol":"kernel"');
    w = await openWatcher(ns);
    expect(w.batches.length).toBe(1); // the initial batch came before open() resolved
    expect(w.batches[0].removed).toEqual([]);
    expect(sorted(w.view)).toEqual(['0.0.0.0/0', '10.244.1.5/32', '10.244.1.6/32', '10.244.9.0/26', '10.250.0.0/16', 'fd10::5/128']);
    expect(w.view.get('10.244.1.5/32')).toEqual({ dst: '10.244.1.5/32', iface: 'caliX', gateway: null, type: 'unicast', protocol: 80, scope: 253 });
    expect(w.view.get('10.244.1.6/32')).toMatchObject({ iface: 'caliX', protocol: 3, scope: 253 });
    expect(w.view.get('0.0.0.0/0')).toEqual({ dst: '0.0.0.0/0', iface: dev, gateway: '10.0.0.2', type: 'unicast', protocol: 3, scope: 0 });
    expect(w.view.get('10.244.9.0/26')).toEqual({ dst: '10.244.9.0/26', iface: null, gateway: null, type: 'blackhole', protocol: 4, scope: 0 });
    expect(w.view.get('10.250.0.0/16')).toMatchObject({ type: 'unreachable', iface: null });
    expect(w.view.get('fd10::5/128')).toMatchObject({ iface: 'caliX', protocol: 80, gateway: null });
    expect(w.watcher.routes()).toHaveLength(6);

    // A re-dump with nothing changed emits nothing.
    await w.watcher.rescan();
    expect(w.batches.length).toBe(1);
  });

  it('follows adds, replaces and deletes (IPv4 and IPv6) as coalesced batches', async () => {
    w = await openWatcher(ns);
    const start = w.batches.length;
    ip('route', 'add', '10.244.1.7', 'dev', 'caliX', 'scope', 'link', 'proto', '80');
    ip('-6', 'route', 'add', 'fd10::7', 'dev', 'caliX', 'proto', '80');
    ip('route', 'add', '10.98.0.0/24', 'via', '10.0.0.2', 'proto', '12'); // ours: not reported
    ip('route', 'add', '172.20.0.0/16', 'via', '10.0.0.2', 'proto', 'static');
    await waitFor('new routes', () => w!.view.has('10.244.1.7/32') && w!.view.has('fd10::7/128') && w!.view.has('172.20.0.0/16'));
    expect(w.view.get('10.244.1.7/32')).toMatchObject({ iface: 'caliX', protocol: 80, scope: 253 });
    expect(w.view.get('172.20.0.0/16')).toMatchObject({ iface: dev, gateway: '10.0.0.2', protocol: 4 });
    expect(w.view.has('10.98.0.0/24')).toBe(false);

    // A replace shows up as `added` again with the new next hop.
    ip('route', 'replace', '172.20.0.0/16', 'via', '10.0.0.3', 'proto', 'static');
    await waitFor('replaced route', () => w!.view.get('172.20.0.0/16')?.gateway === '10.0.0.3');

    ip('route', 'del', '10.244.1.7');
    ip('-6', 'route', 'del', 'fd10::7');
    ip('route', 'del', '172.20.0.0/16');
    await waitFor('deletions', () => !w!.view.has('10.244.1.7/32') && !w!.view.has('fd10::7/128') && !w!.view.has('172.20.0.0/16'));
    expect(w.batches.slice(start).flatMap((b) => b.removed).sort()).toEqual(['10.244.1.7/32', '172.20.0.0/16', 'fd10::7/128']);
    // Our own route's deletion is no news either.
    ip('route', 'del', '10.98.0.0/24');
    ip('route', 'add', '10.244.1.8', 'dev', 'caliX', 'proto', '80');
    await waitFor('sentinel', () => w!.view.has('10.244.1.8/32'));
    expect(w.batches.flatMap((b) => [...b.added.map((r) => r.dst), ...b.removed])).not.toContain('10.98.0.0/24');
    expect(sorted(w.view)).toEqual(['0.0.0.0/0', '10.244.1.5/32', '10.244.1.6/32', '10.244.1.8/32', '10.244.9.0/26', '10.250.0.0/16', 'fd10::5/128']);
  });

  it('a renamed device keeps its routes under the new name; a deleted one takes its routes along', async () => {
    w = await openWatcher(ns);
    const start = w.batches.length;
    ip('link', 'set', 'caliX', 'name', 'caliY');
    await waitFor('rename', () => w!.view.get('10.244.1.5/32')?.iface === 'caliY');
    await waitFor('rename v6', () => w!.view.get('fd10::5/128')?.iface === 'caliY');
    expect(w.batches.slice(start).flatMap((b) => b.removed)).toEqual([]);
    expect(w.view.get('10.244.1.6/32')?.iface).toBe('caliY');

    ip('link', 'del', 'caliY'); // the kernel drops the IPv4 routes without a notification
    await waitFor('routes of the deleted device gone', () => !w!.view.has('10.244.1.5/32') && !w!.view.has('10.244.1.6/32') && !w!.view.has('fd10::5/128'));
    expect(sorted(w.view)).toEqual(['0.0.0.0/0', '10.244.9.0/26', '10.250.0.0/16']);
  });

  it('ignores routes through devices matching the ignoreInterfaces globs', async () => {
    ip('link', 'add', 'kube-ipvs0', 'type', 'veth', 'peer', 'name', 'kipvsp');
    ip('link', 'set', 'kube-ipvs0', 'up');
    ip('route', 'add', '10.96.0.0/12', 'dev', 'kube-ipvs0', 'proto', 'static');
    w = await openWatcher(ns, { ignoreInterfaces: ['cali*', 'kube-ipvs?'] });
    expect(sorted(w.view)).toEqual(['0.0.0.0/0', '10.244.9.0/26', '10.250.0.0/16']);
    ip('route', 'add', '10.244.1.9', 'dev', 'caliX', 'proto', '80');
    ip('route', 'add', '172.21.0.0/16', 'via', '10.0.0.2', 'proto', 'static');
    await waitFor('sentinel', () => w!.view.has('172.21.0.0/16'));
    expect(w.view.has('10.244.1.9/32')).toBe(false);
    // Renamed out of the ignore list: its routes become visible.
    ip('link', 'set', 'caliX', 'name', 'podX');
    await waitFor('unignored', () => w!.view.get('10.244.1.9/32')?.iface === 'podX');
    expect(w.view.get('10.244.1.5/32')?.iface).toBe('podX');
  });

  it('2,000 routes added by ip -batch arrive complete in few batches, and leave the same way', async () => {
    w = await openWatcher(ns);
    const start = w.batches.length;
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) lines.push(`route add 10.245.${i >> 8}.${i & 255}/32 dev caliX scope link proto 80`);
    nsExec(ns, 'ip', ['-batch', '-'], { input: lines.join('\n') + '\n' });
    await waitFor('2,000 routes', () => w!.view.size === 2006, 30_000);
    const added = w.batches.slice(start).flatMap((b) => b.added.map((r) => r.dst));
    expect(new Set(added).size).toBe(2000);
    expect(w.batches.length - start).toBeLessThan(50);
    nsExec(ns, 'ip', ['-batch', '-'], { input: lines.map((l) => l.replace('route add', 'route del')).join('\n') + '\n' });
    await waitFor('all gone', () => w!.view.size === 6, 30_000);
  });

  it('a periodic rescan reconciles against a full dump without spurious batches', async () => {
    w = await openWatcher(ns, { scanIntervalMs: 100 });
    await waitFor('three rescans', () => w!.watcher.status().rescans >= 4);
    expect(w.batches.length).toBe(1);
    ip('route', 'add', '10.244.1.10', 'dev', 'caliX', 'proto', '80');
    await waitFor('route', () => w!.view.has('10.244.1.10/32'));
    const n = w.batches.length;
    const r = w.watcher.status().rescans;
    await waitFor('more rescans', () => w!.watcher.status().rescans >= r + 2);
    expect(w.batches.length).toBe(n);
  });
});
