// Helpers for fib/ tests: open a Fib inside a namespace, read the kernel's view with `ip -j`.
import { enterNetns } from '../session/harness.js';
import { nsExec } from '../helpers/netns.js';
import { Fib, type FibOptions, type RouteIntent } from '../../fib/index.js';

/** Open a Fib whose sockets live in namespace `ns` (the main thread enters it only to open them). */
export async function openFib(ns: string, opts: FibOptions = {}): Promise<Fib> {
  const leave = enterNetns(ns);
  try {
    // Fib.open creates both sockets synchronously before its first await.
    const p = Fib.open(opts);
    leave();
    return await p;
  } catch (err) {
    leave();
    throw err;
  }
}

export interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  type?: string;
  flags?: string[];
  nexthops?: { gateway: string; dev: string; flags?: string[] }[];
}

/** Routes in the main table as `ip -j route show` prints them (optionally one protocol). */
export function ipRoutes(ns: string, family: 4 | 6, proto?: string): IpRoute[] {
  const args = [`-${family}`, '-j', 'route', 'show', 'table', 'main', ...(proto ? ['proto', proto] : [])];
  const out = nsExec(ns, 'ip', args).trim();
  const list = (out ? JSON.parse(out) : []) as IpRoute[];
  // `ip route show proto X` leaves the protocol out of each row; put it back for assertions.
  return proto ? list.map((r) => ({ ...r, protocol: r.protocol ?? proto })) : list;
}

export function routeTo(ns: string, dst: string): IpRoute | undefined {
  const family = dst.includes(':') ? 6 : 4;
  return ipRoutes(ns, family).find((r) => r.dst === dst || `${r.dst}` === dst.replace(/\/(32|128)$/, ''));
}

export const via = (dst: string, ...hops: (string | { gateway: string; device?: string; onlink?: boolean })[]): RouteIntent => ({
  dst,
  type: 'unicast',
  nextHops: hops.map((h) => (typeof h === 'string' ? { gateway: h } : h)),
  neighbours: [],
  fdb: [],
});

export const blackhole = (dst: string): RouteIntent => ({ dst, type: 'blackhole', nextHops: [], neighbours: [], fdb: [] });
