import { afterAll, describe, expect, it } from 'vitest';
import { Topology, nsExec, sh } from './netns.js';

describe('Topology', () => {
  const topo = new Topology('nst');
  afterAll(() => topo.destroy());

  it('joins two namespaces with a veth pair that carries traffic, and removes them afterwards', async () => {
    const a = topo.netns('a');
    const b = topo.netns('b');
    topo.link(a, '10.99.0.1/24', b, '10.99.0.2/24');
    expect(nsExec(a, 'ping', ['-c1', '-W2', '10.99.0.2'])).toContain('1 received');
    await topo.destroy();
    expect(sh('ip', ['netns', 'list'])).not.toContain(a);
  });
});
