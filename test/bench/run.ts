// `npm run bench`: runs every benchmark part (test/bench/*.bench.ts, built to dist/) in turn.
// A part exports `default async function (args: string[]): Promise<void>` and prints its own figures,
// side by side with BIRD/FRR/GoBGP where it measures them. `npm run bench -- codec fib` runs only those.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const parts = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .map((f) => f.slice(0, -'.bench.js'.length))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

if (parts.length === 0) {
  console.log(wanted.length ? `no benchmark part named ${wanted.join(', ')}` : 'no benchmark parts built');
  process.exit(wanted.length ? 1 : 0);
}
for (const name of parts) {
  console.log(`\n=== ${name} ===`);
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.js`)).href)) as {
    default: (args: string[]) => Promise<void>;
  };
  await mod.default(process.argv.slice(2));
}
