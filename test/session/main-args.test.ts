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

  it('takes the Kubernetes datastore, a second IPv6 socket and a metrics address', () => {
    const a = parseArgs(['--datastore', 'kubernetes', '--kubeconfig', '/etc/kc', '--socket6', '/tmp/s6', '--metrics', '127.0.0.1:9091'], { NODENAME: 'n' });
    expect(a).toMatchObject({ datastore: 'kubernetes', kubeconfig: '/etc/kc', socket6: '/tmp/s6', metrics: '127.0.0.1:9091', config: [] });
    expect(parseArgs(['--config', 'c'], {})).toMatchObject({ datastore: 'file', socket6: null, metrics: null, logLevelSet: false });
    expect(parseArgs(['--config', 'c', '--log-level', 'warn'], {}).logLevelSet).toBe(true);
    expect(parseArgs(['--config', 'c'], {}).leaveVxlanToFelix).toBe(false);
    expect(parseArgs(['--config', 'c', '--leave-vxlan-to-felix'], {}).leaveVxlanToFelix).toBe(true);
  });

  it('refuses an unknown datastore and --config with the Kubernetes one', () => {
    expect(() => parseArgs(['--datastore', 'etcdv3'], {})).toThrow(/unknown datastore etcdv3/);
    expect(() => parseArgs(['--datastore', 'kubernetes', '--config', 'c'], {})).toThrow(/--config is for the file datastore/);
  });
});
