// buildNodeModel: Calico's defaults, per-node BGPConfiguration overrides, local blocks, router
// id, communities and VXLAN data, all from a snapshot; bad resources become problems.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readYamlText } from '../../config/yamlfile.js';
import { buildNodeModel, hashRouterId, poolsForNode } from '../../config/model.js';
import type { CalicoResource } from '../../config/datastore.js';

function build(yaml: string, node = 'n1', opts = {}) {
  const c = readYamlText('m.yaml', yaml);
  return buildNodeModel({ resources: c.resources, secrets: c.secrets, problems: c.problems }, node, opts);
}

const N1 = `apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: n1, labels: {zone: a}}
spec:
  bgp: {ipv4Address: 192.168.1.5/24, ipv6Address: "fd00:1::5/64"}
  ipv4VXLANTunnelAddr: 10.244.0.1
  vxlanTunnelMACAddr: 66:AA:BB:CC:DD:EE
`;

describe('buildNodeModel', () => {
  it('applies Calico defaults', () => {
    const { model, problems } = build(N1);
    expect(problems).toEqual([]);
    expect(model).toMatchObject({
      nodeName: 'n1',
      nodeFound: true,
      asNumber: 64512,
      globalASNumber: 64512,
      routerId: '192.168.1.5',
      listenPort: 179,
      bindMode: 'None',
      logSeverity: 'Info',
      meshEnabled: true,
      ipv4: { address: '192.168.1.5', prefixLength: 24 },
      ipv6: { address: 'fd00:1::5', prefixLength: 64 },
      labels: { zone: 'a' },
    });
    expect(model.nodes[0].vxlan).toEqual({ ipv4Addr: '10.244.0.1', mac: '66:aa:bb:cc:dd:ee' });
  });

  it('per-node BGPConfiguration overrides port, log level and prefix advertisements', () => {
    const y =
      N1 +
      `---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec:
  asNumber: 65000.5
  listenPort: 1790
  logSeverityScreen: Warning
  bindMode: NodeIP
  communities: [{name: gold, value: "65000:100"}]
  prefixAdvertisements: [{cidr: 10.0.0.0/8, communities: [gold]}]
  serviceClusterIPs: [{cidr: 10.96.0.0/12}]
  serviceExternalIPs: [{cidr: 203.0.113.0/24}]
  serviceLoadBalancerIPs: [{cidr: 198.51.100.7}]
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: node.n1}
spec:
  listenPort: 2179
  logSeverityScreen: Debug
  prefixAdvertisements: [{cidr: 10.1.0.0/16, communities: [gold, "1:2:3"]}]
`;
    const { model, problems } = build(y);
    expect(problems).toEqual([]);
    expect(model).toMatchObject({
      asNumber: 65000 * 65536 + 5,
      listenPort: 2179,
      logSeverity: 'Debug',
      bindMode: 'NodeIP',
      prefixAdvertisements: [{ cidr: '10.1.0.0/16', communities: ['65000:100', '1:2:3'] }],
      serviceClusterIPs: ['10.96.0.0/12'],
      serviceExternalIPs: ['203.0.113.0/24'],
      serviceLoadBalancerIPs: ['198.51.100.7/32'],
    });
    expect(build(y, 'other').model.listenPort).toBe(1790);
    expect(build(y, 'other').model.prefixAdvertisements).toEqual([{ cidr: '10.0.0.0/8', communities: ['65000:100'] }]);
  });

  it('takes confirmed, undeleted blocks of this node only', () => {
    const blk = (name: string, node: string, cidr: string, state: string, deleted?: string) =>
      `---\napiVersion: projectcalico.org/v3\nkind: BlockAffinity\nmetadata: {name: ${name}}\nspec: {node: ${node}, cidr: ${cidr}, state: ${state}${deleted ? `, deleted: "${deleted}"` : ''}}\n`;
    const y = N1 + blk('b1', 'n1', '10.244.1.0/26', 'confirmed') + blk('b2', 'n1', '10.244.0.0/26', 'confirmed', 'false') + blk('b3', 'n1', '10.244.2.0/26', 'pending') + blk('b4', 'n1', '10.244.3.0/26', 'confirmed', 'true') + blk('b5', 'n2', '10.244.4.0/26', 'confirmed');
    expect(build(y).model.localBlocks).toEqual(['10.244.0.0/26', '10.244.1.0/26']);
  });

  it('router id: the IPv4 address, an explicit one, or a hash of the node name', () => {
    expect(build(N1, 'n1', { routerId: '1.2.3.4' }).model.routerId).toBe('1.2.3.4');
    expect(build(N1, 'n1', { routerId: 'hash' }).model.routerId).toBe(hashRouterId('n1'));
    // sha256("n1") begins 67 6b 8b b8; a first octet above 223 is lowered by 32.
    expect(hashRouterId('n1')).toBe('103.107.139.184');
    for (let i = 0; i < 200; i++) expect(Number(hashRouterId(`node-${i}`).split('.')[0])).toBeLessThanOrEqual(223);
    const v6only = N1.replace('ipv4Address: 192.168.1.5/24, ', '');
    const r = build(v6only);
    expect(r.model.routerId).toBeUndefined();
    expect(r.problems.map((p) => p.message).join()).toMatch(/router id/);
  });

  it('pools: all of them in the model, those selecting this node via poolsForNode', () => {
    const y = N1 + `---\napiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: a}\nspec: {cidr: 10.1.0.0/16, ipipMode: CrossSubnet, nodeSelector: "zone == 'a'"}\n---\napiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: b}\nspec: {cidr: 10.2.0.0/16, vxlanMode: Always, nodeSelector: "zone == 'b'", disabled: true}\n`;
    const { model } = build(y);
    expect(model.ipPools.map((p) => [p.name, p.cidr, p.ipipMode, p.vxlanMode, p.disabled])).toEqual([
      ['a', '10.1.0.0/16', 'CrossSubnet', 'Never', false],
      ['b', '10.2.0.0/16', 'Never', 'Always', true],
    ]);
    expect(poolsForNode(model).map((p) => p.name)).toEqual(['a']);
  });

  it('validates snapshots from any datastore and keeps going', () => {
    const bad: CalicoResource = { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name: 'p' }, spec: { cidr: 'nope' }, source: 'ippools/p' };
    const dup: CalicoResource = { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name: 'q' }, spec: { cidr: '10.0.0.0/8' } };
    const weird: CalicoResource = { apiVersion: 'projectcalico.org/v3', kind: 'Mystery', metadata: { name: 'm' } };
    const { model, problems } = buildNodeModel({ resources: [bad, dup, { ...dup, spec: { cidr: '11.0.0.0/8' } }, weird], secrets: [], problems: [] }, 'n1');
    expect(model.ipPools.map((p) => p.cidr)).toEqual(['10.0.0.0/8']);
    const msgs = problems.map((p) => `${p.source} ${p.severity}: ${p.message}`);
    expect(msgs).toContainEqual(expect.stringMatching(/^ippools\/p error: IPPool p rejected: spec.cidr/));
    expect(msgs).toContainEqual('IPPool/q error: duplicate IPPool q ignored (the first one applies)');
    expect(msgs).toContainEqual('Mystery/m warning: unknown kind "Mystery" ignored');
  });

  it('is pure: the same snapshot gives an equal model', () => {
    const c = readYamlText('m.yaml', N1);
    const snap = { resources: c.resources, secrets: c.secrets, problems: [] };
    expect(buildNodeModel(snap, 'n1')).toEqual(buildNodeModel(snap, 'n1'));
    expect(JSON.parse(JSON.stringify(buildNodeModel(snap, 'n1').model))).toEqual(buildNodeModel(snap, 'n1').model);
  });

  it('never throws, whatever the snapshot holds', () => {
    const kind = fc.constantFrom('Node', 'BGPConfiguration', 'BGPPeer', 'IPPool', 'BlockAffinity', 'BGPFilter', 'X');
    const res = fc.record({ apiVersion: fc.constant('projectcalico.org/v3'), kind, metadata: fc.oneof(fc.record({ name: fc.constantFrom('n1', 'default', 'node.n1', 'p') }), fc.anything()), spec: fc.anything() });
    const secret = fc.record({ name: fc.string(), namespace: fc.string(), data: fc.anything() });
    fc.assert(
      fc.property(fc.array(fc.oneof(res, fc.anything()), { maxLength: 8 }), fc.array(secret, { maxLength: 2 }), (resources, secrets) => {
        buildNodeModel({ resources: resources as never, secrets: secrets as never, problems: [] }, 'n1');
      }),
      { numRuns: 2000 },
    );
  });
});
