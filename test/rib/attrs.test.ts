// The attribute table's byte-keyed interning (internBytes): equal bytes give the same entry, other
// bytes another, through growth, deletions in the middle of probe runs and arena compaction.
import { describe, expect, it } from 'vitest';
import { AttrTable, type Attr } from '../../bgpd/rib/index.js';
import { rng } from './helpers.js';

describe('AttrTable byte keys', () => {
  it('finds what was interned and nothing else, through churn and compaction', () => {
    const t = new AttrTable();
    const base = t.size;
    const r = rng(7);
    const live = new Map<string, Attr>();
    // Few distinct lengths and a small alphabet, so hash runs and equal-length near misses abound.
    const keyOf = (): Buffer => Buffer.from(Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 4)));
    for (let step = 0; step < 60_000; step++) {
      if (live.size > 0 && r() < 0.45) {
        const keys = [...live.keys()];
        const k = keys[Math.floor(r() * keys.length)];
        const a = live.get(k)!;
        t.release(a);
        live.delete(k);
        continue;
      }
      const raw = keyOf();
      const k = raw.toString('hex');
      const have = live.get(k);
      const a = t.internBytes(raw, { origin: 0, nextHop: '192.0.2.1' }, '192.0.2.1');
      if (have) {
        expect(a.id).toBe(have.id);
      } else {
        expect(a.refs).toBe(0);
        a.refs++;
        live.set(k, a);
      }
      raw.fill(9); // the table keeps its own copy
    }
    expect(t.size - base).toBe(live.size);
    for (const [k, a] of live) expect(t.internBytes(Buffer.from(k, 'hex'), {}, '192.0.2.1').id).toBe(a.id);
    expect(t.size - base).toBe(live.size);
  });

  it('shares next-hop lists and texts between sets', () => {
    const t = new AttrTable();
    // ORIGIN IGP / INCOMPLETE, NEXT_HOP 192.0.2.1: the table decodes its sets from these bytes.
    const nh = [0x40, 3, 4, 192, 0, 2, 1];
    const a = t.internBytes(Buffer.from([0x40, 1, 1, 0, ...nh]), { origin: 0, nextHop: ['192.0.2', '1'].join('.') }, '192.0.2.1');
    const b = t.internBytes(Buffer.from([0x40, 1, 1, 2, ...nh]), { origin: 2, nextHop: ['192.0.2', '1'].join('.') }, '192.0.2.1');
    expect(a.id).not.toBe(b.id);
    expect(a.nextHops).toBe(b.nextHops);
    expect(a.nextHops).toEqual(['192.0.2.1']);
    expect(a.hop4).toEqual(['192.0.2.1']);
    expect(a.hop6).toEqual([]);
    expect(Object.isFrozen(a.attrs)).toBe(true);
    expect(a.attrs.nextHop).toBe('192.0.2.1');
    expect(a.attrs.nextHop).toBe(b.attrs.nextHop); // one shared text
    expect([a.origin, b.origin]).toEqual([0, 2]);
  });
});
