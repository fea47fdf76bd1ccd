// Shared by the policy tests: NodeModels built from Calico YAML by the real config code, and
// PolicyRoutes built from prefix text.
import { readYamlText } from '../../config/yamlfile.js';
import { buildNodeModel, type NodeModel } from '../../config/model.js';
import { compilePolicy, policyRoute, type Policy, type PolicyPeer, type PolicyRoute } from '../../bgpd/policy/index.js';
import type { RouteInit } from '../../bgpd/policy/prefix.js';

export const NODE = `apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: n1}
spec: {bgp: {ipv4Address: 192.168.1.5/24, ipv6Address: "fd00:1::5/64"}}
`;

export function doc(kind: string, name: string, spec: string): string {
  return `---\napiVersion: projectcalico.org/v3\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
}

export const pool = (name: string, cidr: string, extra = '') => doc('IPPool', name, `{cidr: "${cidr}"${extra ? ', ' + extra : ''}}`);
export const block = (name: string, cidr: string, node = 'n1', state = 'confirmed') => doc('BlockAffinity', name, `{node: ${node}, cidr: "${cidr}", state: ${state}}`);

/** Build the model of n1 from YAML; any problem fails the test (the fixtures are meant valid). */
export function model(yaml: string): NodeModel {
  const c = readYamlText('policy.yaml', NODE + yaml);
  const { model: m, problems } = buildNodeModel({ resources: c.resources, secrets: c.secrets, problems: c.problems }, 'n1');
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new Error(`fixture problems: ${errors.map((p) => p.message).join('; ')}`);
  return m;
}

export function policy(yaml: string): Policy {
  return compilePolicy(model(yaml));
}

export const EBGP: PolicyPeer = { session: 'Node_192_168_1_1', ibgp: false, filters: [], family: 4 };
export const IBGP: PolicyPeer = { session: 'Mesh_192_168_1_6', ibgp: true, filters: [], family: 4 };

export const fromPeer = (ibgp = true) => ({ session: ibgp ? 'Mesh_192_168_1_6' : 'Node_192_168_1_1', ibgp, peerAddress: ibgp ? '192.168.1.6' : '192.168.1.1' });

export function route(prefix: string, init: RouteInit = {}): PolicyRoute {
  return policyRoute(prefix, init);
}

/** Which of `prefixes` a peer's export filter accepts. */
export function exported(p: Policy, peer: PolicyPeer, prefixes: (string | PolicyRoute)[]): string[] {
  const f = p.exportFilter(peer);
  return prefixes.filter((x) => f(typeof x === 'string' ? route(x) : x) !== null).map((x) => (typeof x === 'string' ? x : text(x)));
}

export function text(r: PolicyRoute): string {
  return `${r.afi}:${r.v4}/${r.len}:${r.iface ?? ''}`;
}
