// The command parser alone: BIRD abbreviations, its refusals, and no input that makes it throw;
// random bytes at the socket close or answer that client and never the server.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchKeyword, normalizePrefix, parseCommand } from '../../bgpd/control/commands.js';
import { RawClient, serve, type Served } from './helpers.js';
import { TestStatusSource, bgpProtocol } from './test-source.js';

describe('parseCommand', () => {
  it('expands unambiguous abbreviations and refuses ambiguous ones', () => {
    expect(matchKeyword('p', ['protocols', 'route'])).toEqual({ word: 'protocols' });
    expect(matchKeyword('r', ['route', 'rip', 'roa'])).toEqual({ error: 'ambiguous' });
    expect(matchKeyword('x', ['route'])).toEqual({ error: 'unknown' });
    expect(parseCommand('sh p a Mesh_1')).toEqual({ ok: true, json: false, command: { type: 'show-protocols', all: true, name: 'Mesh_1', pattern: false } });
    expect(parseCommand('s st')).toMatchObject({ ok: false, code: 9001 });
    expect(parseCommand('show route for 10.0.0.1/24 all count')).toEqual({
      ok: true,
      json: false,
      command: { type: 'show-route', query: { kind: 'for', address: '10.0.0.0/24' }, all: true, count: true, primary: false, protocol: null },
    });
    expect(parseCommand('show route 2001:db8::1')).toMatchObject({ ok: true, command: { query: { kind: 'exact', prefix: '2001:db8::1/128' } } });
    expect(parseCommand('json show status')).toEqual({ ok: true, json: true, command: { type: 'show-status' } });
    expect(parseCommand('disable Mesh_1')).toMatchObject({ ok: false, code: 8007 });
    expect(parseCommand('show route for')).toMatchObject({ ok: false, code: 9001 });
    expect(parseCommand('show protocols "unterminated')).toMatchObject({ ok: false, code: 9001 });
    expect(parseCommand('show interfaces')).toMatchObject({ ok: false, code: 9001 });
    expect(normalizePrefix('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(normalizePrefix('fd00::1:2/64')).toBe('fd00::/64');
  });

  it('never throws, whatever the line', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (line) => {
        const r = parseCommand(line);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    const words = fc.constantFrom('show', 'sh', 'protocols', 'p', 'route', 'r', 'for', 'all', 'a', 'count', 'status', 'json', 'trace', '10.0.0.0/24', '::/0', '"x*"', 'Mesh_1', 'primary', 'protocol', '1.2.3.4', '/', '""');
    fc.assert(
      fc.property(fc.array(words, { maxLength: 8 }), (ws) => {
        const r = parseCommand(ws.join(' '));
        if (!r.ok) expect(r.code === 9001 || r.code === 8007).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the server under random input', () => {
  let s: Served;
  beforeAll(async () => {
    const src = new TestStatusSource(Date.now());
    src.protocolList = [bgpProtocol({ name: 'Mesh_10_0_0_2', address: '10.0.0.2', since: Date.now() })];
    s = await serve({ source: src });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('answers or closes each client and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        const c = await RawClient.connect(s.path);
        try {
          await c.reply();
          c.sock.write(Buffer.from(bytes));
          c.sock.write('\nshow status\n');
          // Either the garbage closed this client, or every line got a reply and show status too.
          let all = '';
          while (!c.closed && !/0013 Daemon is up and running\n$/.test(all)) all += await c.reply();
        } finally {
          c.close();
        }
      }),
      { numRuns: 150 },
    );
    const ok = await RawClient.connect(s.path);
    await ok.reply();
    expect(await ok.command('show protocols')).toMatch(/^2002-/);
    ok.close();
  });
});
