// The codec's properties, run by the vitest suite (test/wire/properties.test.ts) with a modest number
// of runs and by `npm run fuzz -- --iterations N` at scale:
//   1. decode(encode(m)) deep-equals m for every generated well-formed message;
//   2. random bytes behind a valid header, and mutations of valid messages, either decode or throw
//      a BgpWireError — never any other exception — and a decoded message shares no memory with input;
//   3. the Framer, fed random chunks of a valid stream with corruption, yields whole frames or a
//      BgpWireError;
//   4. mutations of real bird2/FRR/GoBGP/ExaBGP traffic (test/fixtures/wire) likewise;
//   5. packUpdates / packWithdrawals carry every prefix once, in order, with the same attributes,
//      in messages within the size limit.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  BgpWireError,
  decodeMessage,
  encodeMessage,
  Framer,
  packUpdates,
  packWithdrawals,
  prefixListToStrings,
  type CodecContext,
  type Message,
  type PathAttributes,
  type PrefixList,
  type UpdateMessage,
} from '../../bgpd/wire/index.js';
import { attributesArb, ctxArb, messageWithCtxArb, prefixListArb, toPlain } from './arbitraries.js';

export interface NamedProperty {
  name: string;
  /** Run the property; the details say whether it failed and with which counterexample. */
  check(params: { numRuns: number; seed?: number }): fc.RunDetails<unknown>;
}

function named<Ts extends [unknown, ...unknown[]]>(name: string, property: fc.IPropertyWithHooks<Ts>): NamedProperty {
  return { name, check: (params) => fc.check(property, params) as fc.RunDetails<unknown> };
}

/** Encode, or null when the message legitimately exceeds the frame limit. */
function encodeOrSkip(msg: Message, ctx: CodecContext): Buffer | null {
  try {
    return encodeMessage(msg, ctx);
  } catch (e) {
    if (e instanceof BgpWireError && e.code === 'encode-too-long') return null;
    throw e;
  }
}

/** Decode; only a BgpWireError may escape, and the result must not alias the input. */
function decodeSafely(b: Buffer, ctx: CodecContext): void {
  const copy = Buffer.from(b);
  let m: Message;
  try {
    m = decodeMessage(b, ctx, { attrKey: true });
  } catch (e) {
    if (e instanceof BgpWireError) return;
    throw new Error(`decoder threw a non-BgpWireError: ${String(e)}\ninput ${copy.toString('hex')}`);
  }
  // Wipe the input: a decoded message that aliased it would change.
  const again = decodeMessage(copy, ctx, { attrKey: true });
  b.fill(0xa5);
  if (!isDeepStrictEqual(m, again)) throw new Error(`decoded message aliases its input buffer: ${copy.toString('hex')}`);
}

function withHeader(type: number, body: Uint8Array): Buffer {
  const b = Buffer.alloc(19 + body.length, 0xff);
  b.writeUInt16BE(Math.min(0xffff, b.length), 16);
  b[18] = type;
  Buffer.from(body).copy(b, 19);
  return b;
}

/** One attribute with a correct header (flags, type, length) around random content. */
const randomAttr = fc
  .record({
    flags: fc.constantFrom(0x40, 0x80, 0xc0, 0xe0, 0x50, 0x90, 0xd0, 0x00, 0x20),
    // Mostly the types we decode, sometimes any.
    type: fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32), fc.integer({ min: 0, max: 255 })),
    value: fc.uint8Array({ maxLength: 300 }),
  })
  .map(({ flags, type, value }) => {
    const ext = (flags & 0x10) !== 0 || value.length > 255;
    const f = ext ? flags | 0x10 : flags;
    const hdr = ext ? Buffer.from([f, type, value.length >> 8, value.length & 255]) : Buffer.from([f, type, value.length]);
    return Buffer.concat([hdr, Buffer.from(value)]);
  });

const mutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('set', 'truncate', 'insert', 'flip'),
  value: fc.integer({ min: 0, max: 255 }),
  count: fc.integer({ min: 1, max: 4 }),
});

/** Apply mutations to the body and fix the header length, so the damage reaches the body decoders. */
function mutate(b: Buffer, muts: { at: number; kind: string; value: number; count: number }[]): Buffer {
  let x = Buffer.from(b);
  for (const m of muts) {
    const body = x.length - 19;
    const at = 19 + (body > 0 ? m.at % body : 0);
    if (m.kind === 'set' && body > 0) x[at] = m.value;
    else if (m.kind === 'flip' && body > 0) x[at] ^= 1 << (m.value & 7);
    else if (m.kind === 'truncate') x = x.subarray(0, Math.max(19, at));
    else if (m.kind === 'insert') x = Buffer.concat([x.subarray(0, at), Buffer.alloc(m.count, m.value), x.subarray(at)]);
  }
  if (x.length <= 0xffff) x.writeUInt16BE(x.length, 16);
  return x;
}

/**
 * Real captured messages with their contexts. Read from the source tree (test/fixtures/wire), which
 * is found both from test/fuzz and from its build output dist/test/fuzz.
 */
export function capturedMessages(): { ctx: CodecContext; bytes: Buffer }[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = [join(here, '..', 'fixtures', 'wire'), join(here, '..', '..', '..', 'test', 'fixtures', 'wire')].find(
    (d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json')),
  );
  if (!dir) return [];
  const out: { ctx: CodecContext; bytes: Buffer }[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const file = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { messages?: { hex: string; context: CodecContext }[] };
    for (const m of file.messages ?? []) out.push({ ctx: m.context, bytes: Buffer.from(m.hex, 'hex') });
  }
  return out;
}

/** Generated inputs of the packer: a context, attributes, prefixes of one family, a size limit. */
const packInput = ctxArb.chain((ctx) =>
  fc.constantFrom<1 | 2>(1, 2).chain((afi) =>
    fc.record({
      ctx: fc.constant(ctx),
      attrs: attributesArb(ctx).map(toPlain),
      prefixes: prefixListArb(afi, afi === 1 ? ctx.addPath.ipv4 : ctx.addPath.ipv6, 400),
      maxLen: fc.option(fc.integer({ min: 200, max: 65535 }), { nil: undefined }),
    }),
  ),
);

function packedProperty(input: { ctx: CodecContext; attrs: PathAttributes; prefixes: PrefixList; maxLen: number | undefined }): void {
  const { ctx, prefixes, maxLen } = input;
  // The packer announces with the attributes' MP_REACH for IPv6 (and RFC 8950 IPv4); give it one
  // of the right family, and no MP_UNREACH (the packer never sends it with announcements).
  const { mpUnreach: _u, ...attrs } = input.attrs;
  if (prefixes.afi === 2 && attrs.mpReach?.afi !== 2) attrs.mpReach = { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: prefixes };
  const limit = Math.min(maxLen ?? 65535, ctx.extendedMessage ? 65535 : 4096);
  let msgs: Buffer[];
  try {
    msgs = packUpdates(attrs, prefixes, ctx, maxLen);
  } catch (e) {
    if (e instanceof BgpWireError && e.code === 'encode-too-long') return; // attributes leave no room
    throw e;
  }
  const viaMp = attrs.mpReach !== undefined && attrs.mpReach.afi === prefixes.afi;
  const got: string[] = [];
  for (const b of msgs) {
    if (b.length > limit) throw new Error(`UPDATE of ${b.length} octets exceeds ${limit}`);
    const u = decodeMessage(b, ctx) as UpdateMessage;
    const { mpReach, ...rest } = u.attributes;
    const { mpReach: wantMp, ...wantRest } = attrs;
    if (!isDeepStrictEqual(rest, wantRest)) throw new Error(`attributes changed: ${inspect(rest)} vs ${inspect(wantRest)}`);
    if (viaMp && !isDeepStrictEqual(mpReach?.nextHops, wantMp?.nextHops)) throw new Error('MP_REACH next hops changed');
    got.push(...prefixListToStrings(viaMp ? mpReach!.nlri : u.nlri));
  }
  const want = prefixListToStrings(prefixes);
  if (!isDeepStrictEqual(got, want)) throw new Error(`prefixes differ: ${got.length} vs ${want.length}`);
  const withdrawn: string[] = [];
  for (const b of packWithdrawals(prefixes, ctx, maxLen)) {
    if (b.length > limit) throw new Error(`withdrawal of ${b.length} octets exceeds ${limit}`);
    const u = decodeMessage(b, ctx) as UpdateMessage;
    withdrawn.push(...prefixListToStrings(prefixes.afi === 1 ? u.withdrawn : u.attributes.mpUnreach!.nlri));
  }
  if (!isDeepStrictEqual(withdrawn, want)) throw new Error('withdrawn prefixes differ');
}

export function codecProperties(): NamedProperty[] {
  const captured = capturedMessages();
  return [
    named(
      'decode(encode(m)) deep-equals m for every message type',
      fc.property(messageWithCtxArb, ({ ctx, msg }) => {
        const b = encodeOrSkip(msg, ctx);
        if (!b) return true;
        const back = decodeMessage(b, ctx);
        if (!isDeepStrictEqual(back, msg)) {
          throw new Error(`round trip differs\n in:  ${inspect(msg)}\n out: ${inspect(back)}\n bytes ${b.toString('hex')}`);
        }
        // Encoding is deterministic: the decoded message encodes to the same bytes.
        return encodeMessage(back, ctx).equals(b);
      }),
    ),
    named(
      'random bodies behind a valid header only ever yield a BgpWireError',
      fc.property(ctxArb, fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 600 }), (ctx, type, body) => {
        decodeSafely(withHeader(type, body), ctx);
      }),
    ),
    named(
      'mutated valid messages only ever yield a BgpWireError',
      fc.property(messageWithCtxArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), ({ ctx, msg }, muts) => {
        const b = encodeOrSkip(msg, ctx);
        if (!b) return;
        decodeSafely(mutate(b, muts), ctx);
      }),
    ),
    named(
      'UPDATEs of well-framed random attributes only ever yield a BgpWireError',
      fc.property(ctxArb, fc.array(randomAttr, { maxLength: 8 }), fc.uint8Array({ maxLength: 40 }), (ctx, attrs, nlri) => {
        const a = Buffer.concat(attrs);
        const body = Buffer.concat([Buffer.from([0, 0, a.length >> 8, a.length & 255]), a, Buffer.from(nlri)]);
        if (body.length + 19 > 65535) return;
        decodeSafely(withHeader(2, body), ctx);
      }),
    ),
    named(
      'completely random bytes only ever yield a BgpWireError',
      fc.property(ctxArb, fc.uint8Array({ maxLength: 200 }), (ctx, raw) => {
        decodeSafely(Buffer.from(raw), ctx);
      }),
    ),
    named(
      'the Framer cuts corrupted streams into frames or a BgpWireError',
      fc.property(
        fc.array(messageWithCtxArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))),
        (items, cuts, corrupt) => {
          const frames = items.map(({ ctx, msg }) => encodeOrSkip(msg, { ...ctx, extendedMessage: false })).filter((b): b is Buffer => b !== null);
          const stream = Buffer.concat(frames);
          if (corrupt && stream.length) stream[corrupt[0] % stream.length] = corrupt[1];
          const points = [...new Set(cuts.map((c) => (stream.length ? c % stream.length : 0)))].sort((a, b) => a - b);
          const f = new Framer();
          const out: Buffer[] = [];
          let prev = 0;
          try {
            for (const p of [...points, stream.length]) {
              out.push(...f.push(stream.subarray(prev, p)));
              prev = p;
            }
          } catch (e) {
            if (e instanceof BgpWireError) return;
            throw e;
          }
          if (!corrupt && !isDeepStrictEqual(out, frames)) throw new Error('framer lost or changed frames');
        },
      ),
    ),
    named(
      `mutated real captures (${captured.length} messages) only ever yield a BgpWireError`,
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (pick, muts, flipCtx) => {
        if (captured.length === 0) return;
        const { ctx, bytes } = captured[pick % captured.length];
        // Decode also under the opposite AS width: a misnegotiated context must not crash either.
        decodeSafely(mutate(bytes, muts), flipCtx ? { ...ctx, as4: !ctx.as4 } : ctx);
      }),
    ),
    named(
      'packUpdates and packWithdrawals carry every prefix once, in order, within the size limit',
      fc.property(packInput, (input) => packedProperty(input)),
    ),
  ];
}

function inspect(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array || v instanceof Uint32Array ? Array.from(v) : v,
  );
}
