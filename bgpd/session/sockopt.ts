// Socket options Node has no API for, set through libc's setsockopt (koffi FFI): TCP MD5 signatures
// (RFC 2385), the sending TTL / hop limit (eBGP multihop, GTSM) and the minimum accepted TTL (GTSM,
// RFC 5082). Also creates a bare TCP socket so these can be set BEFORE connect(): the MD5 key must
// be in place when the SYN goes out.
import { isIPv6, isIPv4 } from 'node:net';
import koffi from 'koffi';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_IP = 0;
const IPPROTO_TCP = 6;
const IPPROTO_IPV6 = 41;
const TCP_MD5SIG = 14;
const IP_TTL = 2;
const IP_MINTTL = 21;
const IPV6_UNICAST_HOPS = 16;
const IPV6_MINHOPCOUNT = 73;
/** struct tcp_md5sig: sockaddr_storage(128) flags(1) prefixlen(1) keylen(2) ifindex(4) key[80]. */
const MD5SIG_SIZE = 216;
export const TCP_MD5SIG_MAXKEYLEN = 80;

export class SockoptError extends Error {
  readonly code = 'SOCKOPT' as const;
  constructor(
    message: string,
    readonly errno: number,
  ) {
    super(message);
    this.name = 'SockoptError';
  }
}

interface Libc {
  socket: (domain: number, type: number, proto: number) => number;
  setsockopt: (fd: number, level: number, name: number, val: Buffer, len: number) => number;
  close: (fd: number) => number;
}

let libc: Libc | null = null;
function lib(): Libc {
  if (libc) return libc;
  const c = koffi.load('libc.so.6');
  libc = {
    socket: c.func('int socket(int, int, int)'),
    setsockopt: c.func('int setsockopt(int, int, int, const void *, uint32_t)'),
    close: c.func('int close(int)'),
  };
  return libc;
}

function check(rc: number, what: string): void {
  if (rc !== 0) {
    const errno = koffi.errno();
    throw new SockoptError(`${what} failed (errno ${errno})`, errno);
  }
}

export function familyOf(address: string): 4 | 6 {
  if (isIPv4(address)) return 4;
  if (isIPv6(address)) return 6;
  throw new SockoptError(`not an IP address: ${address}`, 22);
}

/** A new non-blocking TCP socket of the address's family, for options before connect. */
export function newTcpSocket(family: 4 | 6): number {
  const fd = lib().socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SockoptError(`socket() failed (errno ${koffi.errno()})`, koffi.errno());
  return fd;
}

export function closeFd(fd: number): void {
  lib().close(fd);
}

function sockaddr(address: string, into: Buffer): void {
  if (isIPv4(address)) {
    into.writeUInt16LE(AF_INET, 0);
    address.split('.').forEach((o, i) => into.writeUInt8(Number(o), 4 + i));
    return;
  }
  into.writeUInt16LE(AF_INET6, 0);
  ipv6Bytes(address).copy(into, 8); // sin6_family(2) port(2) flowinfo(4) addr(16)
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const parse = (s: string | undefined): number[] => (s ? s.split(':').flatMap((g) => (g.includes('.') ? v4Words(g) : [parseInt(g, 16)])) : []);
  const h = parse(head);
  const t = parse(tail);
  const words = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  const b = Buffer.alloc(16);
  words.forEach((w, i) => b.writeUInt16BE(w, i * 2));
  return b;
}

function v4Words(dotted: string): number[] {
  const o = dotted.split('.').map(Number);
  return [(o[0] << 8) | o[1], (o[2] << 8) | o[3]];
}

/**
 * Install (or with key null, remove) the RFC 2385 key for one peer address on a socket. On a
 * listening socket the key applies to connections accepted from that address.
 */
export function setMd5Key(fd: number, peerAddress: string, key: string | null): void {
  const k = Buffer.from(key ?? '', 'utf8');
  if (k.length > TCP_MD5SIG_MAXKEYLEN) throw new SockoptError(`TCP MD5 key longer than ${TCP_MD5SIG_MAXKEYLEN} bytes`, 22);
  const b = Buffer.alloc(MD5SIG_SIZE);
  sockaddr(peerAddress, b);
  b.writeUInt16LE(k.length, 130);
  k.copy(b, 136);
  const rc = lib().setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, b, MD5SIG_SIZE);
  // Removing a key that is not there (ENOENT) is already the wanted state.
  if (rc !== 0 && key === null && koffi.errno() === 2) return;
  check(rc, `TCP_MD5SIG for ${peerAddress}`);
}

function intOpt(fd: number, level: number, name: number, value: number, what: string): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  check(lib().setsockopt(fd, level, name, b, 4), what);
}

/** TTL (IPv4) or hop limit (IPv6) of packets we send: 1 for direct eBGP, more for multihop, 255 for GTSM. */
export function setTtl(fd: number, family: 4 | 6, ttl: number): void {
  if (family === 4) intOpt(fd, IPPROTO_IP, IP_TTL, ttl, 'IP_TTL');
  else intOpt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, 'IPV6_UNICAST_HOPS');
}

/** GTSM (RFC 5082): drop packets that arrive with a TTL below `min` (255 - hops). */
export function setMinTtl(fd: number, family: 4 | 6, min: number): void {
  if (family === 4) intOpt(fd, IPPROTO_IP, IP_MINTTL, min, 'IP_MINTTL');
  else intOpt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, min, 'IPV6_MINHOPCOUNT');
}
