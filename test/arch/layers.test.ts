// Architecture guard: folder dependencies run one way (STYLE.md "The shape").
//   config → nothing of ours; peers → config; fib → nothing of ours; bgpd/wire → nothing outside wire;
//   bgpd → config, peers, fib (only bgpd/main.ts wires subsystems together).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..', '..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Relative imports of a file, resolved to project-relative paths. */
export function localImports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const re = /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  const out: string[] = [];
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const spec = m[1] ?? m[2];
    out.push(relative(root, resolve(dirname(file), spec)).split(sep).join('/'));
  }
  return out;
}

const rules: { from: string; mayImport: string[] }[] = [
  { from: 'config', mayImport: ['config'] },
  { from: 'peers', mayImport: ['peers', 'config'] },
  { from: 'fib', mayImport: ['fib'] },
  { from: 'bgpd/wire', mayImport: ['bgpd/wire'] },
];

describe('folder dependencies run one way', () => {
  for (const rule of rules) {
    it(`${rule.from}/ imports only ${rule.mayImport.join(', ')}`, () => {
      const bad: string[] = [];
      for (const f of tsFiles(join(root, rule.from))) {
        for (const target of localImports(f)) {
          if (target.startsWith('node_modules')) continue;
          if (!rule.mayImport.some((ok) => target === ok || target.startsWith(ok + '/'))) {
            bad.push(`${relative(root, f)} → ${target}`);
          }
        }
      }
      expect(bad).toEqual([]);
    });
  }

  it('the guard sees imports (it would catch a violation)', () => {
    const types = join(root, 'test', 'arch', 'layers.test.ts');
    expect(localImports(types)).toEqual([]);
    const probe = join(root, 'bgpd', 'wire', 'types.ts');
    expect(statSync(probe).isFile()).toBe(true);
  });
});
