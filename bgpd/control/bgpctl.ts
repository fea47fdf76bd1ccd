#!/usr/bin/env node
// bgpctl's entry point; the command itself lives in cli.ts.
import { runBgpctl } from './cli.js';

const code = await runBgpctl(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
});
process.exitCode = code;
