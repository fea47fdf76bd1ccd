// Test plumbing: a control server on a socket in a fresh temporary directory, the real birdc/birdcl
// run against it, and a raw client of BIRD's protocol for byte-exact checks.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer, type ControlServerOptions } from '../../bgpd/control/server.js';

export interface Served {
  server: ControlServer;
  path: string;
  dir: string;
  stop(): Promise<void>;
}

export async function serve(opts: Omit<ControlServerOptions, 'path'>): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'bgpd-control-'));
  const path = join(dir, 'bird.ctl');
  const server = await ControlServer.start({ ...opts, path });
  return {
    server,
    path,
    dir,
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function run(cmd: string, args: string[], timeoutMs = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as unknown as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The real BIRD client (Debian bird2), one command, non-interactive. */
export function birdc(bin: 'birdc' | 'birdcl', socket: string, command: string, verbose = false) {
  return run(bin, [...(verbose ? ['-v'] : []), '-s', socket, ...command.split(' ')]);
}

/** A client of BIRD's protocol on one connection: send a line, get the reply up to its final line. */
export class RawClient {
  readonly sock: Socket;
  #buf = '';
  #waiters: (() => void)[] = [];
  closed = false;

  private constructor(sock: Socket) {
    this.sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.#buf += d;
      this.#wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this.#wake();
    });
    sock.on('error', () => {});
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  static async connect(path: string): Promise<RawClient> {
    const sock = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    return new RawClient(sock);
  }

  /** The next complete reply (through the first line whose code is followed by a space), or what is left at close. */
  async reply(): Promise<string> {
    for (;;) {
      const m = /(^|\n)\d{4} [^\n]*\n/.exec(this.#buf);
      if (m) {
        const end = m.index + m[0].length;
        const out = this.#buf.slice(0, end);
        this.#buf = this.#buf.slice(end);
        return out;
      }
      if (this.closed) {
        const out = this.#buf;
        this.#buf = '';
        return out;
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async command(line: string): Promise<string> {
    this.sock.write(`${line}\n`);
    return this.reply();
  }

  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  close(): void {
    this.sock.destroy();
  }
}
