// IP address text ⇄ numbers, the forms the codec uses: IPv4 as one host-order u32, IPv6 as four
// host-order u32 words (most significant first). Formatting follows RFC 5952 (lowercase, longest run
// of two or more zero groups compressed, first run on a tie) so equal addresses give equal strings.
// Parsers return null on bad text; callers decide whether that is an error.

export function ipv4ToString(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Dotted quad → u32, or null when the text is not exactly four decimal octets. */
export function parseIpv4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** Four u32 words starting at `off` → RFC 5952 text. */
export function ipv6ToString(w: ArrayLike<number>, off = 0): string {
  const g = new Array<number>(8);
  for (let i = 0; i < 4; i++) {
    const x = w[off + i] >>> 0;
    g[2 * i] = x >>> 16;
    g[2 * i + 1] = x & 0xffff;
  }
  // RFC 5952 §4.2.2/4.2.3: compress the longest run of at least two zero groups, the first on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

/** IPv6 text (with `::` and an optional trailing dotted quad) → four u32 words, or null. */
export function parseIpv6(s: string): Uint32Array | null {
  if (s.length === 0 || s.length > 45) return null;
  let text = s;
  let tailV4: number | null = null;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > lastColon) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === null) return null;
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const h of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(h)) return null;
      out.push(parseInt(h, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = parseGroups(text.slice(0, dbl));
    const tail = parseGroups(text.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(text);
    if (!all || all.length !== 8) return null;
    groups = all;
  }
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  if (tailV4 !== null) w[3] = tailV4;
  return w;
}

/** Write an IPv6 address given as text into 16 bytes at `off`; false when the text is not IPv6. */
export function writeIpv6(s: string, buf: Buffer, off: number): boolean {
  const w = parseIpv6(s);
  if (!w) return false;
  for (let i = 0; i < 4; i++) buf.writeUInt32BE(w[i], off + 4 * i);
  return true;
}

/** Read 16 bytes at `off` (caller has bounds-checked) as RFC 5952 text. */
export function readIpv6(buf: Buffer, off: number): string {
  const w = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const o = off + 4 * i;
    w[i] = ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
  }
  return ipv6ToString(w);
}

/** Read 4 bytes at `off` (caller has bounds-checked) as a host-order u32. */
export function readU32(buf: Buffer, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

export function readU16(buf: Buffer, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}
