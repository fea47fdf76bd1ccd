// `show protocols all` as calico-node's BIRD prints it: the expected text is a real
// `birdcl -s /var/run/calico/bird.ctl show protocols all` from a calico-node (BIRD v0.3.3+birdv1.6.8),
// its peers' numbers put into the status source.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calicoLocalProtocols, emptyChannel } from '../../bgpd/control/from-session.js';
import type { ProtocolStatus } from '../../bgpd/control/status.js';
import { birdc, serve, type Served } from './helpers.js';
import { TestStatusSource } from './test-source.js';

process.env.TZ = 'UTC';
const at = (h: number, m: number, s: number) => Date.UTC(2026, 10, 24, h, m, s);
let s: Served;

function meshPeer(last: number, since: number, imp: [number, number, number, number, number], exp: [number, number, number, number], routes: [number, number, number], timers: [number, number]): ProtocolStatus {
  const ch = emptyChannel('ipv4', true);
  ch.routes = { received: routes[0], imported: routes[0], filtered: 0, exported: routes[1], preferred: routes[2], installed: 0 };
  ch.changes.importUpdates = { received: imp[0], rejected: imp[1], filtered: imp[2], ignored: imp[3], accepted: imp[4] };
  ch.changes.exportUpdates = { received: exp[0], rejected: exp[1], filtered: exp[2], accepted: exp[3] };
  return {
    name: `Mesh_10_250_12_${last}`,
    proto: 'BGP',
    table: 'master',
    state: 'up',
    since,
    info: '',
    description: 'Connection to BGP peer',
    channels: [ch],
    bgp: {
      state: 'Established',
      neighborAddress: `10.250.12.${last}`,
      neighborPort: 179,
      neighborAs: 65001,
      localAs: 65001,
      neighborId: `10.250.12.${last}`,
      neighborCaps: ['refresh', 'enhanced-refresh', 'restart-able', 'llgr-aware', 'AS4', 'add-path-rx', 'add-path-tx'],
      sessionFlags: ['internal', 'multihop', 'AS4', 'add-path-rx', 'add-path-tx'],
      sourceAddress: '10.250.12.186',
      holdTimer: { remaining: timers[0], total: 240 },
      keepaliveTimer: { remaining: timers[1], total: 80 },
      connectDelay: null,
      neighborRestarting: false,
      lastError: '',
      updatesIn: 0,
      updatesOut: 0,
      messagesIn: 0,
      messagesOut: 0,
      establishedCount: 1,
    },
  };
}

beforeAll(async () => {
  const now = at(18, 30, 0);
  const src = new TestStatusSource(now);
  const local = calicoLocalProtocols(at(18, 12, 19), { static: 2, kernel: 11, direct: 3 });
  local[1].channels[0].routes.preferred = 7;
  local[1].channels[0].changes.exportUpdates = { received: 15, rejected: 10, filtered: 5, accepted: 0 };
  for (const p of local) p.channels[0].changes.importUpdates = { received: p.channels[0].routes.imported, rejected: 0, filtered: 0, ignored: 0, accepted: p.channels[0].routes.imported };
  src.protocolList = [...local, meshPeer(180, at(18, 12, 31), [10, 0, 0, 5, 5], [62, 30, 20, 12], [5, 6, 3], [172, 67])];
  s = await serve({ source: src, now: () => now });
});

afterAll(async () => {
  await s?.stop();
});

describe('show protocols all, as calico-node prints it', () => {
  it('matches a real calico-node birdcl output line for line', async () => {
    const r = await birdc('birdcl', s.path, 'show protocols all');
    expect(r.stdout).toBe(`BIRD v0.3.3+birdv1.6.8 ready.
name     proto    table    state  since       info
static1  Static   master   up     18:12:19    
  Preference:     200
  Input filter:   ACCEPT
  Output filter:  REJECT
  Routes:         2 imported, 0 exported, 2 preferred
  Route change stats:     received   rejected   filtered    ignored   accepted
    Import updates:              2          0          0          0          2
    Import withdraws:            0          0        ---          0          0
    Export updates:              0          0          0        ---          0
    Export withdraws:            0        ---        ---        ---          0

kernel1  Kernel   master   up     18:12:19    
  Preference:     10
  Input filter:   ACCEPT
  Output filter:  calico_kernel_programming
  Routes:         11 imported, 0 exported, 7 preferred
  Route change stats:     received   rejected   filtered    ignored   accepted
    Import updates:             11          0          0          0         11
    Import withdraws:            0          0        ---          0          0
    Export updates:             15         10          5        ---          0
    Export withdraws:            0        ---        ---        ---          0

device1  Device   master   up     18:12:19    
  Preference:     240
  Input filter:   ACCEPT
  Output filter:  REJECT
  Routes:         0 imported, 0 exported, 0 preferred
  Route change stats:     received   rejected   filtered    ignored   accepted
    Import updates:              0          0          0          0          0
    Import withdraws:            0          0        ---          0          0
    Export updates:              0          0          0        ---          0
    Export withdraws:            0        ---        ---        ---          0

direct1  Direct   master   up     18:12:19    
  Preference:     240
  Input filter:   ACCEPT
  Output filter:  REJECT
  Routes:         3 imported, 0 exported, 3 preferred
  Route change stats:     received   rejected   filtered    ignored   accepted
    Import updates:              3          0          0          0          3
    Import withdraws:            0          0        ---          0          0
    Export updates:              0          0          0        ---          0
    Export withdraws:            0        ---        ---        ---          0

Mesh_10_250_12_180 BGP      master   up     18:12:31    Established   
  Description:    Connection to BGP peer
  Preference:     100
  Input filter:   ACCEPT
  Output filter:  (unnamed)
  Routes:         5 imported, 6 exported, 3 preferred
  Route change stats:     received   rejected   filtered    ignored   accepted
    Import updates:             10          0          0          5          5
    Import withdraws:            0          0        ---          0          0
    Export updates:             62         30         20        ---         12
    Export withdraws:            0        ---        ---        ---          0
  BGP state:          Established
    Neighbor address: 10.250.12.180
    Neighbor AS:      65001
    Neighbor ID:      10.250.12.180
    Neighbor caps:    refresh enhanced-refresh restart-able llgr-aware AS4 add-path-rx add-path-tx
    Session:          internal multihop AS4 add-path-rx add-path-tx
    Source address:   10.250.12.186
    Hold timer:       172/240
    Keepalive timer:  67/80

`);
  });
});

describe('show route, as calico-node reads it', () => {
  it('matches the raw reply calico-node parses for its node status (kernel, mesh, global, static, direct routes)', async () => {
    const now = at(20, 30, 0);
    const src = new TestStatusSource(now);
    src.ordered = true;
    const base = { nextHops: [], iface: null, from: null, bgp: null, igpMetric: null, best: true } as const;
    const via = (gateway: string, iface: string) => [{ gateway, iface, weight: 1 }];
    src.routeList = [
      { ...base, prefix: '0.0.0.0/0', kind: 'router', nextHops: via('172.17.0.1', 'eth0'), protocol: 'kernel1', source: 'inherit', since: at(20, 10, 57), preference: 10 },
      { ...bgpRouteLike('192.168.110.128/26', '172.17.0.5', 'eth0', 'Mesh_172_17_0_5', at(20, 10, 57)) },
      { ...bgpRouteLike('192.168.82.0/26', '172.17.0.4', 'eth0', 'Mesh_172_17_0_4', at(20, 11, 0)) },
      {
        ...bgpRouteLike('192.168.82.0/26', '100.100.100.100', 'em0', 'Global_100_100_100_100', at(20, 11, 0)),
        best: false,
        igpMetric: '?',
        bgp: { ...bgpRouteLike('x', '100.100.100.100', 'em0', 'x', 0).bgp!, origin: 'Incomplete', asPath: [{ type: 'sequence', asns: [65001] }] },
      },
      { ...base, prefix: '192.168.162.128/26', kind: 'blackhole', protocol: 'static1', source: 'static', since: at(20, 10, 56), preference: 200 },
      { ...base, prefix: '192.168.162.128/32', kind: 'device', iface: 'tunl0', protocol: 'direct1', source: 'device', since: at(20, 10, 56), preference: 240 },
      { ...base, prefix: '192.168.162.129/32', kind: 'device', iface: 'calie58e37f9a7f', protocol: 'kernel1', source: 'inherit', since: at(20, 11, 10), preference: 10 },
      { ...base, prefix: '172.17.0.0/16', kind: 'device', iface: 'eth0', protocol: 'direct1', source: 'device', since: at(20, 10, 56), preference: 240 },
    ];
    const t = await serve({ source: src, now: () => now });
    try {
      const { RawClient } = await import('./helpers.js');
      const c = await RawClient.connect(t.path);
      await c.reply();
      expect(await c.command('show route')).toBe(`1007-0.0.0.0/0          via 172.17.0.1 on eth0 [kernel1 20:10:57] * (10)
 192.168.110.128/26 via 172.17.0.5 on eth0 [Mesh_172_17_0_5 20:10:57] * (100/0) [i]
 192.168.82.0/26    via 172.17.0.4 on eth0 [Mesh_172_17_0_4 20:11:00] * (100/0) [i]
                    via 100.100.100.100 on em0 [Global_100_100_100_100 20:11:00] (100/?) [AS65001?]
 192.168.162.128/26 blackhole [static1 20:10:56] * (200)
 192.168.162.128/32 dev tunl0 [direct1 20:10:56] * (240)
 192.168.162.129/32 dev calie58e37f9a7f [kernel1 20:11:10] * (10)
 172.17.0.0/16      dev eth0 [direct1 20:10:56] * (240)
0000 
`);
      c.close();
    } finally {
      await t.stop();
    }
  });
});

function bgpRouteLike(prefix: string, gateway: string, iface: string, protocol: string, since: number) {
  return {
    prefix,
    kind: 'router' as const,
    nextHops: [{ gateway, iface, weight: 1 }],
    iface: null,
    protocol,
    source: 'BGP' as const,
    from: null,
    since,
    preference: 100,
    igpMetric: 0 as number | '?' | '-' | null,
    best: true,
    bgp: { origin: 'IGP' as const, asPath: [] as { type: 'sequence' | 'set'; asns: number[] }[], nextHop: [gateway], med: null, localPref: 100, atomicAggregate: false, aggregator: null, communities: [], largeCommunities: [], extCommunities: [], originatorId: null, clusterList: [] },
  };
}
