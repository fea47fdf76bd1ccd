// Two of our sessions on loopback addresses inside a fresh namespace. Connection collision (RFC 4271
// §6.8): both sides connect at once; exactly one connection survives, the one opened by the side
// with the higher BGP Identifier, and both sides agree on it. Backpressure: send() says when the
// socket is full, drain says when to go on, and nothing is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, waitFor } from '../helpers/netns.js';
import { routerIdFromText } from '../../bgpd/session/negotiate.js';
import { Session, type SessionConfig, type SessionListener } from '../../bgpd/session/session.js';
import { Listener } from '../../bgpd/session/transport.js';
import { enterNetns, manyPrefixes } from './harness.js';
import { AFI, packUpdates, prefixList } from '../../bgpd/wire/index.js';

const topo = new Topology('scl');
let leave: (() => void) | null = null;
const listeners: Listener[] = [];
const sessions: Session[] = [];

const quiet: SessionListener = { established() {}, update() {}, endOfRib() {}, routeRefresh() {}, down() {}, staleSweep() {}, drain() {} };

function config(name: string, local: string, peer: string, routerId: string): SessionConfig {
  return {
    name,
    peerAddress: peer,
    peerPort: 1790,
    localAddress: local,
    localAs: 65000,
    peerAs: 65000,
    routerId: routerIdFromText(routerId),
    passive: false,
    multihop: true,
    holdTime: 30,
    connectRetryTime: 5,
    families: { ipv4: true, ipv6: false },
    addPathReceive: false,
    addPathSend: false,
    extendedMessage: true,
    gracefulRestartTime: 120,
    restarting: () => false,
    backoff: { initialMs: 500, maxMs: 2000 },
  };
}

async function listen(address: string, session: Session): Promise<void> {
  const l = new Listener({ port: 1790, addresses: [address] });
  l.onConnection((s) => session.acceptIncoming(s));
  await l.start();
  listeners.push(l);
}

beforeAll(async () => {
  const ns = topo.netns('c');
  leave = enterNetns(ns);
});

afterAll(async () => {
  for (const s of sessions) s.stop('test over');
  for (const l of listeners) await l.close();
  leave?.();
  await topo.destroy();
});

describe('collision detection (§6.8)', () => {
  for (const [lowId, highId] of [
    ['10.0.0.1', '10.0.0.2'],
    ['10.0.0.9', '10.0.0.3'],
  ]) {
    it(`keeps the connection opened by the higher identifier (${lowId} vs ${highId})`, async () => {
      const a = new Session(config('a', '127.0.0.1', '127.0.0.2', lowId), quiet);
      const b = new Session(config('b', '127.0.0.2', '127.0.0.1', highId), quiet);
      sessions.push(a, b);
      await listen('127.0.0.1', a);
      await listen('127.0.0.2', b);
      a.start();
      b.start();
      await waitFor('both established', () => a.state === 'Established' && b.state === 'Established');
      const ca = a.status().connection!;
      const cb = b.status().connection!;
      // Both ends describe the same TCP connection.
      expect([ca.localPort, ca.remotePort]).toEqual([cb.remotePort, cb.localPort]);
      const higher = routerIdFromText(highId) > routerIdFromText(lowId) ? b : a;
      const lower = higher === a ? b : a;
      expect(higher.status().connection!.initiatedBy).toBe('us');
      expect(lower.status().connection!.initiatedBy).toBe('peer');
      expect(a.status().establishedCount + b.status().establishedCount).toBe(2);
      // One attempt each, no retry: the collision was resolved, and the loser closed with Cease /
      // Connection Collision Resolution (a NOTIFICATION from one side or both).
      expect([a.status().connectAttempts, b.status().connectAttempts]).toEqual([1, 1]);
      expect(a.status().counters.notificationsOut + b.status().counters.notificationsOut).toBeGreaterThanOrEqual(1);
      a.stop('next case');
      b.stop('next case');
      for (const l of listeners.splice(0)) await l.close();
    });
  }
});

describe('backpressure', () => {
  it('send() reports a full socket, drain resumes, and every UPDATE arrives', async () => {
    let drains = 0;
    let received = 0;
    const sender = new Session(config('tx', '127.0.0.1', '127.0.0.2', '10.0.1.1'), { ...quiet, drain: () => drains++ });
    const receiver = new Session(config('rx', '127.0.0.2', '127.0.0.1', '10.0.1.2'), { ...quiet, update: (_s, u) => (received += u.nlri.count) });
    sessions.push(sender, receiver);
    await listen('127.0.0.1', sender);
    await listen('127.0.0.2', receiver);
    sender.start();
    receiver.start();
    await waitFor('both established', () => sender.state === 'Established' && receiver.state === 'Established');
    const attrs = { origin: 0 as const, asPath: [], nextHop: '127.0.0.1', localPref: 100 };
    const total = 16_000; // all of 100.64.0.0/10 in /24s, about 80 KiB of UPDATEs
    const messages = packUpdates(attrs, prefixList(AFI.IPv4, manyPrefixes(total)), sender.encodeContext!);
    // The same table many times over: several MB, more than the kernel buffers take while the
    // receiving session (on this same event loop) cannot read.
    const rounds = 100;
    let sawFull = false;
    for (const m of Array.from({ length: rounds }, () => messages).flat()) {
      if (!sender.send(m)) {
        sawFull = true;
        // A well-behaved producer stops here and resumes on drain.
        await waitFor('drain', () => drains > 0 && sender.writable);
        drains = 0;
      }
    }
    expect(sawFull).toBe(true);
    await waitFor('all prefixes received', () => received === total * rounds, 60_000);
  });
});
