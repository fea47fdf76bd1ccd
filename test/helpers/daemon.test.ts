// The daemon's launch flags: its first line is the one place they are set, they are flags this node
// accepts, and the launchers (benchmarks, lab) start it with exactly them. And what it loads as
// started: an idle --no-fib daemon never loads prom-client or netlink (each costs megabytes resident).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { daemonCommand, launchFlags } from './daemon.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE = join(ROOT, 'bgpd', 'main.ts');

describe('launch flags', () => {
  it('are on the first line of bgpd/main.ts, and this node accepts them', () => {
    const flags = launchFlags(SOURCE);
    expect(flags).toContain('--max-semi-space-size=2');
    // A flag node does not know would stop the installed daemon before its first line of JavaScript.
    expect(execFileSync(process.execPath, [...flags, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' })).toBe('ok');
  });

  it.skipIf(!existsSync(join(ROOT, 'dist', 'bgpd', 'main.js')))('are kept by the build, so the built daemon ships with them', () => {
    expect(launchFlags(join(ROOT, 'dist', 'bgpd', 'main.js'))).toEqual(launchFlags(SOURCE));
  });

  it('read a shebang of flags, none, and refuse any other first line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgpd-flags-'));
    try {
      const script = (first: string): string => {
        const p = join(dir, 'main.js');
        writeFileSync(p, `${first}\nconsole.log(1);\n`);
        return p;
      };
      expect(launchFlags(script('#!/usr/bin/env -S node --max-semi-space-size=2 --v8-pool-size=1'))).toEqual(['--max-semi-space-size=2', '--v8-pool-size=1']);
      expect(launchFlags(script('#!/usr/bin/env -S node'))).toEqual([]);
      expect(() => launchFlags(script('#!/usr/bin/env node --max-semi-space-size=2'))).toThrow(/first line must be/);
      expect(() => launchFlags(script('// no shebang'))).toThrow(/first line must be/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('come before the launcher\'s own flags and the script, so a benchmark can override them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgpd-flags-'));
    try {
      const main = join(dir, 'dist', 'bgpd', 'main.js');
      mkdirSync(dirname(main), { recursive: true });
      writeFileSync(main, '#!/usr/bin/env -S node --max-semi-space-size=2\n');
      expect(daemonCommand(dir, ['--no-fib'], ['--cpu-prof'])).toEqual({ command: process.execPath, args: ['--max-semi-space-size=2', '--cpu-prof', main, '--no-fib'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Start the built daemon as installed, with a preload that writes the CommonJS modules it has loaded
 * (every npm package it uses is CommonJS) on SIGUSR2, once it logged that it runs; the packages' names.
 */
async function packagesLoaded(dir: string, args: string[]): Promise<string[]> {
  const probe = join(dir, 'probe.cjs');
  const out = join(dir, 'loaded.json');
  writeFileSync(probe, `process.on('SIGUSR2', () => require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`);
  writeFileSync(join(dir, 'c.yaml'), 'apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n  name: default\nspec:\n  nodeToNodeMeshEnabled: false\n  asNumber: 64512\n---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: dut\nspec:\n  bgp:\n    ipv4Address: 127.0.0.2/24\n');
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const cmd = daemonCommand(ROOT, ['--config', join(dir, 'c.yaml'), '--node', 'dut', '--socket', join(dir, 'ctl'), '--port', port, '--no-process-title', ...args], ['--require', probe]);
  const child = spawn(cmd.command, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let log = '';
    await new Promise<void>((resolveRun, reject) => {
      const onData = (d: Buffer): void => {
        log += d.toString();
        if (log.includes('"msg":"bgpd running"')) resolveRun();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`daemon exited (${code}): ${log}`)));
    });
    child.kill('SIGUSR2');
    for (let i = 0; i < 100 && !existsSync(out); i++) await new Promise((r) => setTimeout(r, 20));
    const files = JSON.parse(readFileSync(out, 'utf8')) as string[];
    return [...new Set(files.map((f) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]).filter((p): p is string => !!p))].sort();
  } finally {
    child.kill('SIGKILL');
  }
}

describe.skipIf(!existsSync(join(ROOT, 'dist', 'bgpd', 'main.js')))('what the built daemon loads', () => {
  it('idle with --no-fib: neither prom-client (only for --metrics) nor netlink (only for the kernel)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgpd-load-'));
    try {
      const loaded = await packagesLoaded(dir, ['--no-fib']);
      expect(loaded).toContain('pino');
      expect(loaded).toContain('yaml');
      expect(loaded).not.toContain('prom-client');
      expect(loaded).not.toContain('netlink');
      expect(loaded).not.toContain('@kubernetes/client-node');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with --metrics: prom-client, still no netlink', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgpd-load-'));
    try {
      const loaded = await packagesLoaded(dir, ['--no-fib', '--metrics', '127.0.0.1:0']);
      expect(loaded).toContain('prom-client');
      expect(loaded).not.toContain('netlink');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
