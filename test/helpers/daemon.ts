// How the built daemon is started, exactly as it ships: node with the flags on the first line of
// dist/bgpd/main.js. That `#!/usr/bin/env -S node FLAGS` line, written at the top of bgpd/main.ts, is
// the one place the daemon's node flags are set (the `bgpd` binary runs through it, and calico-node's
// service script docs/deploy/bird.run reads it too), so what the benchmarks and the lab measure is what
// is installed. Extra flags (BENCH_NODE_OPTIONS) come after the shipped ones: the last of a flag wins.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const SHEBANG = /^#!\/usr\/bin\/env -S node((?: +-[^\s]+)*) *$/;

/** The node flags of a daemon script's first line; throws when that line is not `#!/usr/bin/env -S node …`. */
export function launchFlags(script: string): string[] {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0];
  const m = SHEBANG.exec(first);
  if (!m) throw new Error(`${script}: the first line must be "#!/usr/bin/env -S node [FLAGS]" (the daemon's launch flags), not ${JSON.stringify(first)}`);
  return m[1].split(' ').filter(Boolean);
}

/** The built daemon under a repository root. */
export function daemonScript(root: string): string {
  return join(root, 'dist', 'bgpd', 'main.js');
}

/**
 * Command and arguments that start the built daemon as installed: this node (`process.execPath`),
 * the shipped flags, `extraNodeFlags`, the script, then the daemon's own arguments.
 */
export function daemonCommand(root: string, args: string[], extraNodeFlags: string[] = []): { command: string; args: string[] } {
  const script = daemonScript(root);
  return { command: process.execPath, args: [...launchFlags(script), ...extraNodeFlags, script, ...args] };
}
