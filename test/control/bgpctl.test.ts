// bgpctl show/trace/health against a served status source: BIRD's text as birdc prints it, JSON for
// machines, and probe exit codes with calico-node's readiness rules.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runBgpctl } from '../../bgpd/control/cli.js';
import { readyVerdict } from '../../bgpd/control/health.js';
import { EventLog } from '../../bgpd/control/trace.js';
import { serve, type Served } from './helpers.js';
import { TestStatusSource, bgpProtocol, bgpRoute, otherProtocol } from './test-source.js';

process.env.TZ = 'UTC';
let served: Served | null = null;
afterEach(async () => {
  await served?.stop();
  served = null;
});

async function start(src: TestStatusSource, events: EventLog | null = null): Promise<string> {
  served = await serve({ source: src, trace: events });
  return served.path;
}

async function bgpctl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runBgpctl(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

function node(now: number, opts: { established: boolean[]; gr?: boolean; startedAgoMs?: number }): TestStatusSource {
  const src = new TestStatusSource(now);
  src.daemonStatus.startedAt = now - (opts.startedAgoMs ?? 3600_000);
  if (opts.gr) src.daemonStatus.gracefulRestart = { waitingFor: 1, waitRemaining: 100, waitTotal: 240 };
  src.protocolList = [otherProtocol('kernel1', 'Kernel', now)];
  opts.established.forEach((up, i) =>
    src.protocolList.push(bgpProtocol({ name: `Mesh_10_0_0_${i + 2}`, address: `10.0.0.${i + 2}`, since: now, bgpState: up ? 'Established' : 'Active', lastError: up ? '' : 'Socket: Connection refused' })),
  );
  return src;
}

describe('bgpctl show and trace', () => {
  it('prints BIRD text for show commands and JSON with --json', async () => {
    const now = Date.now();
    const src = node(now, { established: [true, false] });
    src.routeList = [bgpRoute('10.244.0.64/26', 'Mesh_10_0_0_2', '10.0.0.2', now)];
    const sock = await start(src);

    const protocols = await bgpctl(['-s', sock, 'show', 'protocols']);
    expect(protocols.code).toBe(0);
    expect(protocols.out.split('\n')[0]).toBe('name     proto    table    state  since       info');
    expect(protocols.out).toMatch(/\nMesh_10_0_0_3 BGP {6}master {3}start .*Active {8}Socket: Connection refused\n/);

    const json = await bgpctl(['-s', sock, '--json', 'show', 'protocols', 'all', 'Mesh_10_0_0_2']);
    const parsed = JSON.parse(json.out) as { name: string; bgp: { state: string; neighborAddress: string } }[];
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ name: 'Mesh_10_0_0_2', bgp: { state: 'Established', neighborAddress: '10.0.0.2' } });

    const routes = JSON.parse((await bgpctl(['-s', sock, '--json', 'show', 'route'])).out) as { prefix: string; best: boolean }[];
    expect(routes).toEqual([expect.objectContaining({ prefix: '10.244.0.64/26', best: true })]);
    expect(JSON.parse((await bgpctl(['-s', sock, '--json', 'show', 'route', 'count'])).out)).toEqual({ shown: 1, routes: 1, networks: 1 });
    expect(JSON.parse((await bgpctl(['-s', sock, '--json', 'show', 'status'])).out)).toMatchObject({ routerId: '10.0.0.1', version: 'v0.3.3+birdv1.6.8', gracefulRestart: null });

    const count = await bgpctl(['-s', sock, 'show', 'route', 'count']);
    expect(count.out).toBe('1 of 1 routes for 1 networks\n');
    const missing = await bgpctl(['-s', sock, 'show', 'route', 'for', '172.16.0.1']);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe('Network not in table\n');
    const unknown = await bgpctl(['-s', sock, 'show', 'protocols', 'Nope_1']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe('Nope_1 is not a protocol\n');
  });

  it('traces a prefix through the event log', async () => {
    const src = node(Date.now(), { established: [true] });
    const events = new EventLog();
    const t0 = Date.UTC(2026, 10, 24, 9, 0, 0);
    events.record({ type: 'learned', prefix: '10.244.0.64/26', at: t0, peer: 'Mesh_10_0_0_2', nextHop: '10.0.0.2' });
    events.record({ type: 'selected', prefix: '10.244.0.64/26', at: t0 + 2, peer: 'Mesh_10_0_0_2', reason: 'only path' });
    events.record({ type: 'advertised', prefix: '10.244.0.64/26', at: t0 + 3, peer: 'Global_10_0_0_9' });
    events.record({ type: 'installed', prefix: '10.244.0.64/26', at: t0 + 15, detail: 'via 10.0.0.2 dev eth0' });
    events.record({ type: 'learned', prefix: '10.244.1.0/26', at: t0, peer: 'Mesh_10_0_0_3', nextHop: null });
    const sock = await start(src, events);

    const text = await bgpctl(['-s', sock, 'trace', '10.244.0.64/26']);
    expect(text.code).toBe(0);
    expect(text.out).toBe(
      [
        'Route events of 10.244.0.64/26',
        '  2026-11-24 09:00:00.000  learned from Mesh_10_0_0_2 (next hop 10.0.0.2)',
        '  2026-11-24 09:00:00.002  selected: best path from Mesh_10_0_0_2 (only path)',
        '  2026-11-24 09:00:00.003  advertised to Global_10_0_0_9',
        '  2026-11-24 09:00:00.015  installed in the kernel: via 10.0.0.2 dev eth0',
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await bgpctl(['-s', sock, '--json', 'trace', '10.244.0.64/26'])).out) as { type: string }[];
    expect(json.map((e) => e.type)).toEqual(['learned', 'selected', 'advertised', 'installed']);
    const none = await bgpctl(['-s', sock, 'trace', '10.9.9.0/24']);
    expect(none.code).toBe(1);
    expect(none.err).toBe('No events recorded for 10.9.9.0/24\n');
    expect((await bgpctl(['-s', sock, 'trace', 'not-a-prefix'])).code).toBe(2);
  });

  it('keeps the event log bounded per prefix and in prefixes', () => {
    const log = new EventLog({ perPrefix: 3, prefixes: 2 });
    for (let i = 0; i < 5; i++) log.record({ type: 'learned', prefix: 'a', at: i, peer: 'p', nextHop: null });
    expect(log.history('a').map((e) => e.at)).toEqual([2, 3, 4]);
    log.record({ type: 'learned', prefix: 'b', at: 10, peer: 'p', nextHop: null });
    log.record({ type: 'learned', prefix: 'c', at: 11, peer: 'p', nextHop: null });
    expect(log.history('a')).toEqual([]);
    expect(log.history('c')).toHaveLength(1);
  });

  it('refuses bad usage with exit code 2', async () => {
    expect((await bgpctl([])).code).toBe(2);
    expect((await bgpctl(['frobnicate'])).code).toBe(2);
    expect((await bgpctl(['--timeout', 'soon', 'status'])).code).toBe(2);
    expect((await bgpctl(['health'])).code).toBe(2);
    expect((await bgpctl(['show'])).code).toBe(2);
  });
});

describe('bgpctl health', () => {
  it('--live is 0 when the daemon answers show status, 1 when nothing listens', async () => {
    const sock = await start(node(Date.now(), { established: [false] }));
    const live = await bgpctl(['-s', sock, 'health', '--live']);
    expect(live).toMatchObject({ code: 0, out: 'bgpd is live\n' });
    const dead = await bgpctl(['-s', join(served!.dir, 'missing.ctl'), 'health', '--live']);
    expect(dead.code).toBe(1);
    expect(dead.out).toMatch(/^bgpd is not live: /);
  });

  it('--ready wants all peers up right after start, then one, and never during graceful restart', async () => {
    const now = Date.now();
    let sock = await start(node(now, { established: [true, false], startedAgoMs: 5_000 }));
    const early = await bgpctl(['-s', sock, 'health', '--ready', '--threshold', '30']);
    expect(early).toMatchObject({ code: 1, out: 'bgpd is not ready: BGP not established with 10.0.0.3\n' });
    await served!.stop();

    sock = await start(node(now, { established: [true, false], startedAgoMs: 3600_000 }));
    expect((await bgpctl(['-s', sock, 'health', '--ready', '--threshold', '30'])).code).toBe(0);
    await served!.stop();

    sock = await start(node(now, { established: [false, false], startedAgoMs: 3600_000 }));
    expect((await bgpctl(['-s', sock, 'health', '--ready'])).code).toBe(1);
    await served!.stop();

    sock = await start(node(now, { established: [true], startedAgoMs: 3600_000, gr: true }));
    expect(await bgpctl(['-s', sock, 'health', '--ready'])).toMatchObject({ code: 1, out: 'bgpd is not ready: graceful restart in progress\n' });
    await served!.stop();

    // calico-node measures from its nodename file: a fresh one means "just started".
    sock = await start(node(now, { established: [true, false], startedAgoMs: 3600_000 }));
    const dir = mkdtempSync(join(tmpdir(), 'bgpd-nodename-'));
    try {
      const file = join(dir, 'nodename');
      writeFileSync(file, 'node1');
      expect((await bgpctl(['-s', sock, 'health', '--ready', '--nodename-file', file])).code).toBe(1);
      utimesSync(file, new Date(now - 3600_000), new Date(now - 3600_000));
      expect((await bgpctl(['-s', sock, 'health', '--ready', '--nodename-file', file])).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is ready with no peers at all', () => {
    expect(readyVerdict({ peers: [], sinceStartMs: 0, thresholdMs: 30_000, gracefulRestart: false }).ok).toBe(true);
  });
});
