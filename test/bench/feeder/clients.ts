// Long-lived clients of the daemons' own control sockets, cheap enough to ask every few milliseconds
// how many routes a RIB holds: BIRD's control protocol (also spoken by our daemon) and FRR's vty.
import { createConnection, type Socket } from 'node:net';

/**
 * A client of BIRD's control protocol on one long-lived connection (cheap enough to poll every few
 * milliseconds): sends a command, collects the reply up to its final `NNNN ` line.
 */
export class BirdControl {
  #sock: Socket;
  #buf = '';
  #waiter: { resolve: (reply: string) => void; reject: (err: Error) => void } | null = null;

  private constructor(sock: Socket) {
    this.#sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.#buf += d;
      this.#deliver();
    });
    sock.on('error', (err) => this.#fail(err));
    sock.on('close', () => this.#fail(new Error('control socket closed')));
  }

  static async connect(path: string): Promise<BirdControl> {
    const sock = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    const c = new BirdControl(sock);
    await c.#reply(); // the "0001 ... ready." greeting
    return c;
  }

  /** A reply ends with its first line whose 4-digit code is followed by a space (BIRD doc/reply_codes). */
  #deliver(): void {
    const m = /(^|\n)\d{4} [^\n]*\n/.exec(this.#buf);
    if (!m || !this.#waiter) return;
    const end = m.index + m[0].length;
    const reply = this.#buf.slice(0, end);
    this.#buf = this.#buf.slice(end);
    const w = this.#waiter;
    this.#waiter = null;
    w.resolve(reply);
  }

  #fail(err: Error): void {
    const w = this.#waiter;
    this.#waiter = null;
    w?.reject(err);
  }

  #reply(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#deliver();
    });
  }

  async command(cmd: string): Promise<string> {
    const r = this.#reply();
    this.#sock.write(`${cmd}\n`);
    return r;
  }

  close(): void {
    this.#sock.destroy();
  }
}

/**
 * A client of FRR's daemon vty socket (the one vtysh uses) on one long-lived connection: a command is
 * sent NUL-terminated; the reply ends with three NULs and a status byte. Polling through it costs the
 * daemon one command, not a vtysh process per poll.
 */
export class FrrVty {
  #sock: Socket;
  #buf = Buffer.alloc(0);
  #waiter: { resolve: (reply: string) => void; reject: (err: Error) => void } | null = null;

  private constructor(sock: Socket) {
    this.#sock = sock;
    sock.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      const n = this.#buf.length;
      if (n >= 4 && this.#buf[n - 4] === 0 && this.#buf[n - 3] === 0 && this.#buf[n - 2] === 0 && this.#waiter) {
        const reply = this.#buf.subarray(0, n - 4).toString('utf8');
        this.#buf = Buffer.alloc(0);
        const w = this.#waiter;
        this.#waiter = null;
        w.resolve(reply);
      }
    });
    const fail = (err: Error): void => {
      const w = this.#waiter;
      this.#waiter = null;
      w?.reject(err);
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('vty socket closed')));
  }

  static async connect(path: string): Promise<FrrVty> {
    const sock = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    return new FrrVty(sock);
  }

  command(cmd: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#sock.write(`${cmd}\0`);
    });
  }

  close(): void {
    this.#sock.destroy();
  }
}
