// Ingest benchmark (`npm run bench -- ingest [--n=1000000] [--n-unique=100000] [--dut=bird2,frr,gobgp,ours]
// [--scenario=packed,unique]`): how fast each daemon takes a table from one eBGP peer and how much
// memory it needs, side by side in one run. Scenarios: N IPv4 /24 in full 4096-byte UPDATEs sharing one
// attribute set, and N one prefix per UPDATE each with its own AS path and community. Prints each
// daemon's seconds from Established to all N held, its peak RSS, and our ratio to each.
import { allDuts } from './feeder/duts.js';
import { measureIngest, type IngestResult } from './feeder/measure.js';
import type { FeedMode } from './feeder/speaker.js';
import { mb, options } from './options.js';

interface Args {
  nPacked: number;
  nUnique: number;
  duts: string[];
  scenarios: FeedMode[];
}

function parse(args: string[]): Args {
  const { val, num } = options(args);
  const nPacked = num('n', 1_000_000);
  return {
    nPacked,
    // A quick run (--n small) shrinks both scenarios unless --n-unique says otherwise.
    nUnique: num('n-unique', Math.min(nPacked, 100_000)),
    duts: (val('dut') ?? allDuts.map((d) => d.name).join(',')).split(','),
    scenarios: (val('scenario') ?? 'packed,unique').split(',') as FeedMode[],
  };
}

function describe(mode: FeedMode, n: number): string {
  return mode === 'packed'
    ? `${n.toLocaleString('en')} IPv4 /24 in full 4096-byte UPDATEs sharing one attribute set`
    : `${n.toLocaleString('en')} IPv4 /24, one per UPDATE, each with its own AS path and community`;
}

function printTable(results: IngestResult[], skipped: string[]): void {
  const ours = results.find((r) => r.dut === 'ours');
  console.log(`  ${'daemon'.padEnd(8)} ${'seconds'.padStart(8)} ${'peak RSS'.padStart(9)}   ${ours ? 'ours/it: time   RSS' : ''}`);
  for (const r of results) {
    const ratio = ours && r !== ours
      ? `${(ours.seconds / r.seconds).toFixed(2).padStart(13)}× ${(ours.peakRssBytes! / r.peakRssBytes!).toFixed(2).padStart(5)}×`
      : '';
    console.log(`  ${r.dut.padEnd(8)} ${r.seconds.toFixed(3).padStart(8)} ${mb(r.peakRssBytes).padStart(9)}   ${ratio}`);
  }
  for (const s of skipped) console.log(`  ${s}`);
  for (const r of results.filter((x) => x.method === 'cpu-idle')) {
    console.log(`  (${r.dut}: end taken as its last busy moment before going idle, count checked then; asking it sooner slows it)`);
  }
  const f = results[0];
  if (f) {
    const feeder = Math.max(...results.map((r) => r.feederSeconds));
    console.log(`  (${f.updates.toLocaleString('en')} UPDATEs, ${mb(f.bytes)}; the feeder handed all bytes to TCP within ${feeder.toFixed(3)} s of Established)`);
  }
}

export default async function ingest(argv: string[]): Promise<void> {
  const args = parse(argv);
  const duts = allDuts.filter((d) => args.duts.includes(d.name));
  for (const mode of args.scenarios) {
    const n = mode === 'packed' ? args.nPacked : args.nUnique;
    console.log(`\ningest: ${describe(mode, n)}`);
    const results: IngestResult[] = [];
    const skipped: string[] = [];
    for (const dut of duts) {
      const why = dut.unavailable();
      if (why) {
        skipped.push(`${dut.name}: ${why}`);
        continue;
      }
      try {
        results.push(await measureIngest(dut, mode, n));
      } catch (err) {
        skipped.push(`${dut.name}: failed: ${(err as Error).message}`);
      }
    }
    printTable(results, skipped);
  }
}
