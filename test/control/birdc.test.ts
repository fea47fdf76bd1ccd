// The real BIRD clients (Debian bird2's birdc and birdcl) against our control socket, and the same
// commands over a raw connection for the exact reply codes calicoctl and calico-node's probes read.
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { birdc, RawClient, serve, type Served } from './helpers.js';
import { TestStatusSource, bgpAttrs, bgpProtocol, bgpRoute, otherProtocol } from './test-source.js';

process.env.TZ = 'UTC';
const NOW = Date.UTC(2026, 10, 24, 9, 0, 0);
let src: TestStatusSource;
let s: Served;

beforeAll(async () => {
  src = new TestStatusSource(NOW);
  src.protocolList = [
    otherProtocol('kernel1', 'Kernel', NOW - 30 * 3600_000),
    otherProtocol('device1', 'Device', NOW - 30 * 3600_000),
    bgpProtocol({ name: 'Mesh_10_0_0_2', address: '10.0.0.2', since: NOW - 5000, routes: { received: 2, imported: 2, exported: 1, preferred: 1 } }),
    bgpProtocol({ name: 'Node_10_0_0_3', address: '10.0.0.3', since: NOW - 65_000, bgpState: 'Active', lastError: 'Socket: Connection refused' }),
    bgpProtocol({ name: 'Global_10_0_0_4', address: '10.0.0.4', since: NOW - 65_000, bgpState: 'Idle', state: 'down', lastError: 'BGP Error: Hold timer expired' }),
  ];
  src.routeList = [
    bgpRoute('10.244.0.64/26', 'Mesh_10_0_0_2', '10.0.0.2', NOW - 4000),
    bgpRoute('10.244.0.64/26', 'Node_10_0_0_3', '10.0.0.3', NOW - 3000, { best: false }),
    bgpRoute('192.168.0.0/16', 'Node_10_0_0_3', '10.0.0.3', NOW - 3000, { igpMetric: null, bgp: bgpAttrs({ asPath: [{ type: 'sequence', asns: [65000, 65001] }], nextHop: ['10.0.0.3'], communities: [[65000, 100]], med: 5 }) }),
    { ...bgpRoute('10.244.1.0/26', 'static1', '', NOW - 3000), kind: 'blackhole', nextHops: [], source: 'static', bgp: null, igpMetric: null, preference: 200 },
  ];
  s = await serve({ source: src, now: () => NOW });
});

afterAll(async () => {
  await s?.stop();
});

describe('the control socket file', () => {
  it('has mode 0660', () => {
    expect(statSync(s.path).mode & 0o777).toBe(0o660);
    expect(statSync(s.path).isSocket()).toBe(true);
  });
});

describe('birdc and birdcl', () => {
  for (const bin of ['birdc', 'birdcl'] as const) {
    it(`${bin} show status`, async () => {
      const r = await birdc(bin, s.path, 'show status');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        [
          'BIRD v0.3.3+birdv1.6.8 ready.',
          'BIRD v0.3.3+birdv1.6.8',
          'Router ID is 10.0.0.1',
          'Current server time is 2026-11-24 09:00:00',
          'Last reboot on 2026-11-24 08:00:00',
          'Last reconfiguration on 2026-11-24 08:59:00',
          'Daemon is up and running',
          '',
        ].join('\n'),
      );
    });

    it(`${bin} show protocols`, async () => {
      const r = await birdc(bin, s.path, 'show protocols');
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n').slice(1)).toEqual([
        'name     proto    table    state  since       info',
        'kernel1  Kernel   master   up     2026-11-23  ',
        'device1  Device   master   up     2026-11-23  ',
        'Mesh_10_0_0_2 BGP      master   up     08:59:55    Established   ',
        'Node_10_0_0_3 BGP      master   start  08:58:55    Active        Socket: Connection refused',
        'Global_10_0_0_4 BGP      master   down   08:58:55    BGP Error: Hold timer expired',
        '',
      ]);
    });

    it(`${bin} show protocols all NAME`, async () => {
      const r = await birdc(bin, s.path, 'show protocols all Mesh_10_0_0_2');
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines[2]).toMatch(/^Mesh_10_0_0_2 BGP {6}master {3}up {5}08:59:55 {4}Established/);
      expect(lines).toContain('  Routes:         2 imported, 1 exported, 1 preferred');
      expect(lines).toContain('  BGP state:          Established');
      expect(lines).toContain('    Neighbor address: 10.0.0.2');
      expect(lines).toContain('    Neighbor AS:      64512');
      expect(lines).toContain('    Hold timer:       200/240');
      expect(r.stdout).not.toContain('???');
    });

    it(`${bin} show route, all, for, count`, async () => {
      const route = await birdc(bin, s.path, 'show route');
      expect(route.stdout.split('\n').slice(1)).toEqual([
        '10.244.0.64/26     via 10.0.0.2 on eth0 [Mesh_10_0_0_2 08:59:56] * (100/0) [i]',
        '                   via 10.0.0.3 on eth0 [Node_10_0_0_3 08:59:57] (100/0) [i]',
        '10.244.1.0/26      blackhole [static1 08:59:57] * (200)',
        '192.168.0.0/16     via 10.0.0.3 on eth0 [Node_10_0_0_3 08:59:57] * (100) [AS65001i]',
        '',
      ]);
      const all = await birdc(bin, s.path, 'show route for 192.168.3.4 all');
      expect(all.stdout.split('\n').slice(1)).toEqual([
        '192.168.0.0/16     via 10.0.0.3 on eth0 [Node_10_0_0_3 08:59:57] * (100) [AS65001i]',
        '\tType: BGP unicast univ',
        '\tBGP.origin: IGP',
        '\tBGP.as_path: 65000 65001',
        '\tBGP.next_hop: 10.0.0.3',
        '\tBGP.med: 5',
        '\tBGP.local_pref: 100',
        '\tBGP.community: (65000,100)',
        '',
      ]);
      const count = await birdc(bin, s.path, 'show route count');
      expect(count.stdout.split('\n')[1]).toBe('4 of 4 routes for 3 networks');
      const missing = await birdc(bin, s.path, 'show route for 172.16.0.1');
      expect(missing.stdout.split('\n')[1]).toBe('Network not in table');
    });
  }

  it('birdc -v shows the reply codes calicoctl reads', async () => {
    const r = await birdc('birdc', s.path, 'show protocols', true);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('0001 BIRD v0.3.3+birdv1.6.8 ready.');
    expect(lines[1]).toBe('2002-name     proto    table    state  since       info');
    expect(lines[2].startsWith('1002-kernel1 ')).toBe(true);
  });
});

/** calicoctl's scanBIRDPeers, line for line in behaviour: the header must match, rows come as 1002- or ' '. */
function calicoctlScan(reply: string): { name: string; state: string; since: string; bgpState: string; info: string }[] {
  const peers = [];
  for (const str of reply.split('\n')) {
    if (str.startsWith('0000')) break;
    if (str.startsWith('0001')) continue;
    let row: string;
    if (str.startsWith('2002')) {
      expect(str.slice(5).split(/\s+/).filter(Boolean)).toEqual(['name', 'proto', 'table', 'state', 'since', 'info']);
      continue;
    } else if (str.startsWith('1002')) row = str.slice(5);
    else if (str.startsWith(' ')) row = str.slice(1);
    else throw new Error(`unexpected output line from BIRD: ${str}`);
    const cols = row.split(/\s+/).filter(Boolean);
    if (cols.length < 6 || cols[1] !== 'BGP' || !/^(Global|Node|Mesh)_(.+)$/.test(cols[0])) continue;
    peers.push({ name: cols[0], state: cols[3], since: cols[4], bgpState: cols[5], info: cols.slice(6).join(' ') });
  }
  return peers;
}

describe('the raw protocol', () => {
  it('greets, answers show protocols the way calicoctl parses it, and keeps the connection', async () => {
    const c = await RawClient.connect(s.path);
    try {
      expect(await c.reply()).toBe('0001 BIRD v0.3.3+birdv1.6.8 ready.\n');
      const reply = await c.command('show protocols');
      expect(reply.endsWith('\n0000 \n')).toBe(true);
      expect(calicoctlScan(reply)).toEqual([
        { name: 'Mesh_10_0_0_2', state: 'up', since: '08:59:55', bgpState: 'Established', info: '' },
        { name: 'Node_10_0_0_3', state: 'start', since: '08:58:55', bgpState: 'Active', info: 'Socket: Connection refused' },
        { name: 'Global_10_0_0_4', state: 'down', since: '08:58:55', bgpState: 'BGP', info: 'Error: Hold timer expired' },
      ]);
      // Same connection, next command.
      expect(await c.command('show route count')).toBe('0014 4 of 4 routes for 3 networks\n');
    } finally {
      c.close();
    }
  });

  it('serves calico-node status reporting: show protocols, then show protocols all NAME per peer on the same connection', async () => {
    const c = await RawClient.connect(s.path);
    try {
      await c.reply();
      const peers = calicoctlScan(await c.command('show protocols'));
      const details: Record<string, { bgpState: string; peerIP: string }> = {};
      for (const p of peers) {
        const d = { bgpState: '', peerIP: '' };
        // calico-node's getValue: a line containing the key, key removed, trimmed.
        for (const line of (await c.command(`show protocols all ${p.name}`)).split('\n')) {
          if (line.includes('BGP state:')) d.bgpState = line.replace('BGP state:', ' ').trim();
          else if (line.includes('Neighbor address:')) d.peerIP = line.replace('Neighbor address:', ' ').trim();
        }
        details[p.name] = d;
      }
      expect(details).toEqual({
        Mesh_10_0_0_2: { bgpState: 'Established', peerIP: '10.0.0.2' },
        Node_10_0_0_3: { bgpState: 'Active', peerIP: '10.0.0.3' },
        Global_10_0_0_4: { bgpState: 'Down', peerIP: '10.0.0.4' },
      });
    } finally {
      c.close();
    }
  });

  it('reports graceful-restart recovery with 0024 before 0013', async () => {
    src.daemonStatus.gracefulRestart = { waitingFor: 2, waitRemaining: 215, waitTotal: 240 };
    const c = await RawClient.connect(s.path);
    try {
      await c.reply();
      const lines = (await c.command('show status')).split('\n');
      expect(lines.slice(5)).toEqual(['0024-Graceful restart recovery in progress', '   Waiting for 2 protocols to recover', '   Wait timer is 215/240', '0013 Daemon is up and running', '']);
    } finally {
      src.daemonStatus.gracefulRestart = null;
      c.close();
    }
  });

  it('takes BIRD abbreviations and refuses ambiguous or unknown commands with 9001', async () => {
    const c = await RawClient.connect(s.path);
    try {
      await c.reply();
      const full = await c.command('show protocols');
      expect(await c.command('sh p')).toBe(full);
      expect(await c.command('sh pro a Mesh_10_0_0_2')).toBe(await c.command('show protocols all Mesh_10_0_0_2'));
      expect(await c.command('sh rou cou')).toBe('0014 4 of 4 routes for 3 networks\n');
      expect(await c.command('sh statu')).toMatch(/^1000-BIRD /);
      expect(await c.command('sh r')).toMatch(/^9001 syntax error/); // route, rip, roa
      expect(await c.command('sh st')).toMatch(/^9001 syntax error/); // status, static
      expect(await c.command('foo bar')).toBe('9001 syntax error\n');
      expect(await c.command('show protocols all Nope_1')).toBe('9002 Nope_1 is not a protocol\n');
      expect(await c.command('show protocols "Mesh*"')).toMatch(/^2002-.*\n1002-Mesh_10_0_0_2 .*\n0000 \n$/);
      expect(await c.command('show protocols "Zz*"')).toBe('8003 No protocols match\n');
      expect(await c.command('show route 10.244.0.64/26')).toMatch(/^1007-10\.244\.0\.64\/26 /);
      expect(await c.command('show route for 10.244.0.64/27 primary')).toMatch(/^1007-10\.244\.0\.64\/26 .*\n0000 \n$/);
      expect(await c.command('show route protocol Node_10_0_0_3 count')).toBe('0014 2 of 4 routes for 3 networks\n');
      expect(await c.command('show route for 300.1.1.1')).toMatch(/^9001 /);
      expect(await c.command('configure')).toBe('8007 Access denied\n');
      expect(await c.command(`show route for ${'1'.repeat(600)}`)).toBe('9000 Command too long\n');
      expect(await c.command('show status')).toMatch(/0013 Daemon is up and running\n$/);
    } finally {
      c.close();
    }
  });

  it('closes a client on quit, and a client sending garbage, and serves the others', async () => {
    const quitter = await RawClient.connect(s.path);
    await quitter.reply();
    quitter.sock.write('quit\n');
    await quitter.waitClosed();

    const bad = await RawClient.connect(s.path);
    const good = await RawClient.connect(s.path);
    try {
      await bad.reply();
      await good.reply();
      bad.sock.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01, 0x00, 0x0a]));
      await bad.waitClosed();
      const endless = await RawClient.connect(s.path);
      await endless.reply();
      endless.sock.write('x'.repeat(64 * 1024));
      await endless.waitClosed();
      expect(await good.command('show status')).toMatch(/0013 Daemon is up and running\n$/);
    } finally {
      bad.close();
      good.close();
    }
  });

  it('answers a source failure with a run-time error, not a hang', async () => {
    const failing = { ...src, daemon: src.daemon.bind(src), protocols: () => { throw new Error('boom'); }, routes: src.routes.bind(src), fib: src.fib.bind(src) };
    const t = await serve({ source: failing, now: () => NOW });
    try {
      const c = await RawClient.connect(t.path);
      await c.reply();
      expect(await c.command('show protocols')).toBe('8099 Internal error: boom\n');
      expect(await c.command('show status')).toMatch(/0013 /);
      c.close();
    } finally {
      await t.stop();
    }
  });
});
