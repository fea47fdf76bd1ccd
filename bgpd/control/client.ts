// A client of BIRD's control protocol for bgpctl: connect, read the greeting, send a command and
// collect its reply up to the final line. Every read has a deadline (calicoctl allows BIRD 2 s per
// line), so a stuck daemon is reported rather than waited on forever.
import { createConnection, type Socket } from 'node:net';

export interface ReplyLines {
  /** All lines with their code; continuation lines carry the code of the line they continue. */
  lines: { code: number; text: string }[];
  final: { code: number; text: string };
  /** The reply as received, for parsers that read BIRD's raw form (calicoctl's). */
  raw: string;
}

export class BirdClient {
  readonly #sock: Socket;
  readonly #timeoutMs: number;
  #buf = '';
  #error: Error | null = null;
  #wake: (() => void) | null = null;

  private constructor(sock: Socket, timeoutMs: number) {
    this.#sock = sock;
    this.#timeoutMs = timeoutMs;
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.#buf += d;
      this.#notify();
    });
    sock.on('error', (err) => {
      this.#error = err;
      this.#notify();
    });
    sock.on('close', () => {
      this.#error ??= new Error('connection closed by the daemon');
      this.#notify();
    });
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  static async connect(path: string, timeoutMs = 2000): Promise<BirdClient> {
    const sock = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        sock.destroy();
        reject(new Error(`timed out connecting to ${path}`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
      sock.once('error', (err) => {
        clearTimeout(t);
        reject(err);
      });
    });
    const c = new BirdClient(sock, timeoutMs);
    const hello = await c.#reply();
    if (hello.final.code !== 1) {
      c.close();
      throw new Error(`unexpected greeting: ${hello.raw.trim()}`);
    }
    return c;
  }

  async command(line: string): Promise<ReplyLines> {
    this.#sock.write(`${line}\n`);
    return this.#reply();
  }

  close(): void {
    this.#sock.destroy();
  }

  async #reply(): Promise<ReplyLines> {
    const lines: { code: number; text: string }[] = [];
    let raw = '';
    let last = 0;
    for (;;) {
      const nl = this.#buf.indexOf('\n');
      if (nl < 0) {
        if (this.#error) throw this.#error;
        await this.#wait();
        continue;
      }
      const line = this.#buf.slice(0, nl);
      this.#buf = this.#buf.slice(nl + 1);
      raw += `${line}\n`;
      if (line.startsWith(' ')) {
        lines.push({ code: last, text: line.slice(1) });
        continue;
      }
      const m = /^(\d{4})([ -])(.*)$/.exec(line);
      if (!m) throw new Error(`malformed reply line: ${JSON.stringify(line)}`);
      last = Number(m[1]);
      const entry = { code: last, text: m[3] };
      if (m[2] === ' ') return { lines, final: entry, raw };
      lines.push(entry);
    }
  }

  #wait(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.#wake = null;
        reject(new Error(`no reply within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
