// Field validators for Calico resources: IP addresses, CIDRs, AS numbers, ports, durations,
// BGP communities and names. Each returns the normalised value or throws a FieldError whose
// message names the field and says what was wrong; callers collect these into problems.
// Nothing here knows which resource a field belongs to.
import ipaddr from 'ipaddr.js';

/** A field failed validation; `path` is the dotted field path (spec.peerIP). */
export class FieldError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'FieldError';
  }
}

export type Family = 4 | 6;

export interface Cidr {
  /** Canonical text: network address for pools ("10.0.0.0/24"), as written otherwise. */
  cidr: string;
  address: string;
  prefixLength: number;
  family: Family;
}

function fail(path: string, reason: string): never {
  throw new FieldError(path, reason);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return Array.isArray(v) ? 'a list' : 'a map';
  return `${typeof v} ${String(v)}`;
}

/** Canonical IP text (IPv6 in RFC 5952 form), or undefined when not an address. */
export function normalizeIP(text: string): { address: string; family: Family } | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return { address: ipaddr.IPv4.parse(text).toString(), family: 4 };
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) {
    const a = ipaddr.IPv6.parse(text);
    if (a.zoneId) return undefined;
    return { address: a.toRFC5952String(), family: 6 };
  }
  return undefined;
}

export function ip(path: string, v: unknown): { address: string; family: Family } {
  if (typeof v !== 'string') fail(path, `expected an IP address, got ${describe(v)}`);
  const r = normalizeIP(v.trim());
  if (!r) fail(path, `${JSON.stringify(v)} is not a valid IPv4 or IPv6 address`);
  return r;
}

/**
 * A CIDR. With `network: true` the address is masked to its network (IPPool, block CIDRs);
 * without it the host address is kept (a Node's "10.0.0.1/24" names both address and subnet).
 * A bare address is accepted only with `allowBare` and becomes a host prefix.
 */
export function cidr(path: string, v: unknown, opts: { network?: boolean; allowBare?: boolean } = {}): Cidr {
  if (typeof v !== 'string') fail(path, `expected a CIDR, got ${describe(v)}`);
  const text = v.trim();
  const slash = text.indexOf('/');
  if (slash < 0) {
    if (!opts.allowBare) fail(path, `${JSON.stringify(v)} is not a CIDR (missing /prefix-length)`);
    const a = ip(path, text);
    const len = a.family === 4 ? 32 : 128;
    return { cidr: `${a.address}/${len}`, address: a.address, prefixLength: len, family: a.family };
  }
  const a = normalizeIP(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!a) fail(path, `${JSON.stringify(v)} is not a valid CIDR (bad address)`);
  const max = a.family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) {
    fail(path, `${JSON.stringify(v)} is not a valid CIDR (prefix length must be 0-${max})`);
  }
  const len = Number(lenText);
  let address = a.address;
  if (opts.network) {
    const net = a.family === 4 ? ipaddr.IPv4.networkAddressFromCIDR(`${address}/${len}`) : ipaddr.IPv6.networkAddressFromCIDR(`${address}/${len}`);
    address = net.kind() === 'ipv6' ? (net as ipaddr.IPv6).toRFC5952String() : net.toString();
  }
  return { cidr: `${address}/${len}`, address, prefixLength: len, family: a.family };
}

/** Does `addr` lie inside `net`? Both already validated; families must match. */
export function cidrContains(net: Cidr, addr: string): boolean {
  const a = ipaddr.parse(addr);
  const n = ipaddr.parse(net.address);
  if (a.kind() !== n.kind()) return false;
  return a.match(n, net.prefixLength);
}

const MAX_ASN = 4294967295;

/**
 * An AS number: an integer 1..4294967295, the same as a decimal string, or asdot "65000.100"
 * (RFC 5396: high.low, each 0..65535). AS 0 is refused (RFC 7607: reserved, never in an OPEN).
 */
export function asNumber(path: string, v: unknown): number {
  let n: number;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) fail(path, `AS number must be an integer, got ${v}`);
    n = v;
  } else if (typeof v === 'string') {
    const t = v.trim();
    const dot = /^(\d{1,5})\.(\d{1,5})$/.exec(t);
    if (dot) {
      const hi = Number(dot[1]);
      const lo = Number(dot[2]);
      if (hi > 65535 || lo > 65535) fail(path, `asdot AS number ${JSON.stringify(v)} has a part above 65535`);
      n = hi * 65536 + lo;
    } else if (/^\d{1,10}$/.test(t)) {
      n = Number(t);
    } else {
      fail(path, `${JSON.stringify(v)} is not an AS number (use 64512 or asdot 65000.100)`);
    }
  } else {
    fail(path, `expected an AS number, got ${describe(v)}`);
  }
  if (n < 1 || n > MAX_ASN) fail(path, `AS number ${n} is out of range 1-${MAX_ASN}`);
  return n;
}

export function port(path: string, v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
    fail(path, `port must be an integer 1-65535, got ${describe(v)}`);
  }
  return n;
}

export function integer(path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(path, `expected an integer ${min}-${max}, got ${describe(v)}`);
  }
  return v;
}

// calicoctl reads YAML 1.1, where these plain words are booleans; YAML 1.2 (our parser) leaves
// them strings, so a manifest that works with calicoctl would fail here without this.
const YAML11_TRUE = ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'];
const YAML11_FALSE = ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'];

export function bool(path: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && YAML11_TRUE.includes(v)) return true;
  if (typeof v === 'string' && YAML11_FALSE.includes(v)) return false;
  fail(path, `expected true or false, got ${describe(v)}`);
}

export function str(path: string, v: unknown): string {
  if (typeof v !== 'string') fail(path, `expected a string, got ${describe(v)}`);
  return v;
}

export function oneOf<T extends string>(path: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(path, `must be one of ${allowed.join('|')}, got ${describe(v)}`);
  }
  return v as T;
}

export function list(path: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) fail(path, `expected a list, got ${describe(v)}`);
  return v;
}

export function map(path: string, v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(path, `expected a map, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** A Go duration as Kubernetes metav1.Duration writes it ("120s", "2m", "1h30m", "500ms"); seconds. */
export function duration(path: string, v: unknown): number {
  if (typeof v !== 'string') fail(path, `expected a duration like "120s" or "2m", got ${describe(v)}`);
  const t = v.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < t.length) {
    re.lastIndex = pos;
    const m = re.exec(t);
    if (!m) fail(path, `${JSON.stringify(v)} is not a duration (use forms like "120s", "2m", "1h30m")`);
    total += Number(m[1]) * UNIT_SECONDS[m[2]];
    pos = re.lastIndex;
  }
  if (pos === 0) fail(path, `${JSON.stringify(v)} is not a duration`);
  return total;
}

/**
 * BGPPeer.peerIP: "ip", "ipv4:port" or "[ipv6]:port". A bare IPv6 address has no port: its
 * colons are the address's own.
 */
export function peerIP(path: string, v: unknown): { address: string; family: Family; port?: number } {
  if (typeof v !== 'string') fail(path, `expected "ip", "ip:port" or "[ipv6]:port", got ${describe(v)}`);
  const t = v.trim();
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    const a = ip(path, bracket[1]);
    if (a.family !== 6) fail(path, `brackets are only for IPv6 addresses: ${JSON.stringify(v)}`);
    return bracket[2] === undefined ? a : { ...a, port: port(path, bracket[2]) };
  }
  const v4port = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(t);
  if (v4port) return { ...ip(path, v4port[1]), port: port(path, v4port[2]) };
  const a = normalizeIP(t);
  if (!a) fail(path, `${JSON.stringify(v)} is not "ip", "ipv4:port" or "[ipv6]:port"`);
  return a;
}

/** A BGP community "aa:nn" (standard, 16-bit parts) or "aa:nn:mm" (large, RFC 8092, 32-bit). */
export function community(path: string, v: unknown): string {
  if (typeof v !== 'string') fail(path, `expected a community "aa:nn" or "aa:nn:mm", got ${describe(v)}`);
  const parts = v.split(':');
  if ((parts.length !== 2 && parts.length !== 3) || !parts.every((p) => /^\d{1,10}$/.test(p))) {
    fail(path, `${JSON.stringify(v)} is not a community "aa:nn" or "aa:nn:mm"`);
  }
  const max = parts.length === 2 ? 65535 : MAX_ASN;
  if (parts.some((p) => Number(p) > max)) fail(path, `${JSON.stringify(v)} has a part above ${max}`);
  return parts.map(Number).join(':');
}

/** A resource or label-style name: DNS-1123 subdomain as Kubernetes and calicoctl require. */
export function resourceName(path: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) fail(path, `a name is required`);
  if (v.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v)) {
    fail(path, `${JSON.stringify(v)} is not a valid name (lower-case letters, digits, '-' and '.')`);
  }
  return v;
}

/** An IPv4 router id / route reflector cluster id in dotted-quad form. */
export function ipv4Id(path: string, v: unknown): string {
  if (typeof v !== 'string' || !ipaddr.IPv4.isValidFourPartDecimal(v.trim())) {
    fail(path, `expected an IPv4 dotted quad like 244.0.0.1, got ${describe(v)}`);
  }
  return ipaddr.IPv4.parse(v.trim()).toString();
}

/** A MAC address as Calico writes it (aa:bb:cc:dd:ee:ff). */
export function mac(path: string, v: unknown): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(v.trim())) {
    fail(path, `expected a MAC address like 66:aa:bb:cc:dd:ee, got ${describe(v)}`);
  }
  return v.trim().toLowerCase();
}
