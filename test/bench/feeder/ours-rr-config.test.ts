// The configuration the reflector benchmark gives our daemon must mean what the benchmark needs:
// through the real YAML reader, model builder and peer selection, node "rr" is a route reflector with
// one active iBGP session to the feeder and one to each client, every one of them its reflector client,
// and the feed lies inside an IPPool (Calico exports nothing else).
import { describe, expect, it } from 'vitest';
import { buildNodeModel, readYamlText } from '../../../config/index.js';
import { computeSessions } from '../../../peers/index.js';
import { FEED_FIRST, FEED_POOL, reflectorSetup, RR_AS } from './reflect.js';
import { oursReflectorConfig } from './reflectors.js';

describe('reflector benchmark configuration for our daemon', () => {
  it('yields 11 active iBGP sessions, all reflector clients of one cluster, and a pool over the feed', () => {
    const setup = reflectorSetup(10);
    const file = readYamlText('rr.yaml', oursReflectorConfig(setup));
    expect(file.problems).toEqual([]);
    const { model, problems } = buildNodeModel({ resources: file.resources, secrets: [], problems: [] }, 'rr');
    expect(problems).toEqual([]);
    expect(model.nodeFound).toBe(true);
    expect(model.clusterId).toBe(setup.clusterId);
    const plan = computeSessions(model);
    expect(plan.problems).toEqual([]);
    expect(plan.sessions.map((s) => s.peerAddress).sort()).toEqual([...setup.clients].sort());
    for (const s of plan.sessions) {
      expect(s).toMatchObject({ peerAS: RR_AS, localAS: RR_AS, passive: false, family: 4, rrClient: true, rrClusterId: setup.clusterId });
    }
    expect(model.ipPools.map((p) => p.cidr)).toEqual([FEED_POOL]);
    // 2^20 /24s from the feed's first prefix end exactly at the pool's last address.
    const [net, len] = FEED_POOL.split('/');
    expect(net).toBe(FEED_FIRST);
    expect(2 ** (32 - Number(len))).toBe(256 * (1 << 20));
  });
});
