// What the feeder (speaker.ts) and the reflector benchmark's clients (receiver.ts) both build by hand:
// the BGP marker, KEEPALIVE, a minimal OPEN (IPv4 unicast, 4-octet AS), IPv4 text to a number, and
// their command-line options. Imports nothing but Node, like the two programs that run in namespaces.
export const MARKER = Buffer.alloc(16, 0xff);
export const KEEPALIVE = Buffer.concat([MARKER, Buffer.from([0, 19, 4])]);

export function ipv4(text: string): number {
  const p = text.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !(x >= 0 && x <= 255))) throw new Error(`not an IPv4 address: ${text}`);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

export function openMessage(localAs: number, routerId: number, holdTime: number): Buffer {
  const caps = Buffer.from([
    2, 6, 1, 4, 0, 1, 0, 1, // multiprotocol IPv4 unicast (RFC 4760)
    2, 6, 65, 4, 0, 0, 0, 0, // 4-octet AS (RFC 6793), filled below
  ]);
  caps.writeUInt32BE(localAs, 12);
  const len = 29 + caps.length;
  const b = Buffer.alloc(len);
  MARKER.copy(b, 0);
  b.writeUInt16BE(len, 16);
  b[18] = 1;
  b[19] = 4;
  b.writeUInt16BE(localAs > 0xffff ? 23456 : localAs, 20);
  b.writeUInt16BE(holdTime, 22);
  b.writeUInt32BE(routerId, 24);
  b[28] = caps.length;
  caps.copy(b, 29);
  return b;
}

/** `--name value` from the program's command line, or the fallback; required when there is none. */
export function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}
