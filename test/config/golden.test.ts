// Golden tests: test/config/golden/N.in.yaml → N.ok. For every Node in the input, the model of that
// node and its desired sessions are printed the way `bgpd plan` prints them; the text must match
// N.ok exactly. Set UPDATE_GOLDEN=1 to rewrite the .ok files after an intended change (and read
// the diff).
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readYamlText } from '../../config/yamlfile.js';
import { formatPlan, planNode } from '../../bgpd/plan.js';

const dir = join(__dirname, 'golden');

function render(file: string): string {
  const c = readYamlText(`${file}.in.yaml`, readFileSync(join(dir, `${file}.in.yaml`), 'utf8'));
  const snap = { resources: c.resources, secrets: c.secrets, problems: c.problems };
  const names = c.resources.filter((r) => r.kind === 'Node').map((r) => String(r.metadata.name));
  return names.map((n) => formatPlan(planNode(snap, n), { sessionsOnly: true })).join('\n');
}

describe('golden: manifests → sessions per node', () => {
  const cases = readdirSync(dir).filter((f) => f.endsWith('.in.yaml')).map((f) => f.slice(0, -'.in.yaml'.length)).sort();
  it('has cases', () => expect(cases.length).toBeGreaterThan(0));
  for (const name of cases) {
    it(`${name}.in.yaml`, () => {
      const got = render(name);
      const okFile = join(dir, `${name}.ok`);
      if (process.env.UPDATE_GOLDEN) writeFileSync(okFile, got);
      expect(existsSync(okFile), `${name}.ok is missing (run with UPDATE_GOLDEN=1 and review it)`).toBe(true);
      expect(got).toBe(readFileSync(okFile, 'utf8'));
    });
  }
});
