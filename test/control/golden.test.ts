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
