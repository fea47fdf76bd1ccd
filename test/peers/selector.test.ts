// Calico selector syntax: parsing, matching semantics (including "!=" and "not in" matching an
// absent label), canonical printing, and clear errors with a column.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSelector, SelectorError } from '../../peers/selector.js';

const labels = { rack: 'r1', 'route-reflector': 'true', 'kubernetes.io/hostname': 'node-1', zone: 'eu-west-1a' };

describe('selector matching', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['all()', true],
    ['has(rack)', true],
    ['has(missing)', false],
    ['!has(missing)', true],
    ["rack == 'r1'", true],
    ['rack == "r2"', false],
    ["rack != 'r2'", true],
    ["missing != 'x'", true], // absent label: != matches
    ["missing == 'x'", false],
    ["rack in {'r1', 'r2'}", true],
    ["rack in {}", false],
    ["rack not in {'r1'}", false],
    ["missing not in {'r1'}", true],
    ["missing in {'r1'}", false],
    ["kubernetes.io/hostname == 'node-1'", true],
    ["zone contains 'west'", true],
    ["zone starts with 'eu-'", true],
    ["zone ends with '1b'", false],
    ["rack == 'r1' && has(route-reflector)", true],
    ["rack == 'r2' || route-reflector == 'true'", true],
    ["!(rack == 'r1' && has(zone))", false],
    ["rack == 'r2' || rack == 'r3' && has(zone)", false], // && binds tighter than ||
    ["(rack == 'r2' || rack == 'r1') && has(zone)", true],
    ['!!has(rack)', true],
    ['global()', true],
  ];
  for (const [src, want] of cases) {
    it(`${JSON.stringify(src)} → ${want}`, () => expect(parseSelector(src).matches(labels)).toBe(want));
  }
});

describe('selector errors', () => {
  const bad: [string, RegExp][] = [
    ["rack = 'r1'", /column 6/],
    ["rack == r1", /quoted string/],
    ["rack == 'r1", /unterminated string/],
    ['has(rack', /expected '\)'/],
    ["(rack == 'a'", /expected '\)'/],
    ["rack == 'a' &&", /unexpected end/],
    ["rack in {'a' 'b'}", /expected '}'/],
    ['rack', /expected an operator/],
    ["rack == 'a' rack == 'b'", /unexpected 'rack'/],
    ['&& has(x)', /expected a label/],
    ['rack == $x', /unexpected character/],
  ];
  for (const [src, re] of bad) {
    it(JSON.stringify(src), () => {
      let err: unknown;
      try {
        parseSelector(src);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SelectorError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).toContain(JSON.stringify(src));
    });
  }
});

describe('canonical form', () => {
  it('prints a stable, re-parsable form', () => {
    const s = parseSelector("  rack in { 'r1','r2' } &&!has( zone )||x=='y'");
    expect(s.toString()).toBe('((rack in {"r1", "r2"} && !has(zone)) || x == "y")');
    expect(parseSelector(s.toString()).toString()).toBe(s.toString());
  });

  it('never throws anything but SelectorError, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (src) => {
        try {
          parseSelector(src);
        } catch (e) {
          if (!(e instanceof SelectorError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('printing and re-parsing keeps the meaning', () => {
    const key = fc.constantFrom('a', 'b', 'c');
    const val = fc.constantFrom('x', 'y');
    const atom = fc.oneof(
      key.map((k) => `has(${k})`),
      fc.tuple(key, fc.constantFrom('==', '!='), val).map(([k, o, v]) => `${k} ${o} '${v}'`),
      fc.tuple(key, fc.constantFrom('in', 'not in')).map(([k, o]) => `${k} ${o} {'x'}`),
    );
    const expr = fc.letrec<{ e: string }>((tie) => ({
      e: fc.oneof({ depthSize: 'small' }, atom, fc.tuple(tie('e'), fc.constantFrom('&&', '||'), tie('e')).map(([l, o, r]) => `(${l}) ${o} (${r})`), tie('e').map((e) => `!(${e})`)),
    })).e;
    const lbls = fc.record({ a: val, b: val }, { requiredKeys: [] });
    fc.assert(
      fc.property(expr, lbls, (src, l) => {
        const s = parseSelector(src);
        expect(parseSelector(s.toString()).matches(l)).toBe(s.matches(l));
      }),
      { numRuns: 500 },
    );
  });
});
