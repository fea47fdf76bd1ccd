// A property of the whole cluster, checked on random configurations: every session a node wants
// with another Calico node is matched by a session on that node back to it, with mirrored AS
// numbers and ports, and at most one of the two sides waits passively — otherwise the pair
// could never establish. This is what makes confd's per-node rules (mesh, BGPPeer scopes,
// reverse peering, the passive rule) agree with each other.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CalicoResource } from '../../config/datastore.js';
import { buildNodeModel } from '../../config/model.js';
import { computeSessions, type DesiredSession } from '../../peers/index.js';

const LABELS = ['a', 'b', 'c'];

const nodeArb = fc.record({
  v4: fc.boolean(),
  v6: fc.boolean(),
  as: fc.constantFrom(undefined, 64512, 65001),
  rr: fc.constantFrom(undefined, undefined, '1.1.1.1', '2.2.2.2'),
  port: fc.constantFrom(undefined, undefined, 1790),
  labels: fc.subarray(LABELS),
});

const selectorArb = fc.oneof(
  fc.constant('all()'),
  fc.constantFrom(...LABELS).map((l) => `has(${l})`),
  fc.constantFrom(...LABELS).map((l) => `!has(${l})`),
);

const peerArb = fc.record({
  scope: fc.constantFrom('global', 'nodeSelector', 'node'),
  nodeSelector: selectorArb,
  node: fc.nat(7),
  // Either a selector, or the peerIP and AS of one of the nodes.
  peerSelector: fc.option(selectorArb, { nil: undefined }),
  peerNode: fc.nat(7),
});
const ADDR = [9, 10, 1, 100, 2, 20, 3, 30];

function resources(nodes: fc.ValueOf<typeof nodeArb>[], peers: fc.ValueOf<typeof peerArb>[], mesh: boolean): CalicoResource[] {
  const r: CalicoResource[] = [{ apiVersion: 'projectcalico.org/v3', kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { nodeToNodeMeshEnabled: mesh } }];
  nodes.forEach((n, i) => {
    const bgp: Record<string, unknown> = {};
    // Addresses whose string order differs from numeric order (.9 vs .10) exercise the rule.
    if (n.v4 || !n.v6) bgp.ipv4Address = `10.0.0.${ADDR[i]}/24`;
    if (n.v6) bgp.ipv6Address = `fd00::${ADDR[i].toString(16)}/64`;
    if (n.as) bgp.asNumber = n.as;
    if (n.rr) bgp.routeReflectorClusterID = n.rr;
    r.push({ apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: `n${i}`, labels: Object.fromEntries(n.labels.map((l) => [l, 'x'])) }, spec: { bgp } });
    if (n.port) r.push({ apiVersion: 'projectcalico.org/v3', kind: 'BGPConfiguration', metadata: { name: `node.n${i}` }, spec: { listenPort: n.port } });
  });
  peers.forEach((p, i) => {
    const target = nodes[p.peerNode % nodes.length];
    const spec: Record<string, unknown> = p.peerSelector
      ? { peerSelector: p.peerSelector }
      : target.v6 && !target.v4
        ? { peerIP: `fd00::${ADDR[p.peerNode % nodes.length].toString(16)}`, asNumber: target.as ?? 64512 }
        : { peerIP: `10.0.0.${ADDR[p.peerNode % nodes.length]}`, asNumber: target.as ?? 64512 };
    if (p.scope === 'nodeSelector') spec.nodeSelector = p.nodeSelector;
    if (p.scope === 'node') spec.node = `n${p.node % nodes.length}`;
    r.push({ apiVersion: 'projectcalico.org/v3', kind: 'BGPPeer', metadata: { name: `p${i}` }, spec });
  });
  return r;
}

describe('sessions between Calico nodes pair up', () => {
  it('for random clusters', () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 2, maxLength: 8 }), fc.array(peerArb, { maxLength: 4 }), fc.boolean(), (nodes, peers, mesh) => {
        const snap = { resources: resources(nodes, peers, mesh), secrets: [], problems: [] };
        const byNode = new Map<string, DesiredSession[]>();
        const addr = new Map<string, { v4?: string; v6?: string; port: number; as: number }>();
        for (let i = 0; i < nodes.length; i++) {
          const { model } = buildNodeModel(snap, `n${i}`);
          byNode.set(`n${i}`, computeSessions(model).sessions);
          addr.set(`n${i}`, { v4: model.ipv4?.address, v6: model.ipv6?.address, port: model.listenPort, as: model.asNumber });
        }
        for (const [name, sessions] of byNode) {
          const me = addr.get(name)!;
          for (const s of sessions) {
            if (!s.peerNode) continue;
            const myAddr = s.family === 4 ? me.v4 : me.v6;
            const back = byNode.get(s.peerNode)!.filter((t) => t.peerAddress === myAddr);
            const where = `${name}:${s.name} → ${s.peerNode}`;
            expect(back.length, `${where} has no session back`).toBe(1);
            const t = back[0];
            expect(t.peerNode, where).toBe(name);
            expect([t.peerAS, t.localAS], where).toEqual([s.localAS, s.peerAS]);
            expect(s.peerPort, where).toBe(addr.get(s.peerNode)!.port);
            expect(t.peerPort, where).toBe(me.port);
            expect(s.passive && t.passive, `${where}: both sides passive`).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
