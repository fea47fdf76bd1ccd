// Independent decoder check: messages our codec encodes (catalog.ts: every message type, capability
// and path attribute we support) go over a real loopback TCP connection on a unique port, tcpdump
// captures them, and Wireshark's BGP dissector must read each one with the values we meant, with no
// malformed packet and no expert warning or error.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../../bgpd/wire/index.js';
import { Topology, waitFor } from '../../helpers/netns.js';
import { catalog } from './catalog.js';
import { readCapture, type TsharkCapture } from './tshark.js';
import { ourView, tsharkView } from './views.js';

// Wireshark expert severities (epan/proto.h): PI_NOTE 0x400000, PI_WARN 0x600000, PI_ERROR 0x800000.
const PI_WARN = 0x600000;
// Not 179, so the capture has to be read with `-d tcp.port==PORT,bgp`, as for any non-standard port.
const PORT = 10179;

/**
 * The sender runs inside the namespace (a process cannot move into one): it listens on 127.0.0.1,
 * opens one connection per session context, as a real session would carry it, writes that
 * session's messages and closes; it exits once the listener has read every byte.
 */
const SENDER = `
import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
const [file, port] = process.argv.slice(2);
const sessions = JSON.parse(readFileSync(file, 'utf8'));
let expected = 0, received = 0;
for (const s of sessions) for (const h of s) expected += h.length / 2;
const server = createServer((c) => c.on('data', (d) => {
  received += d.length;
  if (received === expected) { console.log('done'); setTimeout(() => process.exit(0), 200); }
}));
server.listen(Number(port), '127.0.0.1', async () => {
  for (const s of sessions) {
    const sock = connect(Number(port), '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    for (const h of s) sock.write(Buffer.from(h, 'hex'));
    await new Promise((r) => sock.end(r));
  }
});
`;

const topo = new Topology('tsk');
let capture: TsharkCapture;
const sent: { session: string; name: string; hex: string }[] = [];

beforeAll(async () => {
  const ns = topo.netns('lo');
  const sessions = catalog.map((session) =>
    session.messages.map((m) => {
      const hex = encodeMessage(m.msg, session.ctx).toString('hex');
      sent.push({ session: session.name, name: m.name, hex });
      return hex;
    }),
  );
  writeFileSync(topo.file('sessions.json'), JSON.stringify(sessions));
  writeFileSync(topo.file('sender.mjs'), SENDER);
  const pcap = topo.file('ours.pcap');
  // --immediate-mode: without it packets wait in the kernel ring until a block fills or its timeout
  // passes, and a capture stopped early writes nothing. The ring holds buffer/snaplen frames: with the
  // default 256 KiB snaplen and 2 MiB buffer that is 8 packets, and a busy machine drops the rest, so
  // the snaplen is the largest loopback frame (64 KiB MTU) and the buffer holds a thousand of them.
  const dump = topo.spawn(ns, 'tcpdump', [
    '-i', 'lo', '--immediate-mode', '-B', '65536', '-s', '65600', '-w', pcap, '-U', '-n', `tcp port ${PORT}`,
  ]);
  let dumpErr = '';
  dump.stderr?.on('data', (d: Buffer) => (dumpErr += d.toString()));
  await waitFor('tcpdump to listen', () => dumpErr.includes('listening on'));
  const sender = topo.spawn(ns, process.execPath, [topo.file('sender.mjs'), topo.file('sessions.json'), String(PORT)]);
  let out = '';
  sender.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('the sender to deliver every message', () => out.includes('done') || sender.exitCode !== null);
  // On a loaded machine tcpdump can trail the traffic: stop it only once the file holds every message
  // (a half-written last packet makes tshark fail; that read is simply retried).
  await waitFor('the capture to hold every message', () => {
    try {
      return readCapture(pcap, [PORT]).messages.length >= sent.length;
    } catch {
      return false;
    }
  }, 30_000, 250);
  await new Promise<void>((resolve) => {
    dump.once('exit', () => resolve());
    dump.kill('SIGINT');
  });
  capture = readCapture(pcap, [PORT]);
});

afterAll(() => topo.destroy());

describe('tshark reads what we encode', () => {
  it('sees every message we sent, byte for byte, with no malformed frame', () => {
    expect(capture.malformedFrames).toEqual([]);
    expect(capture.messages.map((m) => m.hex)).toEqual(sent.map((s) => s.hex));
  });

  let k = 0;
  for (const session of catalog) {
    describe(session.name, () => {
      for (const { name, msg } of session.messages) {
        const index = k++;
        it(`${name}: same values, no expert warnings`, () => {
          const seen = capture.messages[index];
          expect(seen?.hex).toBe(sent[index].hex);
          expect(tsharkView(seen.fields, session.ctx)).toEqual(ourView(msg));
          const serious = seen.expert.filter((e) => Number(e.severity) >= PI_WARN);
          expect(serious).toEqual([]);
        });
      }
    });
  }
});
