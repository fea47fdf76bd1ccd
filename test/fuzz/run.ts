// `npm run fuzz -- --iterations N [--seed S]`: runs the codec properties (test/fuzz/properties.ts)
// offline at scale and exits non-zero, printing the shrunk counterexample, when any fails.
import fc from 'fast-check';
import { codecProperties } from './properties.js';

function arg(name: string): string | undefined {
  const argv = process.argv.slice(2);
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
}

const iterations = Number(arg('iterations') ?? 10000);
const seedArg = arg('seed');
const seed = seedArg !== undefined ? Number(seedArg) : Date.now() ^ (Math.random() * 0x7fffffff);
if (!Number.isInteger(iterations) || iterations < 1 || !Number.isFinite(seed)) {
  console.error('usage: npm run fuzz -- --iterations N [--seed S]');
  process.exit(2);
}

let failed = 0;
console.log(`fuzzing the wire codec: ${iterations} runs per property, seed ${seed}`);
for (const { name, check } of codecProperties()) {
  const t0 = Date.now();
  const r = check({ numRuns: iterations, seed });
  if (r.failed) {
    failed++;
    console.log(`FAIL ${name}`);
    console.log(fc.defaultReportMessage(r) ?? '');
  } else {
    console.log(`ok   ${name} (${r.numRuns} runs, ${Date.now() - t0} ms)`);
  }
}
process.exit(failed ? 1 : 0);
