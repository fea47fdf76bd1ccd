// The bgpd command line: calico-node's flags, defaults from the environment, clear usage errors.
import { describe, expect, it } from 'vitest';
import { UsageError, parseArgs } from '../../bgpd/main.js';

describe('bgpd arguments', () => {
  it('takes the documented flags', () => {
    const a = parseArgs(['--config', 'a.yaml', '--config', 'dir', '--node', 'n1', '--socket', '/tmp/s', '--log-level', 'debug', '--port', '1790', '--no-fib'], {});
    expect(a).toMatchObject({ config: ['a.yaml', 'dir'], node: 'n1', socket: '/tmp/s', logLevel: 'debug', port: 1790, noFib: true, processTitle: 'bird' });
  });

  it('defaults the node name to NODENAME and the socket to BIRD’s path', () => {
    const a = parseArgs(['--config', 'c.yaml'], { NODENAME: 'from-env' });
    expect(a.node).toBe('from-env');
    expect(a.socket).toBe('/var/run/calico/bird.ctl');
    expect(a.port).toBeUndefined();
  });

  it('refuses bad input with a usage error', () => {
    expect(() => parseArgs([], {})).toThrow(UsageError);
    expect(() => parseArgs(['--config'], {})).toThrow(/needs a value/);
    expect(() => parseArgs(['--config', 'c', '--port', '70000'], {})).toThrow(/--port/);
    expect(() => parseArgs(['--config', 'c', '--bogus'], {})).toThrow(/unknown argument/);
  });
});
