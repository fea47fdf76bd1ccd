// Codec benchmark: decode rate (prefixes/s) for 1M IPv4 /24 packed in full 4096-octet UPDATEs and
// for one prefix per UPDATE, and the encode rate of packUpdates. Decoding runs the real path a
// session takes: the Framer cuts 64 KiB socket-sized chunks, decodeMessage decodes each frame.
import { performance } from 'node:perf_hooks';
import {
  decodeMessage,
  encodeAttributesForPacking,
  Framer,
  packUpdates,
  PrefixListBuilder,
  type CodecContext,
  type PathAttributes,
  type PrefixList,
  type UpdateMessage,
} from '../../bgpd/wire/index.js';

const CTX: CodecContext = { as4: true, addPath: { ipv4: false, ipv6: false }, extendedMessage: false };
const ATTRS: PathAttributes = {
  origin: 0,
  asPath: [{ type: 2, asns: [65001, 65002, 4200000001] }],
  nextHop: '192.0.2.1',
  med: 0,
  communities: [65001 * 65536 + 100],
  largeCommunities: [[4200000001, 1, 2]],
};

function table(n: number): PrefixList {
  const b = new PrefixListBuilder(1, false, n);
  // 1.0.0.0/24 upwards: n consecutive /24s.
  for (let i = 0; i < n; i++) b.addV4((0x01000000 + i * 256) >>> 0, 24);
  return b.finish();
}

function rate(n: number, ms: number): string {
  return `${((n / ms) * 1000).toLocaleString('en-US', { maximumFractionDigits: 0 })}`;
}

function chunks(msgs: Buffer[], size: number): Buffer[] {
  const all = Buffer.concat(msgs);
  const out: Buffer[] = [];
  for (let o = 0; o < all.length; o += size) out.push(all.subarray(o, Math.min(all.length, o + size)));
  return out;
}

function table6(n: number): PrefixList {
  const b = new PrefixListBuilder(2, false, n);
  // 2001:db8::/48 upwards: n consecutive /48s.
  for (let i = 0; i < n; i++) b.addV6([0x20010db8, (i << 16) >>> 0, 0, 0], 48);
  return b.finish();
}

function decodeStream(stream: Buffer[], attrKey = false): { prefixes: number; ms: number } {
  const t0 = performance.now();
  const framer = new Framer();
  let prefixes = 0;
  for (const c of stream) {
    for (const f of framer.push(c)) {
      const u = decodeMessage(f, CTX, { attrKey }) as UpdateMessage;
      prefixes += u.nlri.count + (u.attributes.mpReach ? u.attributes.mpReach.nlri.count : 0);
    }
  }
  return { prefixes, ms: performance.now() - t0 };
}

function best<T extends { ms: number }>(runs: number, fn: () => T): T {
  let b: T | null = null;
  for (let i = 0; i < runs; i++) {
    const r = fn();
    if (!b || r.ms < b.ms) b = r;
  }
  return b!;
}

export default async function codecBench(args: string[]): Promise<void> {
  const nArg = args.find((a) => a.startsWith('--prefixes='));
  const n = nArg ? Number(nArg.slice('--prefixes='.length)) : 1_000_000;
  const list = table(n);

  const enc = best(3, () => {
    const t0 = performance.now();
    const msgs = packUpdates(ATTRS, list, CTX);
    return { msgs, ms: performance.now() - t0 };
  });
  console.log(`encode  packUpdates, ${n.toLocaleString('en-US')} IPv4 /24 → ${enc.msgs.length} UPDATEs of ≤4096 octets: ${rate(n, enc.ms)} prefixes/s`);

  const packed = chunks(enc.msgs, 65536);
  const dp = best(3, () => decodeStream(packed));
  if (dp.prefixes !== n) throw new Error(`decoded ${dp.prefixes} prefixes, expected ${n}`);
  console.log(`decode  packed (full 4096-octet UPDATEs): ${rate(n, dp.ms)} prefixes/s (${dp.ms.toFixed(0)} ms)`);

  const dk = best(3, () => decodeStream(packed, true));
  console.log(`decode  packed, with attrKey for interning: ${rate(n, dk.ms)} prefixes/s`);

  const v6 = table6(Math.min(n, 1 << 16));
  const attrs6: PathAttributes = { origin: 0, asPath: ATTRS.asPath, mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1', 'fe80::1'], nlri: v6 } };
  const packed6 = chunks(packUpdates(attrs6, v6, CTX), 65536);
  const d6 = best(3, () => decodeStream(packed6));
  if (d6.prefixes !== v6.count) throw new Error(`decoded ${d6.prefixes} IPv6 prefixes, expected ${v6.count}`);
  console.log(`decode  packed IPv6 /48 in MP_REACH_NLRI (${v6.count.toLocaleString('en-US')}): ${rate(v6.count, d6.ms)} prefixes/s`);

  const singles = best(1, () => {
    const t0 = performance.now();
    // One prefix per UPDATE: the limit leaves room for exactly one /24.
    const probe = packUpdates(ATTRS, table(1), CTX)[0].length;
    const msgs = packUpdates(ATTRS, list, CTX, probe);
    return { msgs, ms: performance.now() - t0 };
  });
  console.log(`encode  one prefix per UPDATE: ${rate(n, singles.ms)} prefixes/s`);
  const enc1 = encodeAttributesForPacking(ATTRS, CTX);
  const singlesPre = best(1, () => {
    const t0 = performance.now();
    const probe = packUpdates(enc1, table(1), CTX)[0].length;
    const msgs = packUpdates(enc1, list, CTX, probe);
    return { msgs, ms: performance.now() - t0 };
  });
  console.log(`encode  one prefix per UPDATE, attributes encoded once: ${rate(n, singlesPre.ms)} prefixes/s`);
  const singleStream = chunks(singles.msgs, 65536);
  const ds = best(2, () => decodeStream(singleStream));
  if (ds.prefixes !== n) throw new Error(`decoded ${ds.prefixes} prefixes, expected ${n}`);
  console.log(`decode  one prefix per UPDATE: ${rate(n, ds.ms)} prefixes/s (${ds.ms.toFixed(0)} ms)`);
}
