// Route-reflector benchmark (`npm run bench -- rr [--n=1000000] [--clients=10] [--rr=bird2,frr,gobgp,ours]
// [--timeout=600]` seconds per reflector):
// an iBGP feeder client announces N IPv4 /24 in full 4096-byte UPDATEs sharing one attribute set; the
// reflector under test reflects them to its other clients, minimal receivers that only count prefixes.
// Prints, for each reflector side by side in one run, seconds from its session with the feeder
// reaching Established to the last client holding all N, its peak RSS, and our ratio to each.
import { measureReflect, type ReflectResult } from './feeder/reflect.js';
import { allReflectors } from './feeder/reflectors.js';
import { mb, options } from './options.js';

interface Args {
  n: number;
  clients: number;
  reflectors: string[];
  timeoutMs: number;
}

function parse(args: string[]): Args {
  const { val, num } = options(args);
  return {
    n: num('n', 1_000_000),
    clients: num('clients', 10),
    timeoutMs: num('timeout', 600) * 1000,
    reflectors: (val('rr') ?? allReflectors.map((r) => r.name).join(',')).split(','),
  };
}

function printTable(results: ReflectResult[], skipped: string[]): void {
  const ours = results.find((r) => r.rr === 'ours');
  console.log(`  ${'reflector'.padEnd(9)} ${'seconds'.padStart(8)} ${'first'.padStart(7)} ${'peak RSS'.padStart(9)}   ${ours ? 'ours/it: time   RSS' : ''}`);
  for (const r of results) {
    const ratio = ours && r !== ours
      ? `${(ours.seconds / r.seconds).toFixed(2).padStart(13)}× ${(ours.peakRssBytes! / r.peakRssBytes!).toFixed(2).padStart(5)}×`
      : '';
    console.log(`  ${r.rr.padEnd(9)} ${r.seconds.toFixed(3).padStart(8)} ${r.firstSeconds.toFixed(3).padStart(7)} ${mb(r.peakRssBytes).padStart(9)}   ${ratio}`);
  }
  for (const s of skipped) console.log(`  ${s}`);
  const f = results[0];
  if (f) {
    const feeder = Math.max(...results.map((r) => r.feederSeconds));
    console.log(`  (seconds: to the last client's full table; first: to the first client's. ${f.updates.toLocaleString('en')} UPDATEs, ${mb(f.bytes)} fed;`);
    console.log(`   the feeder handed all bytes to TCP within ${feeder.toFixed(3)} s of Established;`);
    console.log(`   the clients' own CPU over a run: ${results.map((r) => `${r.rr} ${r.clientsCpuSeconds.toFixed(2)} s`).join(', ')})`);
  }
}

export default async function rr(argv: string[]): Promise<void> {
  const args = parse(argv);
  console.log(`\nrr: ${args.n.toLocaleString('en')} IPv4 /24 in full 4096-byte UPDATEs from one client, reflected to ${args.clients} clients`);
  const results: ReflectResult[] = [];
  const skipped: string[] = [];
  for (const r of allReflectors.filter((x) => args.reflectors.includes(x.name))) {
    const why = r.unavailable();
    if (why) {
      skipped.push(`${r.name}: ${why}`);
      continue;
    }
    try {
      results.push(await measureReflect(r, args.n, args.clients, args.timeoutMs));
    } catch (err) {
      skipped.push(`${r.name}: failed: ${(err as Error).message}`);
    }
  }
  printTable(results, skipped);
}
