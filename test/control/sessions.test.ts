// The daemon keeps its sessions while the control socket is busy: two of our real BGP sessions on
// loopback addresses with a 3-second hold time stay Established (never re-established) while 100
// clients at a time query the socket over and over and one client never reads its big reply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protocolFromSession } from '../../bgpd/control/from-session.js';
import { routerIdFromText } from '../../bgpd/session/negotiate.js';
import { Session, type SessionConfig, type SessionListener } from '../../bgpd/session/session.js';
import { Listener } from '../../bgpd/session/transport.js';
import { RawClient, serve, type Served } from './helpers.js';
import { TestStatusSource, bgpRoute } from './test-source.js';
import { createConnection } from 'node:net';

const PORT = 20_000 + Math.floor(Math.random() * 20_000);
const HOLD = 3;
const quiet: SessionListener = { established() {}, update() {}, endOfRib() {}, routeRefresh() {}, down() {}, staleSweep() {}, drain() {} };
const listeners: Listener[] = [];
const sessions: Session[] = [];
let served: Served | null = null;

function config(name: string, local: string, peer: string, routerId: string): SessionConfig {
  return {
    name,
    peerAddress: peer,
    peerPort: PORT,
    localAddress: local,
    localAs: 64512,
    peerAs: 64512,
    routerId: routerIdFromText(routerId),
    passive: false,
    multihop: true,
    holdTime: HOLD,
    connectRetryTime: 1,
    families: { ipv4: true, ipv6: false },
    addPathReceive: false,
    addPathSend: false,
    extendedMessage: false,
    gracefulRestartTime: 0,
    restarting: () => false,
    backoff: { initialMs: 200, maxMs: 1000 },
  };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setTimeout(resolve, 50));
}

beforeAll(async () => {
  const a = new Session(config('Mesh_127_0_0_2', '127.0.0.1', '127.0.0.2', '10.0.0.1'), quiet);
  const b = new Session(config('Mesh_127_0_0_1', '127.0.0.2', '127.0.0.1', '10.0.0.2'), quiet);
  sessions.push(a, b);
  for (const [addr, s] of [['127.0.0.1', a], ['127.0.0.2', b]] as const) {
    const l = new Listener({ port: PORT, addresses: [addr] });
    l.onConnection((sock) => s.acceptIncoming(sock));
    await l.start();
    listeners.push(l);
  }
  a.start();
  b.start();
  await until(() => a.state === 'Established' && b.state === 'Established');
});

afterAll(async () => {
  for (const s of sessions) s.stop('test over');
  for (const l of listeners) await l.close();
  await served?.stop();
});

describe('sessions under a busy control socket', () => {
  it('stay Established through rounds of 100 clients and a client that never reads', async () => {
    const [a, b] = sessions;
    const now = Date.now();
    const src = new TestStatusSource(now);
    for (let i = 0; i < 5000; i++) src.routeList.push(bgpRoute(`10.${(i >> 8) & 255}.${i & 255}.0/24`, a.config.name, '127.0.0.2', now));
    // The protocols come from the live sessions, as the speaker's source will give them.
    src.protocols = () => sessions.map((s) => protocolFromSession(s.status(), s.config));
    served = await serve({ source: src, stallTimeoutMs: 60_000 });

    const stuck = createConnection(served.path);
    stuck.on('error', () => {});
    stuck.write('show route all\n');
    stuck.pause();

    const established = a.status().establishedCount;
    const started = Date.now();
    let rounds = 0;
    // Keep the socket busy for longer than the hold time (the loop's bound, not an assertion).
    while (rounds < 3 || Date.now() - started < HOLD * 1500) {
      const clients = await Promise.all(Array.from({ length: 100 }, () => RawClient.connect(served!.path)));
      const replies = await Promise.all(clients.map(async (c, i) => (await c.reply(), c.command(i % 4 === 0 ? 'show route' : 'show protocols'))));
      for (const c of clients) c.close();
      for (let i = 0; i < replies.length; i++) expect(replies[i]).toMatch(i % 4 === 0 ? /\n0000 \n$/ : /^2002-.*\n1002-Mesh_127_0_0_2 .*Established/);
      rounds++;
    }
    stuck.destroy();
    expect(a.state).toBe('Established');
    expect(b.state).toBe('Established');
    expect(a.status().establishedCount).toBe(established);
    expect(a.status().counters.messagesIn).toBeGreaterThan(1);
  });
});
