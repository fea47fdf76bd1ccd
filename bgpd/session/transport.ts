// TCP for BGP: outgoing connections with their socket options set before connect (MD5 key, TTL,
// GTSM minimum TTL, source address), and listeners that accept the peers' connections on a port with
// a per-peer MD5 key on the listening socket (RFC 2385 §2: a segment without the right signature is
// dropped before it reaches us, so the key must be known before the SYN arrives).
import net from 'node:net';
import { closeFd, familyOf, newTcpSocket, setMd5Key, setMinTtl, setTtl } from './sockopt.js';

export interface SocketOptions {
  /** TTL / hop limit of what we send; 255 with GTSM. */
  ttl?: number;
  /** GTSM (RFC 5082): accept only packets with TTL ≥ this (255 - hops). */
  minTtl?: number;
}

export interface ConnectOptions extends SocketOptions {
  peerAddress: string;
  peerPort: number;
  localAddress?: string;
  md5Key?: string;
  /**
   * Take the received bytes here instead of as 'data' events: the socket reads into one buffer it
   * reuses (Node's onread), so a table arriving makes no garbage read buffer per read. `chunk` is
   * valid only during the call.
   */
  onData?: (chunk: Buffer) => void;
}

/** Bytes read per socket read when reading into a reused buffer (Node's own read size). */
const READ_BUFFER = 65536;

/** The file descriptor behind a Node socket or server (Linux). */
export function fdOf(s: net.Socket | net.Server): number {
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no file descriptor');
  return fd;
}

/** TTL and GTSM on a connected (accepted) socket. */
export function applySocketOptions(socket: net.Socket, family: 4 | 6, o: SocketOptions): void {
  const fd = fdOf(socket);
  if (o.ttl !== undefined) setTtl(fd, family, o.ttl);
  if (o.minTtl !== undefined) setMinTtl(fd, family, o.minTtl);
}

/**
 * Start a TCP connection to a peer. The socket is created by us so the MD5 key, TTL and minimum TTL
 * are in place before the SYN; Node then owns it. Errors come as the socket's 'error' event.
 */
export function connectTcp(o: ConnectOptions): net.Socket {
  const family = familyOf(o.peerAddress);
  const fd = newTcpSocket(family);
  try {
    if (o.md5Key) setMd5Key(fd, o.peerAddress, o.md5Key);
    if (o.ttl !== undefined) setTtl(fd, family, o.ttl);
    if (o.minTtl !== undefined) setMinTtl(fd, family, o.minTtl);
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  const onData = o.onData;
  const socket = new net.Socket({
    fd,
    readable: true,
    writable: true,
    ...(onData
      ? {
          onread: {
            buffer: Buffer.allocUnsafe(READ_BUFFER),
            callback: (n: number, buf: Uint8Array) => {
              onData((buf as Buffer).subarray(0, n));
              return true;
            },
          },
        }
      : {}),
  });
  socket.setNoDelay(true);
  socket.connect({ host: o.peerAddress, port: o.peerPort, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
  return socket;
}

export interface ListenerOptions {
  port: number;
  /** Addresses to listen on; default both wildcards. `bindMode: NodeIP` gives the node's addresses. */
  addresses?: string[];
}

/** Accepts peers' connections on one port, on each address given; MD5 keys per peer address. */
export class Listener {
  readonly port: number;
  readonly #addresses: string[];
  #servers: { server: net.Server; family: 4 | 6 }[] = [];
  #keys = new Map<string, string>();
  #onConnection: (socket: net.Socket) => void = (s) => s.destroy();

  constructor(o: ListenerOptions) {
    this.port = o.port;
    this.#addresses = o.addresses ?? ['0.0.0.0', '::'];
  }

  onConnection(cb: (socket: net.Socket) => void): void {
    this.#onConnection = cb;
  }

  /** Listen on every address; an address family the host lacks is skipped, other errors reject. */
  async start(): Promise<void> {
    for (const address of this.#addresses) {
      const family = familyOf(address);
      const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (s) => this.#onConnection(s));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: address, port: this.port, ipv6Only: family === 6, exclusive: true }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (family === 6 && address === '::' && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) continue;
        await this.close();
        throw e;
      }
      server.on('error', () => {
        /* accept errors (EMFILE) are transient; the server keeps listening */
      });
      this.#servers.push({ server, family });
      for (const [peer, key] of this.#keys) if (familyOf(peer) === family) setMd5Key(fdOf(server), peer, key);
    }
  }

  /** Install (key) or remove (null) the MD5 key for one peer on the listening sockets of its family. */
  setKey(peer: string, key: string | null): void {
    if (key) this.#keys.set(peer, key);
    else this.#keys.delete(peer);
    const family = familyOf(peer);
    for (const s of this.#servers) if (s.family === family) setMd5Key(fdOf(s.server), peer, key);
  }

  get listening(): boolean {
    return this.#servers.length > 0;
  }

  /**
   * Stop listening. Connections already accepted belong to their sessions and are not waited for:
   * net.Server#close calls back only once every one has ended, so a session established on an
   * accepted connection would hold its own removal (the last BGPPeer deleted) forever.
   */
  async close(): Promise<void> {
    const servers = this.#servers;
    this.#servers = [];
    for (const s of servers) s.server.close();
    // The listening sockets are closed at once; their handles go on the next turn.
    await new Promise((r) => setImmediate(r));
  }
}
