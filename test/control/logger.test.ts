// The logger hub: JSON lines, a child per peer, levels from Calico's logSeverityScreen.
import { describe, expect, it } from 'vitest';
import { LogHub, levelFromSeverity } from '../../bgpd/control/logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } };
}

describe('logger', () => {
  it('maps Calico severities to levels and refuses unknown ones', () => {
    expect(levelFromSeverity('Warning')).toBe('warn');
    expect(levelFromSeverity('Info')).toBe('info');
    expect(levelFromSeverity('Debug')).toBe('debug');
    expect(levelFromSeverity('Fatal')).toBe('fatal');
    expect(levelFromSeverity('None')).toBe('silent');
    expect(levelFromSeverity('loud')).toBeNull();
    expect(() => new LogHub({ level: 'loud' })).toThrow(/unknown log level/);
  });

  it('gives each peer a child logger carrying its name, and moves every child when the level changes', () => {
    const c = capture();
    const hub = new LogHub({ level: 'Info', destination: c.destination, base: { node: 'node1' } });
    const peer = hub.peer('Mesh_10_0_0_2', '10.0.0.2');
    expect(hub.peer('Mesh_10_0_0_2', '10.0.0.2')).toBe(peer);
    peer.info({ state: 'Established' }, 'session up');
    peer.debug('hidden at info');
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).toMatchObject({ level: 30, peer: 'Mesh_10_0_0_2', neighbor: '10.0.0.2', node: 'node1', state: 'Established', msg: 'session up' });
    expect(hub.setLevel('Debug')).toBe(true);
    peer.debug('shown at debug');
    expect(c.lines.at(-1)).toMatchObject({ level: 20, msg: 'shown at debug' });
    expect(hub.setLevel('Warning')).toBe(true);
    peer.info('hidden at warning');
    hub.root.info('hidden too');
    expect(c.lines).toHaveLength(2);
    expect(hub.setLevel('verbose')).toBe(false);
  });
});
