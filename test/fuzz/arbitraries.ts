// fast-check generators of well-formed BGP messages, shared by the property tests (test/wire) and
// the offline fuzzer (npm run fuzz). Each generator yields (ctx, message) pairs whose decode(encode)
// must give the message back, so they respect what the wire cannot carry: e.g. on a 2-octet AS
// session confederation segments lead the path and hold 2-octet numbers (RFC 6793 §3), and a
// non-AS_TRANS AGGREGATOR means AS4_PATH is ignored (§4.2.3), so the path then fits 2 octets.
import fc from 'fast-check';
import {
  ATTR,
  CAP,
  ipv4ToString,
  ipv6ToString,
  PrefixListBuilder,
  shutdownNotification,
  type Afi,
  type AsPathSegment,
  type Capability,
  type CodecContext,
  type Message,
  type MpReach,
  type MpUnreach,
  type PathAttributes,
  type PrefixList,
  type UnknownAttribute,
} from '../../bgpd/wire/index.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const byte = fc.integer({ min: 0, max: 255 });
const afi = fc.constantFrom<Afi>(1, 2);
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

export const ctxArb: fc.Arbitrary<CodecContext> = fc.record({
  as4: fc.boolean(),
  addPath: fc.record({ ipv4: fc.boolean(), ipv6: fc.boolean() }),
  extendedMessage: fc.boolean(),
});

const ipv4 = u32.map(ipv4ToString);
/** A unicast host address: the decoder withdraws routes whose NEXT_HOP is 0/8, 127/8 or 224/3. */
const hostIpv4 = fc.tuple(fc.integer({ min: 1, max: 223 }).filter((o) => o !== 127), fc.integer({ min: 0, max: 0xffffff })).map(([o, rest]) => ipv4ToString(((o << 24) | rest) >>> 0));
const ipv6 = fc.tuple(u32, u32, u32, u32).map((w) => ipv6ToString(w));

export function prefixListArb(family: Afi, addPath: boolean, maxCount = 20): fc.Arbitrary<PrefixList> {
  if (family === 1) {
    return fc.array(fc.tuple(u32, fc.integer({ min: 0, max: 32 }), u32), { maxLength: maxCount }).map((items) => {
      const b = new PrefixListBuilder(1, addPath, items.length);
      for (const [a, len, id] of items) b.addV4(a, len, id);
      return b.finish();
    });
  }
  return fc.array(fc.tuple(fc.tuple(u32, u32, u32, u32), fc.integer({ min: 0, max: 128 }), u32), { maxLength: maxCount }).map((items) => {
    const b = new PrefixListBuilder(2, addPath, items.length);
    for (const [w, len, id] of items) b.addV6(w, len, id);
    return b.finish();
  });
}

const addPathOf = (ctx: CodecContext, f: Afi): boolean => (f === 1 ? ctx.addPath.ipv4 : ctx.addPath.ipv6);

function asPathArb(ctx: CodecContext): fc.Arbitrary<AsPathSegment[]> {
  const seg = (types: (1 | 2 | 3 | 4)[], asn: fc.Arbitrary<number>) =>
    fc.record({ type: fc.constantFrom(...types), asns: fc.array(asn, { minLength: 1, maxLength: 12 }) });
  if (ctx.as4) return fc.array(seg([1, 2, 3, 4], u32), { maxLength: 5 });
  return fc
    .tuple(fc.array(seg([3, 4], u16), { maxLength: 2 }), fc.array(seg([1, 2], u32), { maxLength: 4 }))
    .map(([confed, rest]) => [...confed, ...rest]);
}

const KNOWN_ATTRS = new Set<number>(Object.values(ATTR));

const unknownAttrArb: fc.Arbitrary<UnknownAttribute[]> = fc
  .uniqueArray(
    fc.record({
      flags: fc.constant(0xe0),
      type: byte.filter((t) => !KNOWN_ATTRS.has(t)),
      value: bytes(300),
    }),
    { selector: (u) => u.type, minLength: 1, maxLength: 3 },
  )
  .map((us) => us.sort((a, b) => a.type - b.type));

function mpReachArb(ctx: CodecContext): fc.Arbitrary<MpReach> {
  return afi.chain((f) =>
    fc.record({
      afi: fc.constant(f),
      safi: fc.constantFrom(1, 2),
      nextHops: f === 1 ? fc.oneof(ipv4.map((a) => [a]), fc.array(ipv6, { minLength: 1, maxLength: 2 })) : fc.array(ipv6, { minLength: 1, maxLength: 2 }),
      nlri: prefixListArb(f, addPathOf(ctx, f)),
    }),
  );
}

function mpUnreachArb(ctx: CodecContext): fc.Arbitrary<MpUnreach> {
  return afi.chain((f) => fc.record({ afi: fc.constant(f), safi: fc.constantFrom(1, 2), nlri: prefixListArb(f, addPathOf(ctx, f)) }));
}

export function attributesArb(ctx: CodecContext): fc.Arbitrary<PathAttributes> {
  return fc
    .record(
      {
        origin: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
        asPath: asPathArb(ctx),
        nextHop: hostIpv4,
        med: u32,
        localPref: u32,
        atomicAggregate: fc.constant(true),
        aggregator: fc.record({ asn: u32, address: ipv4 }),
        communities: fc.array(u32, { minLength: 1, maxLength: 10 }),
        originatorId: u32,
        clusterList: fc.array(u32, { minLength: 1, maxLength: 5 }),
        mpReach: mpReachArb(ctx),
        mpUnreach: mpUnreachArb(ctx),
        extCommunities: fc.array(fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), { minLength: 1, maxLength: 5 }),
        largeCommunities: fc.array(fc.tuple(u32, u32, u32), { minLength: 1, maxLength: 5 }),
        unknown: unknownAttrArb,
      },
      { requiredKeys: [] },
    )
    .map((a) => {
      // RFC 6793 §4.2.3: an OLD speaker's aggregator (not AS_TRANS) makes AS4_PATH stale, so a path
      // with 4-octet numbers cannot travel with it: fold the path into 2 octets.
      const agg = a.aggregator;
      if (!ctx.as4 && agg && agg.asn <= 0xffff && agg.asn !== 23456 && a.asPath) {
        a.asPath = a.asPath.map((s) => ({ type: s.type, asns: s.asns.map((x) => x & 0xffff) }));
      }
      return a;
    });
}

export function updateArb(ctx: CodecContext): fc.Arbitrary<Message> {
  return fc
    .record({
      withdrawn: prefixListArb(1, ctx.addPath.ipv4),
      attributes: attributesArb(ctx),
      nlri: prefixListArb(1, ctx.addPath.ipv4),
      asPath: asPathArb(ctx),
      nextHop: hostIpv4,
    })
    .map(({ withdrawn, attributes, nlri, asPath, nextHop }) => {
      // RFC 7606 §3(d): NLRI needs the mandatory attributes, else the decoder rightly withdraws.
      const a = attributes;
      if (nlri.count > 0 || (a.mpReach && a.mpReach.nlri.count > 0)) {
        a.origin ??= 0;
        if (!a.asPath) a.asPath = a.aggregator && !ctx.as4 && a.aggregator.asn <= 0xffff && a.aggregator.asn !== 23456 ? [] : asPath;
        if (nlri.count > 0) a.nextHop ??= nextHop;
      }
      return { type: 'update' as const, withdrawn, attributes: a, nlri };
    });
}

export const capabilityArb: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ kind: fc.constant('multiprotocol' as const), afi, safi: byte }),
  fc.constant({ kind: 'route-refresh' as const }),
  fc.record({
    kind: fc.constant('extended-nexthop' as const),
    entries: fc.array(fc.record({ afi, safi: u16, nextHopAfi: afi }), { maxLength: 4 }),
  }),
  fc.constant({ kind: 'extended-message' as const }),
  fc.record({
    kind: fc.constant('graceful-restart' as const),
    restarting: fc.boolean(),
    notification: fc.boolean(),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(fc.record({ afi, safi: byte, forwarding: fc.boolean() }), { maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('as4' as const), asn: u32 }),
  fc.record({
    kind: fc.constant('add-path' as const),
    families: fc.array(fc.record({ afi, safi: byte, mode: fc.constantFrom('receive' as const, 'send' as const, 'both' as const) }), { maxLength: 4 }),
  }),
  fc.constant({ kind: 'enhanced-route-refresh' as const }),
  fc.record({
    kind: fc.constant('llgr' as const),
    families: fc.array(fc.record({ afi, safi: byte, forwarding: fc.boolean(), staleTime: fc.integer({ min: 0, max: 0xffffff }) }), { maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('fqdn' as const), hostname: fc.string({ maxLength: 60 }), domain: fc.string({ maxLength: 60 }) }),
  fc.record({
    kind: fc.constant('unknown' as const),
    code: byte.filter((c) => !(Object.values(CAP) as number[]).includes(c)),
    value: bytes(40),
  }),
);

export const openArb: fc.Arbitrary<Message> = fc
  .record(
    {
      myAs: u16,
      holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
      bgpId: fc.integer({ min: 1, max: 0xffffffff }),
      capabilities: fc.array(capabilityArb, { maxLength: 12 }),
      otherParams: fc.array(fc.record({ type: byte.filter((t) => t !== 2 && t !== 255), value: bytes(20) }), { minLength: 1, maxLength: 2 }),
    },
    { requiredKeys: ['myAs', 'holdTime', 'bgpId', 'capabilities'] },
  )
  .map((o) => ({ type: 'open' as const, version: 4, ...o }));

export const notificationArb: fc.Arbitrary<Message> = fc.oneof(
  fc
    .record({ code: byte, subcode: byte, data: bytes(64) })
    // Cease/2 and Cease/4 carry RFC 9003 text: those come from the builder below.
    .filter((n) => !(n.code === 6 && (n.subcode === 2 || n.subcode === 4)))
    .map((n) => ({ type: 'notification' as const, ...n })),
  fc.tuple(fc.constantFrom<2 | 4>(2, 4), fc.string({ minLength: 1, maxLength: 80, unit: 'grapheme' })).map(([s, t]) => shutdownNotification(s, t)),
);

export const routeRefreshArb: fc.Arbitrary<Message> = fc.record({
  type: fc.constant('route-refresh' as const),
  afi,
  safi: byte,
  subtype: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
});

/**
 * fast-check builds records without a prototype; the decoder builds ordinary objects. Rebuild
 * generated values as ordinary objects (leaving buffers and typed arrays alone) so deep equality
 * compares content only.
 */
export function toPlain<T>(x: T): T {
  if (Array.isArray(x)) return x.map(toPlain) as T;
  if (x === null || typeof x !== 'object' || ArrayBuffer.isView(x)) return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) out[k] = toPlain(v);
  return out as T;
}

/** Any well-formed message, with the context it is to be coded in. */
export const messageWithCtxArb: fc.Arbitrary<{ ctx: CodecContext; msg: Message }> = ctxArb.chain((ctx) =>
  fc.record({
    ctx: fc.constant(ctx),
    msg: fc.oneof(
      { weight: 5, arbitrary: updateArb(ctx) },
      { weight: 2, arbitrary: openArb },
      { weight: 1, arbitrary: notificationArb },
      { weight: 1, arbitrary: routeRefreshArb },
      { weight: 1, arbitrary: fc.constant({ type: 'keepalive' as const }) },
    ),
  }).map(toPlain),
);
