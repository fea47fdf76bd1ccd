// Property tests of the codec (the same properties `npm run fuzz` runs at scale).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { codecProperties } from '../fuzz/properties.js';

describe('codec properties', () => {
  for (const { name, check } of codecProperties()) {
    it(name, () => {
      const r = check({ numRuns: 300 });
      if (r.failed) throw new Error(fc.defaultReportMessage(r) ?? 'property failed');
    });
  }
});
