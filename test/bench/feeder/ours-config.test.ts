// The configuration the ingest benchmark gives our daemon must mean what the benchmark needs: through
// the real YAML reader, model builder and peer selection, node "dut" runs exactly one active eBGP
// session to the feeder and nothing else.
import { describe, expect, it } from 'vitest';
import { buildNodeModel, readYamlText } from '../../../config/index.js';
import { computeSessions } from '../../../peers/index.js';
import { oursConfig } from './duts.js';

describe('ingest benchmark configuration for our daemon', () => {
  it('yields one active eBGP session from the DUT to the feeder', () => {
    const text = oursConfig({ localAddr: '10.200.0.2', localAs: 65002, peerAddr: '10.200.0.1', peerAs: 65001 });
    const file = readYamlText('ours.yaml', text);
    expect(file.problems).toEqual([]);
    const { model, problems } = buildNodeModel({ resources: file.resources, secrets: [], problems: [] }, 'dut');
    expect(problems).toEqual([]);
    expect(model.nodeFound).toBe(true);
    expect(model.meshEnabled).toBe(false);
    const plan = computeSessions(model);
    expect(plan.problems).toEqual([]);
    expect(plan.sessions).toHaveLength(1);
    expect(plan.sessions[0]).toMatchObject({
      peerAddress: '10.200.0.1', peerAS: 65001, localAS: 65002, passive: false, family: 4, peerPort: 179,
    });
  });
});
