// FIB benchmark (issue 5 acceptance 5): install then withdraw 100,000 routes in a fresh network
// namespace (a veth pair, no dummy devices), once with Fib and once with `ip -batch` doing the same
// routes in the same run; prints routes/s for each and our ratio. Target: ≥ 0.9× ip -batch.
// `npm run bench -- fib --routes N` changes the count.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { enterNetns } from '../session/harness.js';
import { Fib, type RouteIntent } from '../../fib/index.js';

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function prefixes(n: number): string[] {
  const out: string[] = [];
  // 20.0.0.0/24 upwards: n consecutive /24s.
  for (let i = 0; i < n; i++) {
    const a = 0x14000000 + i * 256;
    out.push(`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.0/24`);
  }
  return out;
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const fmt = (n: number) => n.toLocaleString('en-US');

function countOurs(ns: string): number {
  return Number(sh('sh', ['-c', `ip -n ${ns} route show proto bird | wc -l`]).trim());
}

export default async function main(args: string[]): Promise<void> {
  const i = args.indexOf('--routes');
  const n = i >= 0 ? Number(args[i + 1]) : 100_000;
  const id = Math.random().toString(16).slice(2, 8);
  const ns = `fibbench-${id}`;
  const dir = mkdtempSync(join(tmpdir(), 'fibbench-'));
  try {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', ns, 'link', 'add', 'fb0', 'type', 'veth', 'peer', 'name', 'fb1']);
    sh('ip', ['-n', ns, 'addr', 'add', '10.0.0.1/24', 'dev', 'fb0']);
    sh('ip', ['-n', ns, 'link', 'set', 'fb0', 'up']);
    sh('ip', ['-n', ns, 'link', 'set', 'fb1', 'up']);
    const dsts = prefixes(n);
    const intents: RouteIntent[] = dsts.map((dst) => ({ dst, type: 'unicast', nextHops: [{ gateway: '10.0.0.2' }], neighbours: [], fdb: [] }));
    const addFile = join(dir, 'add');
    const delFile = join(dir, 'del');
    writeFileSync(addFile, dsts.map((d) => `route add ${d} via 10.0.0.2 proto bird\n`).join(''));
    writeFileSync(delFile, dsts.map((d) => `route del ${d} proto bird\n`).join(''));

    const results: { who: string; install: number; withdraw: number }[] = [];
    const runIp = () => {
      let t = performance.now();
      sh('ip', ['-n', ns, '-batch', addFile]);
      const install = performance.now() - t;
      if (countOurs(ns) !== n) throw new Error('ip -batch did not install every route');
      t = performance.now();
      sh('ip', ['-n', ns, '-batch', delFile]);
      const withdraw = performance.now() - t;
      if (countOurs(ns) !== 0) throw new Error('ip -batch did not withdraw every route');
      results.push({ who: 'ip -batch', install, withdraw });
    };
    const runFib = async () => {
      const leave = enterNetns(ns);
      const opening = Fib.open();
      leave();
      const fib = await opening;
      try {
        await fib.reconcile();
        let t = performance.now();
        for (let k = 0; k < n; k++) fib.setRoute(dsts[k], intents[k]);
        await fib.settled();
        const install = performance.now() - t;
        if (countOurs(ns) !== n || fib.status().errors) throw new Error(`Fib did not install every route: ${JSON.stringify(fib.status())}`);
        t = performance.now();
        for (let k = 0; k < n; k++) fib.setRoute(dsts[k], null);
        await fib.settled();
        const withdraw = performance.now() - t;
        if (countOurs(ns) !== 0) throw new Error('Fib did not withdraw every route');
        results.push({ who: 'Fib', install, withdraw });
      } finally {
        fib.close();
      }
    };
    // Alternate, twice each, so neither side always runs on a warmer kernel.
    runIp();
    await runFib();
    runIp();
    await runFib();

    const best = (who: string, k: 'install' | 'withdraw') => Math.min(...results.filter((r) => r.who === who).map((r) => r[k]));
    console.log(`${fmt(n)} routes via a veth gateway, best of 2 runs each`);
    for (const k of ['install', 'withdraw'] as const) {
      const ip = rate(n, best('ip -batch', k));
      const ours = rate(n, best('Fib', k));
      console.log(`  ${k.padEnd(8)}  Fib ${fmt(ours).padStart(9)} routes/s   ip -batch ${fmt(ip).padStart(9)} routes/s   ratio ${(ours / ip).toFixed(2)}×`);
    }
    const total = (who: string) => best(who, 'install') + best(who, 'withdraw');
    console.log(`  both      ratio ${(total('ip -batch') / total('Fib')).toFixed(2)}× (target ≥ 0.9×)`);
  } finally {
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
