// Peer selection rules, each checked on a small configuration: the mesh and its one-direction
// rule (string comparison, as confd does), route reflectors, BGPPeer scopes, reverse peering,
// ports, AS overrides, next-hop modes, passwords and de-duplication.
import { describe, expect, it } from 'vitest';
import { readYamlText } from '../../config/yamlfile.js';
import { buildNodeModel } from '../../config/model.js';
import { computeSessions, type DesiredSession } from '../../peers/index.js';

function plan(yaml: string, node: string) {
  const c = readYamlText('t.yaml', yaml);
  expect(c.problems.filter((p) => p.severity !== 'warning')).toEqual([]);
  const { model, problems } = buildNodeModel({ resources: c.resources, secrets: c.secrets, problems: [] }, node);
  const out = computeSessions(model);
  return { ...out, problems: [...problems, ...out.problems], model };
}
const byName = (s: DesiredSession[]) => Object.fromEntries(s.map((x) => [x.name, x]));

function node(name: string, v4?: string, extra = ''): string {
  return `---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: ${name}\n${extra}spec:\n  bgp:\n${v4 ? `    ipv4Address: ${v4}\n` : '    ipv6Address: fd00::99/64\n'}`;
}
function doc(kind: string, name: string, spec: string): string {
  return `---\napiVersion: projectcalico.org/v3\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
}

describe('mesh', () => {
  it('compares addresses as strings for the passive side, as confd does', () => {
    const y = node('a', '10.0.0.9/24') + node('b', '10.0.0.10/24');
    // Numerically .10 > .9, but as strings "10.0.0.10" < "10.0.0.9".
    expect(byName(plan(y, 'a').sessions).Mesh_10_0_0_10.passive).toBe(false);
    expect(byName(plan(y, 'b').sessions).Mesh_10_0_0_9.passive).toBe(true);
  });

  it('uses the peer node AS, its listen port, the mesh password and restart time', () => {
    const y =
      node('a', '10.0.0.1/24') +
      node('b', '10.0.0.2/24').replace('  bgp:\n', '  bgp:\n    asNumber: 65002\n') +
      doc('BGPConfiguration', 'default', '  asNumber: 65001\n  nodeMeshPassword:\n    secretKeyRef: {name: mesh, key: pw}\n  nodeMeshMaxRestartTime: 45s\n') +
      doc('BGPConfiguration', 'node.b', '  listenPort: 1179\n') +
      '---\napiVersion: v1\nkind: Secret\nmetadata: {name: mesh, namespace: kube-system}\nstringData: {pw: hunter2}\n';
    const s = byName(plan(y, 'a').sessions).Mesh_10_0_0_2;
    expect(s).toMatchObject({ peerAS: 65002, localAS: 65001, peerPort: 1179, password: 'hunter2', gracefulRestartTime: 45, localAddress: '10.0.0.1', type: 'mesh', peerNode: 'b' });
    // The mesh name carries no port, unlike BGPPeer names.
    expect(Object.keys(byName(plan(y, 'b').sessions))).toEqual(['Mesh_10_0_0_1']);
  });

  it('skips route reflectors, nodes without an address, and itself; a reflector joins no mesh', () => {
    const y = node('a', '10.0.0.1/24') + node('rr', '10.0.0.5/24').replace('  bgp:\n', '  bgp:\n    routeReflectorClusterID: 1.2.3.4\n') + node('v6only') + node('c', '10.0.0.3/24');
    expect(plan(y, 'a').sessions.map((s) => s.name)).toEqual(['Mesh_10_0_0_3']);
    expect(plan(y, 'rr').sessions).toEqual([]);
  });

  it('is off when nodeToNodeMeshEnabled is false', () => {
    const y = node('a', '10.0.0.1/24') + node('b', '10.0.0.2/24') + doc('BGPConfiguration', 'default', '  nodeToNodeMeshEnabled: false\n');
    expect(plan(y, 'a').sessions).toEqual([]);
  });

  it('gives a node missing from the datastore no sessions and says why', () => {
    const p = plan(node('a', '10.0.0.1/24'), 'ghost');
    expect(p.sessions).toEqual([]);
    expect(p.problems.map((x) => x.message).join()).toMatch(/no Node named "ghost"/);
  });
});

describe('BGPPeer', () => {
  const base = node('a', '10.0.0.1/24', '  labels: {rack: r1}\n') + node('b', '10.0.0.2/24', '  labels: {rack: r2}\n') + doc('BGPConfiguration', 'default', '  nodeToNodeMeshEnabled: false\n');

  it('global, node and nodeSelector scopes', () => {
    const y =
      base +
      doc('BGPPeer', 'g', '  peerIP: 192.0.2.1\n  asNumber: 65000\n') +
      doc('BGPPeer', 'n', '  node: b\n  peerIP: 192.0.2.2\n  asNumber: 65000\n') +
      doc('BGPPeer', 's', "  nodeSelector: rack == 'r1'\n  peerIP: 192.0.2.3:1790\n  asNumber: 65000\n");
    expect(plan(y, 'a').sessions.map((s) => s.name)).toEqual(['Global_192_0_2_1', 'Node_192_0_2_3_port_1790']);
    expect(plan(y, 'b').sessions.map((s) => s.name)).toEqual(['Global_192_0_2_1', 'Node_192_0_2_2']);
    expect(byName(plan(y, 'a').sessions).Node_192_0_2_3_port_1790.peerPort).toBe(1790);
  });

  it('a node-specific peering that duplicates a global one is not configured twice', () => {
    const y = base + doc('BGPPeer', 'g', '  peerIP: 192.0.2.1\n  asNumber: 65000\n') + doc('BGPPeer', 'n', '  node: a\n  peerIP: 192.0.2.1\n  asNumber: 65000\n');
    const p = plan(y, 'a');
    expect(p.sessions.map((s) => s.name)).toEqual(['Global_192_0_2_1']);
    expect(p.problems.map((x) => x.message).join()).toMatch(/Node_192_0_2_1 duplicates Global_192_0_2_1/);
  });

  it('never peers with itself; a node named by peerIP and AS peers back (confd\'s reverse pass)', () => {
    const y = base + doc('BGPPeer', 'g', '  peerIP: 10.0.0.1\n  asNumber: 64512\n');
    expect(plan(y, 'a').sessions.map((s) => [s.name, s.origin])).toEqual([['Node_10_0_0_2', 'BGPPeer/g (reverse)']]);
    expect(plan(y, 'b').sessions.map((s) => s.name)).toEqual(['Global_10_0_0_1']);
    // A different AS means the address is not that node's BGP speaker: no reverse peering.
    expect(plan(y.replace('asNumber: 64512', 'asNumber: 65000'), 'a').sessions).toEqual([]);
  });

  it('a global peering with a Calico node follows the one-direction rule', () => {
    const y = base + doc('BGPPeer', 'g', '  peerSelector: all()\n');
    expect(byName(plan(y, 'a').sessions).Global_10_0_0_2).toMatchObject({ passive: true, peerNode: 'b' });
    expect(byName(plan(y, 'b').sessions).Global_10_0_0_1).toMatchObject({ passive: false, peerNode: 'a' });
  });

  it('peerSelector peerings are reversed automatically unless reversePeering is Manual', () => {
    const auto = base + doc('BGPPeer', 'p', "  nodeSelector: rack == 'r1'\n  peerSelector: rack == 'r2'\n");
    expect(plan(auto, 'a').sessions.map((s) => [s.name, s.origin])).toEqual([['Node_10_0_0_2', 'BGPPeer/p']]);
    expect(plan(auto, 'b').sessions.map((s) => [s.name, s.origin])).toEqual([['Node_10_0_0_1', 'BGPPeer/p (reverse)']]);
    const manual = auto.replace("peerSelector: rack == 'r2'\n", "peerSelector: rack == 'r2'\n  reversePeering: Manual\n");
    expect(plan(manual, 'b').sessions).toEqual([]);
  });

  it('route reflector clients: same AS, we have a cluster id, theirs differs', () => {
    const y =
      node('rr', '10.0.0.5/24', '  labels: {rr: "true"}\n').replace('  bgp:\n', '  bgp:\n    routeReflectorClusterID: 1.1.1.1\n') +
      node('rr2', '10.0.0.6/24', '  labels: {rr: "true"}\n').replace('  bgp:\n', '  bgp:\n    routeReflectorClusterID: 1.1.1.1\n') +
      node('rr3', '10.0.0.7/24', '  labels: {rr: "true"}\n').replace('  bgp:\n', '  bgp:\n    routeReflectorClusterID: 2.2.2.2\n') +
      node('c', '10.0.0.8/24') +
      node('e', '10.0.0.9/24').replace('  bgp:\n', '  bgp:\n    asNumber: 65099\n') +
      doc('BGPPeer', 'to-rr', "  nodeSelector: all()\n  peerSelector: has(rr)\n") +
      doc('BGPPeer', 'tor', '  node: rr\n  peerIP: 10.0.0.254\n  asNumber: 64512\n  localASNumber: 65000\n');
    const s = byName(plan(y, 'rr').sessions);
    expect(s.Node_10_0_0_8).toMatchObject({ rrClient: true, rrClusterId: '1.1.1.1' });
    expect(s.Node_10_0_0_6.rrClient).toBe(false); // same cluster
    expect(s.Node_10_0_0_7).toMatchObject({ rrClient: true }); // another cluster: a client of ours
    expect(s.Node_10_0_0_9.rrClient).toBe(false); // eBGP
    // localASNumber 65000 makes the ToR (AS 64512) eBGP, so not a client.
    expect(s.Node_10_0_0_254).toMatchObject({ localAS: 65000, rrClient: false });
    expect(byName(plan(y, 'c').sessions).Node_10_0_0_5.rrClient).toBe(false); // c has no cluster id
  });

  it('options: next hop, TTL security, keepalive, source address, reachableBy, allow-local-as', () => {
    const y =
      base +
      doc('BGPPeer', 'e', '  peerIP: 192.0.2.1\n  asNumber: 65000\n  keepOriginalNextHop: true\n  ttlSecurity: 2\n  keepaliveTime: 20s\n  sourceAddress: None\n  reachableBy: 10.0.0.254\n  numAllowedLocalASNumbers: 3\n') +
      doc('BGPPeer', 'i', '  peerIP: 192.0.2.2\n  asNumber: 64512\n  keepOriginalNextHop: true\n') +
      doc('BGPPeer', 's', '  peerIP: 192.0.2.3\n  asNumber: 64512\n  nextHopMode: Self\n');
    const s = byName(plan(y, 'a').sessions);
    expect(s.Global_192_0_2_1).toMatchObject({ nextHop: 'keep', ttlSecurity: 2, keepaliveTime: 20, reachableBy: '10.0.0.254', numAllowedLocalAS: 3 });
    expect(s.Global_192_0_2_1.localAddress).toBeUndefined();
    expect(s.Global_192_0_2_2).toMatchObject({ nextHop: 'auto', localAddress: '10.0.0.1' }); // legacy keep is eBGP only
    expect(s.Global_192_0_2_3.nextHop).toBe('self');
  });

  it('IPv6 peerings need an IPv6 address here; names turn colons into underscores', () => {
    const y = base + doc('BGPPeer', 'v6', "  peerIP: '[2001:db8::1]:179'\n  asNumber: 65000\n") + node('c6').replace('kind: Node', 'kind: Node');
    expect(plan(y, 'a').sessions).toEqual([]);
    expect(plan(y, 'c6').sessions.map((s) => s.name)).toEqual(['Global_2001_db8__1_port_179']);
  });

  it('resolves passwords from Secrets; a missing one is a problem, an optional one is not', () => {
    const y =
      base +
      doc('BGPPeer', 'p1', '  peerIP: 192.0.2.1\n  asNumber: 65000\n  password:\n    secretKeyRef: {name: s, key: k}\n') +
      doc('BGPPeer', 'p2', '  peerIP: 192.0.2.2\n  asNumber: 65000\n  password:\n    secretKeyRef: {name: s, key: missing}\n') +
      doc('BGPPeer', 'p3', '  peerIP: 192.0.2.3\n  asNumber: 65000\n  password:\n    secretKeyRef: {name: s, key: missing, optional: true}\n') +
      '---\napiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: kube-system}\ndata: {k: cGFzcw==}\n';
    const p = plan(y, 'a');
    const s = byName(p.sessions);
    expect(s.Global_192_0_2_1.password).toBe('pass');
    expect(s.Global_192_0_2_2.password).toBeUndefined();
    expect(s.Global_192_0_2_3.password).toBeUndefined();
    const msgs = p.problems.map((x) => `${x.source}: ${x.message}`);
    expect(msgs.filter((m) => m.includes('secret'))).toEqual(['BGPPeer/p2: password secret kube-system/s key "missing" not found; the peering is configured without a password']);
  });
});
