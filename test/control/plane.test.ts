// The control plane as main.ts starts it (bird.ctl, bird6.ctl with IPv6 peers only, /metrics), and a
// session's status shown as BIRD shows a BGP protocol.
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { protocolFromSession } from '../../bgpd/control/from-session.js';
import { startControlPlane } from '../../bgpd/control/plane.js';
import { protocolRow } from '../../bgpd/control/print-protocols.js';
import type { SessionStatus } from '../../bgpd/session/index.js';
import { RawClient } from './helpers.js';
import { TestStatusSource, bgpProtocol, bgpRoute } from './test-source.js';

process.env.TZ = 'UTC';

function session(over: Partial<SessionStatus>): SessionStatus {
  return {
    name: 'Mesh_10_0_0_2',
    peerAddress: '10.0.0.2',
    peerPort: 179,
    localAs: 64512,
    peerAs: 64512,
    state: 'Active',
    since: Date.UTC(2026, 10, 24, 8, 0, 0),
    lastError: 'Active Socket: Connection refused',
    peerId: null,
    holdTime: null,
    keepaliveTime: null,
    families: null,
    gracefulRestart: 'none',
    connection: null,
    connectAttempts: 3,
    establishedCount: 0,
    counters: { messagesIn: 0, messagesOut: 0, updatesIn: 0, updatesOut: 0, notificationsIn: 0, notificationsOut: 0 },
    ...over,
  };
}

describe('protocolFromSession', () => {
  const cfg = { passive: false, multihop: false, families: { ipv4: true, ipv6: false } };
  const now = Date.UTC(2026, 10, 24, 9, 0, 0);

  it('shows a connecting session as BIRD does, with the error class first', () => {
    const p = protocolFromSession(session({}), cfg);
    expect(protocolRow(p, now)).toBe('Mesh_10_0_0_2 BGP      master   start  08:00:00    Active        Socket: Connection refused');
  });

  it('shows an established session as up with its neighbour id, counters and flags', () => {
    const p = protocolFromSession(
      session({ state: 'Established', lastError: '', peerId: 0x0a000002, holdTime: 90, keepaliveTime: 30, families: { ipv4: true, ipv6: false }, connection: { localAddress: '10.0.0.1', localPort: 40000, remoteAddress: '10.0.0.2', remotePort: 179, initiatedBy: 'us' }, counters: { messagesIn: 9, messagesOut: 8, updatesIn: 4, updatesOut: 2, notificationsIn: 0, notificationsOut: 0 } }),
      cfg,
      { rrClient: true },
    );
    expect(protocolRow(p, now)).toBe('Mesh_10_0_0_2 BGP      master   up     08:00:00    Established   ');
    expect(p.bgp).toMatchObject({ neighborId: '10.0.0.2', sourceAddress: '10.0.0.1', sessionFlags: ['internal', 'route-reflector', 'AS4'], updatesIn: 4, updatesOut: 2 });
    expect(p.channels.map((c) => c.family)).toEqual(['ipv4']);
  });

  it('shows a passive session waiting in Idle as Passive, and a removed one as down', () => {
    expect(protocolRow(protocolFromSession(session({ state: 'Idle', lastError: '' }), { ...cfg, passive: true }), now)).toMatch(/ start  08:00:00 {4}Passive {7}$/);
    expect(protocolRow(protocolFromSession(session({ state: 'Idle', lastError: '' }), cfg, { down: true }), now)).toMatch(/ down   08:00:00 {4}$/);
  });
});

describe('startControlPlane', () => {
  it('serves bird.ctl with the IPv4 peers and bird6.ctl with the IPv6 ones, as calico-node’s two BIRDs did, and /metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgpd-plane-'));
    const now = Date.now();
    const src = new TestStatusSource(now);
    src.protocolList = [bgpProtocol({ name: 'Mesh_10_0_0_2', address: '10.0.0.2', since: now }), bgpProtocol({ name: 'Mesh_fd00__2', address: 'fd00::2', since: now })];
    src.routeList = [bgpRoute('10.244.0.0/26', 'Mesh_10_0_0_2', '10.0.0.2', now), bgpRoute('fd00:244::/122', 'Mesh_fd00__2', 'fd00::2', now)];
    const plane = await startControlPlane({ source: src, socket: join(dir, 'bird.ctl'), socket6: join(dir, 'bird6.ctl'), metricsAddress: '127.0.0.1:0' });
    try {
      const v4 = await RawClient.connect(join(dir, 'bird.ctl'));
      const v6 = await RawClient.connect(join(dir, 'bird6.ctl'));
      await v4.reply();
      await v6.reply();
      expect((await v4.command('show protocols')).match(/Mesh_\S+/g)).toEqual(['Mesh_10_0_0_2']);
      expect((await v6.command('show protocols')).match(/Mesh_\S+/g)).toEqual(['Mesh_fd00__2']);
      expect(await v6.command('show route count')).toBe('0014 1 of 1 routes for 1 networks\n');
      expect(await v6.command('show route for 10.244.0.1')).toBe('8001 Network not in table\n');
      v4.close();
      v6.close();
      const text = await (await fetch(`http://127.0.0.1:${plane.metricsEndpoint!.port}/metrics`)).text();
      expect(text).toMatch(/^bgpd_sessions\{state="Established"\} 2$/m);
      expect(text).toMatch(/^bgpd_process_resident_memory_bytes \d+/m);
    } finally {
      await plane.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without bird6.ctl, bird.ctl serves every peer of both families', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgpd-plane-'));
    const now = Date.now();
    const src = new TestStatusSource(now);
    src.protocolList = [bgpProtocol({ name: 'Mesh_10_0_0_2', address: '10.0.0.2', since: now }), bgpProtocol({ name: 'Mesh_fd00__2', address: 'fd00::2', since: now })];
    const plane = await startControlPlane({ source: src, socket: join(dir, 'bird.ctl') });
    try {
      const c = await RawClient.connect(join(dir, 'bird.ctl'));
      await c.reply();
      expect((await c.command('show protocols')).match(/Mesh_\S+/g)).toEqual(['Mesh_10_0_0_2', 'Mesh_fd00__2']);
      c.close();
    } finally {
      await plane.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a metrics address it cannot listen on is reported and the control socket still serves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgpd-plane-'));
    const errors: string[] = [];
    const log = { debug: () => {}, warn: () => {}, error: (o: object, m: string) => errors.push(`${m} ${JSON.stringify(o)}`) };
    const plane = await startControlPlane({ source: new TestStatusSource(Date.now()), socket: join(dir, 'bird.ctl'), metricsAddress: 'not-an-address', log });
    try {
      expect(plane.metricsEndpoint).toBeNull();
      expect(errors.join('\n')).toMatch(/metrics endpoint unavailable/);
      const c = await RawClient.connect(join(dir, 'bird.ctl'));
      expect(await c.reply()).toMatch(/^0001 /);
      c.close();
    } finally {
      await plane.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a socket path that is a regular file, and leaves nothing listening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgpd-plane-'));
    try {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(dir, 'bird.ctl'), 'not a socket');
      await expect(startControlPlane({ source: new TestStatusSource(Date.now()), socket: join(dir, 'bird.ctl') })).rejects.toThrow(/not a socket/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('socket ownership', () => {
  it('replaces a stale socket file but never takes over one a live daemon answers on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgpd-plane-'));
    const path = join(dir, 'bird.ctl');
    const { ControlServer } = await import('../../bgpd/control/server.js');
    try {
      // A socket file with nobody behind it: a daemon killed while listening leaves one.
      spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
      expect(lstatSync(path).isSocket()).toBe(true);
      const first = await ControlServer.start({ path, source: new TestStatusSource(Date.now()) });
      try {
        await expect(ControlServer.start({ path, source: new TestStatusSource(Date.now()) })).rejects.toThrow(/in use by a running daemon/);
        const c = await RawClient.connect(path);
        expect(await c.reply()).toMatch(/^0001 /);
        c.close();
      } finally {
        await first.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
