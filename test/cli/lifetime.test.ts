// The daemon stays up until it is told to stop, even with nothing holding its event loop: no peer
// configured and its control socket taken by another process. SIGTERM then ends it with status 0.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { daemonCommand } from '../helpers/daemon.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe.skipIf(!existsSync(join(ROOT, 'dist', 'bgpd', 'main.js')))('daemon lifetime', () => {
  it('runs with no peer and its control socket taken, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgpd-life-'));
    const ctl = join(dir, 'ctl');
    // Another process holds the control socket: the daemon logs it and keeps routing without it.
    const holder: Server = createServer((c) => c.end());
    await new Promise<void>((r) => holder.listen(ctl, r));
    writeFileSync(join(dir, 'c.yaml'), 'apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n  name: default\nspec:\n  nodeToNodeMeshEnabled: false\n  asNumber: 64512\n---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: dut\nspec:\n  bgp:\n    ipv4Address: 127.0.0.2/24\n');
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const cmd = daemonCommand(ROOT, ['--config', join(dir, 'c.yaml'), '--node', 'dut', '--socket', ctl, '--port', port, '--no-fib', '--no-process-title']);
    const child = spawn(cmd.command, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      for (let i = 0; i < 200 && !log.includes('"msg":"bgpd running"'); i++) await new Promise((r) => setTimeout(r, 25));
      expect(log).toContain('control socket unavailable');
      expect(log).toContain('"msg":"bgpd running"');
      // Well past start-up: still running.
      await new Promise((r) => setTimeout(r, 1500));
      expect(child.exitCode).toBeNull();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      holder.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
