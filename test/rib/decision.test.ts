// The decision process step by step: each row sets two paths apart on one step only, with a later
// step favouring the loser, so the row fails unless that step decides and decides first. Multipath
// sets after them.
import { describe, expect, it } from 'vitest';
import { AttrTable, addressOrder, compare, decide, reason, type Candidate } from '../../bgpd/rib/index.js';
import type { PathAttributes } from '../../bgpd/wire/index.js';

const table = new AttrTable();
const LOCAL_AS = 65000;

interface Spec {
  attrs?: PathAttributes;
  local?: boolean;
  ebgp?: boolean;
  routerId?: number;
  address?: string;
  igp?: number;
  nextHop?: string;
}

function cand(s: Spec): Candidate {
  const attrs: PathAttributes = { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: s.nextHop ?? '192.0.2.1', ...s.attrs };
  return {
    attr: table.intern(attrs, [attrs.nextHop!]),
    local: s.local ?? false,
    ebgp: s.ebgp ?? false,
    localAs: LOCAL_AS,
    peerRouterId: s.routerId ?? 100,
    peerOrder: addressOrder(s.address ?? '10.0.0.100'),
    igpCost: s.igp,
  };
}

const seq = (...asns: number[]) => [{ type: 2 as const, asns }];

// [step the row is about, winner, loser]; the loser wins every later step.
const rows: [string, string, Spec, Spec][] = [
  ['own routes first (BIRD preference)', 'preference', { local: true, attrs: { asPath: [] }, routerId: 900 }, { attrs: { localPref: 500, asPath: [] }, routerId: 1 }],
  ['highest LOCAL_PREF', 'local-pref', { attrs: { localPref: 200, asPath: seq(1, 2, 3) } }, { attrs: { localPref: 100, asPath: seq(1) } }],
  ['missing LOCAL_PREF counts 100', 'local-pref', { attrs: { asPath: seq(1, 2, 3) } }, { attrs: { localPref: 99, asPath: seq(1) } }],
  ['shortest AS_PATH', 'as-path length', { attrs: { asPath: seq(1), origin: 2 } }, { attrs: { asPath: seq(1, 2), origin: 0 } }],
  ['an AS_SET counts one', 'as-path length', { attrs: { asPath: [{ type: 2, asns: [1] }, { type: 1, asns: [2, 3, 4] }], origin: 2 } }, { attrs: { asPath: seq(1, 2, 3), origin: 0 } }],
  ['lowest ORIGIN', 'origin', { attrs: { origin: 0, med: 100 } }, { attrs: { origin: 1, med: 0 } }],
  ['lowest MED from the same neighbour AS', 'MED', { attrs: { med: 10 } }, { attrs: { med: 20 }, ebgp: true }],
  ['a missing MED is the lowest', 'MED', { attrs: {} }, { attrs: { med: 5 }, ebgp: true }],
  ['eBGP over iBGP', 'eBGP over iBGP', { ebgp: true, routerId: 900 }, { routerId: 1 }],
  ['MED is not compared across neighbour ASes', 'eBGP over iBGP', { ebgp: true, attrs: { asPath: seq(65001), med: 50 } }, { attrs: { asPath: seq(65002), med: 10 } }],
  ['LOCAL_PREF from eBGP is not ours to take', 'eBGP over iBGP', { ebgp: true, attrs: { localPref: 50 } }, { attrs: { localPref: 100 } }],
  ['lowest IGP cost where known', 'IGP cost', { igp: 5, routerId: 900 }, { igp: 10, routerId: 1 }],
  ['unknown IGP cost does not decide', 'router id', { igp: undefined, routerId: 1 }, { igp: 1, routerId: 2 }],
  ['lowest router id', 'router id', { routerId: 1, attrs: { clusterList: [1, 2] } }, { routerId: 2, attrs: { clusterList: [1] } }],
  ['ORIGINATOR_ID stands in for the router id', 'router id', { routerId: 900, attrs: { originatorId: 1 } }, { routerId: 2, address: '10.0.0.1' }],
  ['shortest CLUSTER_LIST', 'cluster-list length', { attrs: { clusterList: [7] }, address: '10.0.0.200' }, { attrs: { clusterList: [7, 8] }, address: '10.0.0.1' }],
  ['lowest peer address, compared as numbers', 'peer address', { address: '10.0.0.9' }, { address: '10.0.0.10' }],
  ['lowest IPv6 peer address', 'peer address', { address: 'fd00::9' }, { address: 'fd00::1:0' }],
];

describe('decision process (RFC 4271 §9.1.2.2, RFC 4456 §9)', () => {
  for (const [name, step, winner, loser] of rows) {
    it(`${name} (${step})`, () => {
      const w = cand(winner);
      const l = cand(loser);
      expect(compare(w, l)).toBeLessThan(0);
      expect(compare(l, w)).toBeGreaterThan(0);
      expect(reason(w, l)).toBe(step);
      // Either order in, the same winner and reason out.
      for (const order of [[w, l], [l, w]]) {
        const d = decide(order);
        expect(order[d.best]).toBe(w);
        expect(d.reason).toBe(step);
      }
    });
  }

  it('identical paths tie', () => {
    expect(compare(cand({}), cand({}))).toBe(0);
    expect(reason(cand({}), cand({}))).toBe('equal');
  });

  it('one path is the best for want of others', () => {
    expect(decide([cand({})])).toEqual({ best: 0, ecmp: [0], reason: 'only path' });
    expect(decide([])).toMatchObject({ best: -1, ecmp: [] });
  });
});

describe('multipath (ECMP) sets', () => {
  it('paths equal up to the IGP cost are used together; the router id orders them', () => {
    const a = cand({ routerId: 3, address: '10.0.0.3', nextHop: '10.0.0.3' });
    const b = cand({ routerId: 1, address: '10.0.0.1', nextHop: '10.0.0.1' });
    const c = cand({ routerId: 2, address: '10.0.0.2', nextHop: '10.0.0.2', attrs: { med: 1 } });
    const d = decide([a, b, c]);
    expect(d.best).toBe(1);
    expect(d.ecmp.sort()).toEqual([0, 1]);
    expect(d.reason).toBe('router id');
  });

  it('a difference on any step up to the IGP cost breaks the set', () => {
    const base: Spec = { routerId: 1 };
    const breakers: Spec[] = [
      { attrs: { localPref: 90 } },
      { attrs: { asPath: seq(1, 2) } },
      { attrs: { origin: 1 } },
      { attrs: { med: 9 } },
      { ebgp: false, igp: 9 },
    ];
    for (const other of breakers) {
      const d = decide([cand({ ...base, igp: other.igp !== undefined ? 1 : undefined }), cand({ routerId: 2, ...other })]);
      expect(d.ecmp).toEqual([d.best]);
    }
    // eBGP and iBGP paths are not merged either.
    expect(decide([cand({ ebgp: true }), cand({ routerId: 2 })]).ecmp).toHaveLength(1);
  });

  it('paths from different neighbour ASes merge (MED not compared), own routes never do', () => {
    const d = decide([cand({ attrs: { asPath: seq(65001), med: 5 } }), cand({ routerId: 2, attrs: { asPath: seq(65002), med: 1 } })]);
    expect(d.ecmp).toHaveLength(2);
    const own = decide([cand({ local: true }), cand({ local: true, routerId: 2 })]);
    expect(own.ecmp).toHaveLength(1);
  });
});
