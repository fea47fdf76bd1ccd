// The lab's cluster on paper: its datastore is read by the real config loader and peer selection
// without a problem and gives the sessions and blocks the lab expects; the printers' parsers read
// real bird2 output; the command line is parsed as documented.
import { describe, expect, it } from 'vitest';
import { readYamlText } from '../../config/yamlfile.js';
import { buildNodeModel } from '../../config/model.js';
import { computeSessions } from '../../peers/compute.js';
import { datastoreYaml, planCluster, torBirdConfig, type ClusterSpec } from './cluster.js';
import { parseBirdProtocols, parseBirdRoutes, sessionsFromBgpctl, sessionsFromLog } from './observe.js';
import { parseLabArgs } from './run.js';

function models(spec: ClusterSpec) {
  const plan = planCluster(spec, 'abc123');
  const read = readYamlText('calico.yaml', datastoreYaml(plan));
  const snap = { resources: read.resources, secrets: read.secrets, problems: read.problems };
  return {
    plan,
    nodes: plan.nodes.map((n) => {
      const { model, problems } = buildNodeModel(snap, n.name);
      const sessions = computeSessions(model);
      return { n, model, problems: [...problems, ...sessions.problems], sessions: sessions.sessions };
    }),
  };
}

describe('lab datastore', () => {
  it.each(['direct', 'vxlan', 'crosssubnet', 'ipip'] as const)('%s: every node reads it without a problem, with its own block', (mode) => {
    const { nodes } = models({ mode, nodes: 3, routeReflector: false });
    for (const { n, model, problems } of nodes) {
      expect(problems).toEqual([]);
      expect(model.localBlocks).toEqual([n.block]);
      expect(model.ipv4?.cidr).toBe(`${n.ip}/24`);
      expect(model.ipPools[0]).toMatchObject({
        cidr: '10.244.0.0/16',
        ipipMode: mode === 'ipip' ? 'Always' : 'Never',
        vxlanMode: mode === 'vxlan' ? 'Always' : mode === 'crosssubnet' ? 'CrossSubnet' : 'Never',
      });
    }
  });

  it('mesh: each node peers with every other node and with the ToR', () => {
    const { nodes } = models({ mode: 'direct', nodes: 3, routeReflector: false });
    expect(nodes.map((x) => x.sessions.map((s) => s.name))).toEqual([
      ['Global_192_168_100_1', 'Mesh_192_168_100_11', 'Mesh_192_168_100_12'],
      ['Global_192_168_100_1', 'Mesh_192_168_100_10', 'Mesh_192_168_100_12'],
      ['Global_192_168_100_1', 'Mesh_192_168_100_10', 'Mesh_192_168_100_11'],
    ]);
    // Exactly one side of each mesh pair connects.
    expect(nodes[0].sessions.find((s) => s.name === 'Mesh_192_168_100_11')!.passive).toBe(true);
    expect(nodes[1].sessions.find((s) => s.name === 'Mesh_192_168_100_10')!.passive).toBe(false);
  });

  it('crosssubnet: the last nodes sit on a second subnet behind the ToR', () => {
    const { plan } = models({ mode: 'crosssubnet', nodes: 3, routeReflector: false });
    expect(plan.nodes.map((n) => n.ip)).toEqual(['192.168.100.10', '192.168.100.11', '192.168.101.12']);
    expect(torBirdConfig(plan, '/x.log')).toMatch(/neighbor 192\.168\.101\.12 as 64512;\n\s+multihop 2;/);
  });

  it('route reflector: k8s-w0 reflects for the others, no mesh', () => {
    const { nodes } = models({ mode: 'direct', nodes: 3, routeReflector: true });
    const [rr, c1, c2] = nodes;
    expect(rr.model.clusterId).toBe('224.0.0.1');
    expect(rr.sessions.map((s) => [s.name, s.rrClient])).toEqual([
      ['Global_192_168_100_1', false],
      ['Node_192_168_100_11', true],
      ['Node_192_168_100_12', true],
    ]);
    for (const c of [c1, c2]) expect(c.sessions.map((s) => s.name)).toEqual(['Global_192_168_100_1', 'Node_192_168_100_10']);
  });

  it('pods get addresses in their node\'s block and Calico-like interface names', () => {
    const { plan } = models({ mode: 'direct', nodes: 2, routeReflector: false });
    expect(plan.pods.map((p) => p.ip)).toEqual(['10.244.0.1', '10.244.0.2', '10.244.0.65', '10.244.0.66']);
    for (const p of plan.pods) expect(p.iface).toMatch(/^cali[0-9a-f]{11}$/);
    expect(new Set(plan.pods.map((p) => p.iface)).size).toBe(plan.pods.length);
  });
});

describe('lab readers', () => {
  it('reads bird2 protocols and routes', () => {
    const protocols = `BIRD 2.0.12 ready.
Name       Proto      Table      State  Since         Info
device1    Device     ---        up     07:20:27.051  
k8s_w0     BGP        ---        up     07:20:31.214  Established   
k8s_w1     BGP        ---        start  07:20:27.051  Active        Socket: Connection refused
`;
    expect(parseBirdProtocols(protocols)).toEqual([
      { name: 'device1', proto: 'Device', state: 'up', info: '' },
      { name: 'k8s_w0', proto: 'BGP', state: 'up', info: 'Established' },
      { name: 'k8s_w1', proto: 'BGP', state: 'start', info: 'Active Socket: Connection refused' },
    ]);
    const routes = `BIRD 2.0.12 ready.
Table master4:
10.244.0.0/26        unicast [k8s_w0 07:20:31.215] * (100) [AS64512i]
\tvia 192.168.100.10 on eth-a
10.244.0.64/26       unicast [k8s_w1 07:20:32.001] * (100) [AS64512i]
\tvia 192.168.100.11 on eth-a
                     unicast [k8s_w2 07:20:33.001] (100) [AS64512i]
\tvia 192.168.100.12 on eth-a
`;
    expect(parseBirdRoutes(routes)).toEqual([
      { prefix: '10.244.0.0/26', protocol: 'k8s_w0', best: true, via: '192.168.100.10' },
      { prefix: '10.244.0.64/26', protocol: 'k8s_w1', best: true, via: '192.168.100.11' },
      { prefix: '10.244.0.64/26', protocol: 'k8s_w2', best: false, via: '192.168.100.12' },
    ]);
  });

  it('reads sessions from the daemon log, last event wins', () => {
    const log = [
      '{"level":30,"session":"Mesh_192_168_100_11","peer":"192.168.100.11","passive":true,"msg":"session configured"}',
      '{"level":30,"session":"Global_192_168_100_1","peer":"192.168.100.1","passive":false,"msg":"session configured"}',
      '{"level":30,"session":"Global_192_168_100_1","msg":"session established"}',
      '{"level":30,"session":"Mesh_192_168_100_11","msg":"session established"}',
      '{"level":30,"session":"Global_192_168_100_1","afi":1,"routes":0,"msg":"End-of-RIB received"}',
      '{"level":30,"session":"Mesh_192_168_100_11","afi":1,"routes":1,"msg":"End-of-RIB received"}',
      '{"level":40,"session":"Mesh_192_168_100_11","reason":"BGP Error: Hold timer expired","msg":"session down"}',
      'not json',
    ].join('\n');
    expect(sessionsFromLog(log)).toEqual([
      { name: 'Global_192_168_100_1', peer: '192.168.100.1', state: 'Established', info: '0 routes received', routes: 0 },
      { name: 'Mesh_192_168_100_11', peer: '192.168.100.11', state: 'Active', info: 'BGP Error: Hold timer expired' },
    ]);
  });

  it("reads calicoctl's status table", () => {
    const table = `+----------------+-------------------+-------+----------+-------------+
|  PEER ADDRESS  |     PEER TYPE     | STATE |  SINCE   |    INFO     |
+----------------+-------------------+-------+----------+-------------+
| 192.168.100.11 | node-to-node mesh | up    | 07:20:31 | Established |
| 192.168.100.1  | global            | start | 07:20:27 | Active      |
+----------------+-------------------+-------+----------+-------------+`;
    expect(sessionsFromBgpctl(table).map((s) => [s.peer, s.info, s.state])).toEqual([
      ['192.168.100.11', 'node-to-node mesh', 'Established'],
      ['192.168.100.1', 'global', 'Active'],
    ]);
  });
});

describe('lab command line', () => {
  it('parses options, --down with and without an id, and refuses nonsense', () => {
    expect(parseLabArgs([])).toEqual({ kind: 'run', options: { mode: 'direct', nodes: 3, routeReflector: false, keep: false } });
    expect(parseLabArgs(['--mode', 'vxlan', '--nodes=5', '--route-reflector', '--keep'])).toEqual({
      kind: 'run',
      options: { mode: 'vxlan', nodes: 5, routeReflector: true, keep: true },
    });
    expect(parseLabArgs(['--down'])).toEqual({ kind: 'down' });
    expect(parseLabArgs(['--down', '1a2b3c'])).toEqual({ kind: 'down', id: '1a2b3c' });
    expect(() => parseLabArgs(['--mode', 'gre'])).toThrow(/--mode must be one of direct, vxlan, crosssubnet, ipip/);
    expect(() => parseLabArgs(['--nodes', '0'])).toThrow(/--nodes must be 1\.\.16/);
    expect(() => parseLabArgs(['--bogus'])).toThrow(/unknown argument --bogus/);
  });
});
