// Many clients at once, and clients that read slowly or never: the others are answered, the slow
// one still gets its whole reply, the one that never reads is dropped and nothing else notices.
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, serve, type Served } from './helpers.js';
import { TestStatusSource, bgpProtocol, bgpRoute } from './test-source.js';

const ROUTES = 20_000;
let src: TestStatusSource;
let s: Served;

beforeAll(async () => {
  const now = Date.now();
  src = new TestStatusSource(now);
  for (let i = 0; i < 20; i++) src.protocolList.push(bgpProtocol({ name: `Mesh_10_0_1_${i}`, address: `10.0.1.${i}`, since: now }));
  for (let i = 0; i < ROUTES; i++) src.routeList.push(bgpRoute(`10.${(i >> 8) & 255}.${i & 255}.0/24`, 'Mesh_10_0_1_1', '10.0.1.1', now));
  s = await serve({ source: src, stallTimeoutMs: 300, chunkBytes: 16 * 1024 });
});

afterAll(async () => {
  await s?.stop();
});

describe('concurrent clients', () => {
  it('answers 100 concurrent clients while one client never reads a big reply, then drops that one', async () => {
    // The client that never reads: asks for the whole table with attributes and stops reading.
    const stuck = createConnection(s.path);
    await new Promise<void>((resolve) => stuck.once('connect', () => resolve()));
    let stuckClosed = false;
    stuck.on('close', () => (stuckClosed = true));
    stuck.on('error', () => {});
    stuck.write('show route all\n');
    stuck.pause();

    const clients = await Promise.all(Array.from({ length: 100 }, () => RawClient.connect(s.path)));
    try {
      const replies = await Promise.all(
        clients.map(async (c, i) => {
          await c.reply();
          return c.command(i % 2 === 0 ? 'show protocols' : 'show status');
        }),
      );
      for (let i = 0; i < replies.length; i++) {
        if (i % 2 === 0) expect(replies[i]).toMatch(/^2002-name {5}proto {4}table {4}state {2}since {7}info\n(?:.*\n){20}0000 \n$/);
        else expect(replies[i]).toMatch(/0013 Daemon is up and running\n$/);
      }
      // A second round on the same connections, still with the stuck client around.
      const counts = await Promise.all(clients.slice(0, 10).map((c) => c.command('show route count')));
      for (const r of counts) expect(r).toBe(`0014 ${ROUTES} of ${ROUTES} routes for ${ROUTES} networks\n`);
    } finally {
      for (const c of clients) c.close();
    }
    // Its reply never drained: the server gives up on it (a paused socket cannot see the close
    // itself, so the server's count tells), and what it got when it reads again is a cut-off reply.
    while (s.server.clientCount > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    let got = '';
    stuck.setEncoding('utf8');
    stuck.on('data', (d: string) => (got += d));
    stuck.resume();
    await new Promise<void>((resolve) => (stuckClosed ? resolve() : stuck.once('close', () => resolve())));
    expect(got.startsWith('0001 BIRD')).toBe(true);
    expect(got).not.toMatch(/\n\d{4} [^\n]*\n$/);
    expect(got.length).toBeLessThan(ROUTES * 100);
  });

  it('gives a slow reader its whole reply', async () => {
    const c = await RawClient.connect(s.path);
    try {
      await c.reply();
      // Pause and resume reading in turns; the server waits for drain each time instead of buffering.
      const timer = setInterval(() => (c.sock.isPaused() ? c.sock.resume() : c.sock.pause()), 20);
      const reply = await c.command('show route');
      clearInterval(timer);
      c.sock.resume();
      const lines = reply.split('\n');
      expect(lines[0]).toMatch(/^1007-10\.0\.0\.0\/24 +via 10\.0\.1\.1 on eth0 /);
      expect(lines.filter((l) => l.startsWith(' 10.') || l.startsWith('1007-'))).toHaveLength(ROUTES);
      expect(lines.at(-2)).toBe('0000 ');
    } finally {
      c.close();
    }
  });
});

describe('long walks', () => {
  it('pauses while counting a big table, so the rest of the daemon keeps running', async () => {
    const c = await RawClient.connect(s.path);
    try {
      await c.reply();
      let ticks = 0;
      let waiting = true;
      const tick = () => {
        ticks++;
        if (waiting) setImmediate(tick);
      };
      setImmediate(tick);
      const reply = await c.command('show route protocol Mesh_10_0_1_2 count');
      waiting = false;
      expect(reply).toBe(`0014 0 of ${ROUTES} routes for ${ROUTES} networks\n`);
      // The walk paused every 1024 routes; other callbacks ran in between.
      expect(ticks).toBeGreaterThanOrEqual(ROUTES / 1024 / 2);
    } finally {
      c.close();
    }
  });

  it('answers a whole-table count from the source counters when it keeps them', async () => {
    const now = Date.now();
    const counted = new TestStatusSource(now);
    counted.routeList = [bgpRoute('10.0.0.0/24', 'Mesh_10_0_1_1', '10.0.1.1', now)];
    const withCounters = Object.assign(counted, { routeCount: () => ({ routes: 1_500_000, networks: 1_000_000 }) });
    const t = await serve({ source: withCounters });
    try {
      const c = await RawClient.connect(t.path);
      await c.reply();
      expect(await c.command('show route count')).toBe('0014 1500000 of 1500000 routes for 1000000 networks\n');
      expect(counted.routeCalls).toBe(0);
      // Filters still walk the routes.
      expect(await c.command('show route primary count')).toBe('0014 1 of 1 routes for 1 networks\n');
      c.close();
    } finally {
      await t.stop();
    }
  });
});
