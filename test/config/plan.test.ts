// `bgpd plan`: the dry run prints sessions, advertised prefixes (with communities), blackholes,
// and problems, from real files, touching nothing; exit code 1 when something was rejected.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPlan } from '../../bgpd/plan.js';

const dir = mkdtempSync(join(tmpdir(), 'bgpd-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = `apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec:
  serviceClusterIPs: [{cidr: 10.96.0.0/12}]
  communities: [{name: pods, value: "65000:7"}]
  prefixAdvertisements: [{cidr: 10.244.0.0/16, communities: [pods, "65000:1:2"]}]
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: n1}
spec: {bgp: {ipv4Address: 10.0.0.1/24}}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: n2}
spec: {bgp: {ipv4Address: 10.0.0.2/24}}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pods}
spec: {cidr: 10.244.0.0/16, ipipMode: Always}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: private}
spec: {cidr: 10.250.0.0/16, disableBGPExport: true}
---
apiVersion: projectcalico.org/v3
kind: BlockAffinity
metadata: {name: b1}
spec: {node: n1, cidr: 10.244.1.0/26, state: confirmed, deleted: "false"}
---
apiVersion: projectcalico.org/v3
kind: BlockAffinity
metadata: {name: b2}
spec: {node: n1, cidr: 10.250.0.0/26, state: confirmed}
---
apiVersion: projectcalico.org/v3
kind: BlockAffinity
metadata: {name: b3}
spec: {node: n1, cidr: 10.244.9.9/32, state: confirmed}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: tor}
spec: {peerIP: 10.0.0.254, asNumber: 65000, password: {secretKeyRef: {name: s, key: k}}}
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: kube-system}
stringData: {k: topsecret}
`;

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await runPlan(args, { out: (t) => (out += t), err: (t) => (err += t), env, hostname: () => 'n2' });
  return { code, out, err };
}

describe('bgpd plan', () => {
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, CONFIG);

  it('prints sessions, advertised prefixes, blackholes', async () => {
    const r = await run(['--config', file, '--node', 'n1']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('node n1\n  as 64512  router-id 10.0.0.1  ipv4 10.0.0.1/24');
    expect(r.out).toMatch(/sessions \(2\)\n {4}Global_10_0_0_254 +global peer 10\.0\.0\.254:179 as 65000 local-as 64512 active source 10\.0\.0\.1 password gr 120 \(BGPPeer\/tor\)\n {4}Mesh_10_0_0_2 +mesh +peer 10\.0\.0\.2:179 .* passive /);
    expect(r.out).toContain(
      [
        '  advertised (3)',
        '    10.244.1.0/26 block communities 65000:7,65000:1:2',
        '    10.244.9.9/32 block communities 65000:7,65000:1:2',
        '    10.96.0.0/12 service-cluster-ip',
        '  blackholes (2)',
        '    blackhole 10.244.1.0/26 proto bird',
        '    blackhole 10.250.0.0/26 proto bird',
      ].join('\n'),
    );
    expect(r.out).not.toContain('topsecret');
  });

  it('takes the node from NODENAME, then the host name', async () => {
    expect((await run(['--config', file], { NODENAME: 'n1' })).out).toContain('node n1\n');
    expect((await run(['--config', file])).out).toContain('node n2\n');
  });

  it('--json prints the plan as data with passwords redacted', async () => {
    const r = await run(['--config=' + file, '--node=n1', '--json']);
    const plan = JSON.parse(r.out);
    expect(plan.sessions.map((s: { name: string }) => s.name)).toEqual(['Global_10_0_0_254', 'Mesh_10_0_0_2']);
    expect(plan.sessions[0].password).toBe('<redacted>');
    expect(r.out).not.toContain('topsecret');
  });

  it('exits 1 and lists the problem when a resource is rejected; 2 on bad usage', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, CONFIG + '---\napiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: x}\nspec: {peerIP: 10.0.0.300, asNumber: 1}\n');
    const r = await run(['--config', bad, '--node', 'n1']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`error: ${bad}:54: BGPPeer x rejected: spec.peerIP`));
    expect(r.out).toContain('Global_10_0_0_254'); // the rest still planned
    expect((await run(['--node', 'n1'])).code).toBe(2);
    expect((await run(['--config', file, '--bogus'])).err).toMatch(/unknown argument "--bogus"/);
  });
});
