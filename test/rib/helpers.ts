// What the RIB tests share: a seeded PRNG, a peer config with the usual defaults, and waiting for a
// RIB's decisions and sends to finish.
import { expect } from 'vitest';
import type { Rib, RibPeerConfig } from '../../bgpd/rib/index.js';

/** The AS the tests' RIBs run. */
export const US = 65000;

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
export function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An eBGP peer of AS 65001 named (and addressed) `name`, next hop Auto, no filters. */
export const peerCfg = (name: string, o: Partial<RibPeerConfig> = {}): RibPeerConfig => ({
  name,
  peerAddress: o.peerAddress ?? name,
  localAs: US,
  peerAs: 65001,
  family: 4,
  rrClient: false,
  nextHop: 'auto',
  numAllowedLocalAS: 0,
  filters: [],
  maxPrefixes: 1_000_000,
  ...o,
});

/** Wait until the RIB has decided everything and sent what it had to. */
export const idle = async (rib: Rib): Promise<void> => {
  for (let i = 0; i < 10_000 && !rib.idle; i++) await new Promise((r) => setImmediate(r));
  expect(rib.idle).toBe(true);
};
