// `bgpd plan` through the built binary: the dry run is reachable from the command line, prints the
// sessions of the named node, and fails with a usage error when the node is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..', '..');
const bin = join(root, 'dist', 'bgpd', 'main.js');
const golden = join(root, 'test', 'config', 'golden', '1.in.yaml');

describe.skipIf(!existsSync(bin))('bgpd plan (built binary; run `npm run build` first)', () => {
  it('prints the sessions of the node without starting anything', () => {
    const r = spawnSync(process.execPath, [bin, 'plan', '--config', golden, '--node', 'node1'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^node node1$/m);
    expect(r.stdout).toMatch(/Mesh_10_0_0_2\s+mesh\s+peer 10\.0\.0\.2:179/);
    expect(r.stdout).toMatch(/Global_10_0_0_254_port_1790/);
  });

  it('answers a missing --node with a usage error, not a crash', () => {
    const r = spawnSync(process.execPath, [bin, 'plan', '--config', golden], {
      encoding: 'utf8',
      env: { ...process.env, NODENAME: 'no-such-node' },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).not.toMatch(/TypeError|RangeError|at .*\.js:\d+/);
  });
});
