// Shared-tick timers, jitter, backoff and hold-time rules, driven by a test clock.
import { describe, expect, it } from 'vitest';
import { Ticker, Timer, backoffDelay, jitter, keepaliveInterval, negotiateHoldTime } from '../../bgpd/session/timers.js';

describe('Ticker and Timer', () => {
  it('fires each timer once after its deadline, restart moves the deadline, stop cancels', () => {
    let now = 0;
    const ticker = new Ticker(() => now);
    const fired: string[] = [];
    const a = new Timer(() => fired.push('a'), ticker);
    const b = new Timer(() => fired.push('b'), ticker);
    const c = new Timer(() => fired.push('c'), ticker);
    a.start(1000);
    b.start(2000);
    c.start(500);
    c.stop();
    now = 999;
    ticker.tick();
    expect(fired).toEqual([]);
    a.start(1500); // restart: the old deadline no longer applies
    now = 1200;
    ticker.tick();
    expect(fired).toEqual([]);
    now = 2000;
    ticker.tick();
    expect(fired).toEqual(['b']);
    now = 2499;
    ticker.tick();
    expect(fired).toEqual(['b', 'a']);
    now = 5000;
    ticker.tick();
    expect(fired.length).toBe(2);
    expect(a.running || b.running || c.running).toBe(false);
  });

  it('a timer restarted from its own callback stays armed', () => {
    let now = 0;
    const ticker = new Ticker(() => now);
    let count = 0;
    const t: Timer = new Timer(() => {
      count++;
      t.start(100);
    }, ticker);
    t.start(100);
    for (let i = 1; i <= 5; i++) {
      now = i * 100;
      ticker.tick();
    }
    expect(count).toBe(5);
    t.stop();
  });
});

describe('jitter and backoff', () => {
  it('jitter stays within [0.75, 1.0] of the value', () => {
    expect(jitter(1000, () => 0)).toBe(750);
    expect(jitter(1000, () => 1)).toBe(1000);
  });

  it('backoff starts at zero, doubles and caps', () => {
    const o = { initialMs: 1000, maxMs: 30_000 };
    const r = () => 1;
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((f) => backoffDelay(f, o, r))).toEqual([0, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffDelay(3, o, () => 0)).toBe(3000);
  });
});

describe('hold time and keepalive', () => {
  it('takes the smaller hold time; keepalive is a third or the configured one', () => {
    expect(negotiateHoldTime(90, 240)).toBe(90);
    expect(negotiateHoldTime(90, 0)).toBe(0);
    expect(keepaliveInterval(90)).toBe(30);
    expect(keepaliveInterval(90, 10)).toBe(10);
    expect(keepaliveInterval(9, 20)).toBe(3);
    expect(keepaliveInterval(3)).toBe(1);
    expect(keepaliveInterval(0, 10)).toBe(0);
  });
});
