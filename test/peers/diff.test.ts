// The session diff: only what changed is touched, and a change says whether it needs a reset.
import { describe, expect, it } from 'vitest';
import { readYamlText } from '../../config/yamlfile.js';
import { buildNodeModel } from '../../config/model.js';
import { computeSessions, diffModels, diffSessions } from '../../peers/index.js';

function at(yaml: string, node = 'a') {
  const c = readYamlText('d.yaml', yaml);
  const { model } = buildNodeModel({ resources: c.resources, secrets: c.secrets, problems: [] }, node);
  return { model, sessions: computeSessions(model).sessions };
}

const nodes = `apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: a}
spec: {bgp: {ipv4Address: 10.0.0.1/24}}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: b}
spec: {bgp: {ipv4Address: 10.0.0.2/24}}
`;
const peer = (name: string, ip: string, extra = '') => `---\napiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: ${name}}\nspec: {peerIP: ${ip}, asNumber: 65000${extra}}\n`;

describe('diffSessions', () => {
  it('adding one peer adds one session and leaves the others unchanged', () => {
    const before = at(nodes + peer('t1', '192.0.2.1'));
    const after = at(nodes + peer('t1', '192.0.2.1') + peer('t2', '192.0.2.2'));
    const d = diffSessions(before.sessions, after.sessions);
    expect(d.added.map((s) => s.name)).toEqual(['Global_192_0_2_2']);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([]);
    expect(d.unchanged).toEqual(['Global_192_0_2_1', 'Mesh_10_0_0_2']);
  });

  it('removing one peer removes only its session', () => {
    const d = diffSessions(at(nodes + peer('t1', '192.0.2.1') + peer('t2', '192.0.2.2')).sessions, at(nodes + peer('t2', '192.0.2.2')).sessions);
    expect(d.removed.map((s) => s.name)).toEqual(['Global_192_0_2_1']);
    expect(d.added).toEqual([]);
    expect(d.unchanged).toEqual(['Global_192_0_2_2', 'Mesh_10_0_0_2']);
  });

  it('a filter or next-hop change applies in place; an AS or password change resets', () => {
    const base = at(nodes + peer('t1', '192.0.2.1'));
    const soft = diffSessions(base.sessions, at(nodes + peer('t1', '192.0.2.1', ', nextHopMode: Self, filters: [f]')).sessions);
    expect(soft.changed.map((c) => [c.name, c.fields, c.reset])).toEqual([['Global_192_0_2_1', ['filters', 'nextHop'], false]]);
    const hard = diffSessions(base.sessions, at(nodes + peer('t1', '192.0.2.1', ', localASNumber: 65001')).sessions);
    expect(hard.changed.map((c) => [c.name, c.fields, c.reset])).toEqual([['Global_192_0_2_1', ['localAS'], true]]);
  });

  it('a node AS change resets the sessions using it, and says so', () => {
    const conf = (as: number) => `---\napiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: default}\nspec: {asNumber: ${as}}\n`;
    const before = at(nodes + peer('t1', '192.0.2.1', ', localASNumber: 65010') + conf(64512));
    const after = at(nodes + peer('t1', '192.0.2.1', ', localASNumber: 65010') + conf(64513));
    const d = diffSessions(before.sessions, after.sessions);
    // The ToR uses its own localASNumber: untouched. The mesh session changes both ASes.
    expect(d.unchanged).toEqual(['Global_192_0_2_1']);
    expect(d.changed.map((c) => [c.name, c.fields, c.reset])).toEqual([['Mesh_10_0_0_2', ['localAS', 'peerAS'], true]]);
    expect(diffModels(before.model, after.model)).toEqual({ listener: false, allSessions: false, reasons: ['node AS 64512 → 64513'] });
  });

  it('a listen port change restarts the listener only; a router id change resets everything', () => {
    const port = (p: number) => `---\napiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: node.a}\nspec: {listenPort: ${p}}\n`;
    const m1 = at(nodes + port(179)).model;
    const m2 = at(nodes + port(1790)).model;
    expect(diffModels(m1, m2)).toEqual({ listener: true, allSessions: false, reasons: ['listen port 179 → 1790'] });
    const moved = at(nodes.replace('10.0.0.1/24', '10.0.0.9/24')).model;
    expect(diffModels(m1, moved).allSessions).toBe(true);
  });
});
