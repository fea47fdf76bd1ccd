// The YAML file datastore on real files in a temporary directory: problems carry file:line and a
// reason while the rest applies; unknown kinds are skipped with a warning; malformed YAML never
// crashes and never drops what was running; reload() and file changes produce new snapshots.
import { mkdtempSync, rmSync, writeFileSync, renameSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileDatastore } from '../../config/file.js';
import type { Snapshot } from '../../config/datastore.js';
import { buildNodeModel } from '../../config/model.js';
import { waitFor } from '../helpers/netns.js';

let dir: string;
const stores: FileDatastore[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bgpd-filestore-'));
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

function store(path: string | string[], opts: ConstructorParameters<typeof FileDatastore>[1] = { watch: false }): FileDatastore {
  const s = new FileDatastore(path, opts);
  stores.push(s);
  return s;
}

const names = (s: Snapshot) => s.resources.map((r) => `${r.kind}/${r.metadata.name}`);
const msgs = (s: Snapshot) => s.problems.map((p) => `${p.source} ${p.severity}: ${p.message}`);

const MIXED = `# comment line 1
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: good-pool
spec:
  cidr: 10.244.0.0/16
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: bad-pool
spec:
  cidr: 10.244.0.0/33
---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata:
  name: default
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: bad-asn
spec:
  peerIP: 10.0.0.9
  asNumber: 99999999999
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: bad-selector
spec:
  peerSelector: "rack == 'r1' &&"
---
apiVersion: projectcalico.org/v3
kind: BGPPeerList
items:
  - apiVersion: projectcalico.org/v3
    kind: BGPPeer
    metadata:
      name: listed-ok
    spec:
      peerIP: 10.0.0.8
      asNumber: 65000
  - apiVersion: projectcalico.org/v3
    kind: BGPPeer
    metadata:
      name: listed-bad
    spec:
      peerIP: 10.0.0.8:99999
      asNumber: 65000
---
apiVersion: v1
kind: Secret
metadata:
  name: pw
  namespace: kube-system
data:
  key: c2VjcmV0
`;

describe('reading', () => {
  it('rejects bad resources with file:line and a reason, applies the rest', async () => {
    const f = join(dir, 'mixed.yaml');
    writeFileSync(f, MIXED);
    const snap = await store(f).start();
    expect(names(snap)).toEqual(['IPPool/good-pool', 'BGPPeer/listed-ok']);
    expect(snap.secrets).toEqual([{ name: 'pw', namespace: 'kube-system', data: { key: 'secret' }, source: `${f}:54` }]);
    const m = msgs(snap);
    expect(m).toContainEqual(expect.stringMatching(new RegExp(`^${f}:9 error: IPPool bad-pool rejected: spec.cidr: .*prefix length must be 0-32`)));
    expect(m).toContainEqual(`${f}:16 warning: unknown kind "FelixConfiguration" ignored`);
    expect(m).toContainEqual(expect.stringMatching(new RegExp(`^${f}:21 error: BGPPeer bad-asn rejected: spec.asNumber: AS number 99999999999 is out of range`)));
    expect(m).toContainEqual(expect.stringMatching(new RegExp(`^${f}:29 error: BGPPeer bad-selector rejected: spec.peerSelector: invalid selector .* unexpected end`)));
    expect(m).toContainEqual(expect.stringMatching(new RegExp(`^${f}:46 error: BGPPeer listed-bad rejected: spec.peerIP: port must be`)));
    expect(snap.resources.find((r) => r.metadata.name === 'listed-ok')?.source).toBe(`${f}:39`);
  });

  it('reports malformed YAML at its line without crashing', async () => {
    const f = join(dir, 'broken.yaml');
    writeFileSync(f, 'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: p\n  spec: [unclosed\n');
    const snap = await store(f).start();
    expect(snap.resources).toEqual([]);
    expect(snap.problems.length).toBeGreaterThan(0);
    expect(snap.problems[0].source).toMatch(new RegExp(`^${f}:\\d+$`));
    expect(snap.problems[0].message).toMatch(/malformed YAML/);
  });

  it('survives garbage: binary, scalars, empty documents, duplicate keys, missing files', async () => {
    writeFileSync(join(dir, 'a.yaml'), Buffer.from([0, 1, 2, 255, 254, 10, 58, 58, 91]));
    writeFileSync(join(dir, 'b.yaml'), 'just a string\n---\n42\n---\n---\n- a\n- b\n');
    writeFileSync(join(dir, 'c.yaml'), 'kind: IPPool\nkind: IPPool\n');
    writeFileSync(join(dir, 'd.yml'), 'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: ok}\nspec: {cidr: 10.1.0.0/16}\n');
    writeFileSync(join(dir, 'ignored.txt'), 'kind: IPPool\n');
    const snap = await store([dir, join(dir, 'nope.yaml')]).start();
    expect(names(snap)).toEqual(['IPPool/ok']);
    expect(msgs(snap).some((m) => m.includes('b.yaml:1') && m.includes('not a map'))).toBe(true);
    expect(msgs(snap).some((m) => m.startsWith(`${join(dir, 'nope.yaml')} error: cannot read: ENOENT`))).toBe(true);
  });

  it('reads an unquoted asdot AS number without losing digits', async () => {
    const f = join(dir, 'asdot.yaml');
    writeFileSync(f, 'apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: default}\nspec: {asNumber: 65000.100}\n');
    const snap = await store(f).start();
    const { model } = buildNodeModel(snap, 'n1');
    expect(model.asNumber).toBe(65000 * 65536 + 100);
  });
});

describe('reloading', () => {
  const pool = (name: string, cidr: string) => `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: ${name}\nspec:\n  cidr: ${cidr}\n`;

  it('reload() returns the new contents and tells listeners', async () => {
    const f = join(dir, 'pools.yaml');
    writeFileSync(f, pool('p1', '10.1.0.0/16'));
    const ds = store(f);
    const first = await ds.start();
    expect(names(first)).toEqual(['IPPool/p1']);
    const heard: Snapshot[] = [];
    ds.onChange((s) => heard.push(s));
    writeFileSync(f, pool('p1', '10.1.0.0/16') + '---\n' + pool('p2', '10.2.0.0/16'));
    const second = await ds.reload();
    expect(names(second)).toEqual(['IPPool/p1', 'IPPool/p2']);
    expect(heard.map(names)).toEqual([['IPPool/p1', 'IPPool/p2']]);
    await ds.reload(); // nothing changed: no new notification
    expect(heard.length).toBe(1);
  });

  it('a broken edit keeps the last good contents of that file; fixing it applies the fix', async () => {
    const f = join(dir, 'pools.yaml');
    const other = join(dir, 'other.yaml');
    writeFileSync(f, pool('p1', '10.1.0.0/16'));
    writeFileSync(other, pool('q1', '10.9.0.0/16'));
    const ds = store(dir);
    await ds.start();
    writeFileSync(f, pool('p1', '10.1.0.0/16') + 'spec: [oops\n');
    writeFileSync(other, pool('q2', '10.8.0.0/16'));
    const broken = await ds.reload();
    expect(names(broken).sort()).toEqual(['IPPool/p1', 'IPPool/q2']);
    expect(msgs(broken).some((m) => m.startsWith(`${f} warning: file does not parse: keeping its last good contents`))).toBe(true);
    writeFileSync(f, pool('p3', '10.3.0.0/16'));
    expect(names(await ds.reload()).sort()).toEqual(['IPPool/p3', 'IPPool/q2']);
  });

  it('a resource that turns invalid keeps its last good version; a removed one goes', async () => {
    const f = join(dir, 'pools.yaml');
    writeFileSync(f, pool('p1', '10.1.0.0/16') + '---\n' + pool('p2', '10.2.0.0/16'));
    const ds = store(f);
    await ds.start();
    writeFileSync(f, pool('p1', '10.1.0.0/99'));
    const snap = await ds.reload();
    expect(snap.resources.map((r) => `${r.metadata.name} ${String(r.spec?.cidr)}`)).toEqual(['p1 10.1.0.0/16']);
    expect(msgs(snap)).toContainEqual(expect.stringMatching(/:1 error: IPPool p1 rejected: spec.cidr/));
    expect(msgs(snap)).toContainEqual(expect.stringMatching(/keeping the last good IPPool\/p1/));
  });

  it('follows file changes, including replace-by-rename, without reload()', async () => {
    const f = join(dir, 'pools.yaml');
    writeFileSync(f, pool('p1', '10.1.0.0/16'));
    const ds = store(f, { watch: true, debounceMs: 50 });
    await ds.start();
    let last: Snapshot | undefined;
    ds.onChange((s) => (last = s));
    writeFileSync(f, pool('p2', '10.2.0.0/16'));
    await waitFor('snapshot with p2', () => last && names(last).includes('IPPool/p2'));
    const tmp = join(dir, '.pools.yaml.tmp');
    writeFileSync(tmp, pool('p3', '10.3.0.0/16'));
    renameSync(tmp, f);
    await waitFor('snapshot with p3', () => last && names(last).join() === 'IPPool/p3');
    // The named file going away is kept as it was (with a problem); its return is followed.
    unlinkSync(f);
    await waitFor('problem about the missing file', () => last && last.problems.some((p) => p.message.includes('ENOENT')));
    expect(names(last!)).toEqual(['IPPool/p3']);
    writeFileSync(f, pool('p4', '10.4.0.0/16'));
    await waitFor('snapshot with p4', () => last && names(last).join() === 'IPPool/p4');
  });

  it('reloads on SIGHUP when asked to', async () => {
    const f = join(dir, 'pools.yaml');
    writeFileSync(f, pool('p1', '10.1.0.0/16'));
    const ds = store(f, { watch: false, sighup: true });
    await ds.start();
    let last: Snapshot | undefined;
    ds.onChange((s) => (last = s));
    writeFileSync(f, pool('p2', '10.2.0.0/16'));
    process.kill(process.pid, 'SIGHUP');
    await waitFor('snapshot after SIGHUP', () => last && names(last).join() === 'IPPool/p2');
    await ds.stop();
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });

  it('an unreadable file is reported through onError and keeps its last good contents', async () => {
    const f = join(dir, 'pools.yaml');
    writeFileSync(f, pool('p1', '10.1.0.0/16'));
    const ds = store(f);
    const errors: string[] = [];
    ds.onError((e) => errors.push(e.message));
    await ds.start();
    expect(errors).toEqual([]);
    unlinkSync(f);
    const snap = await ds.reload();
    expect(names(snap)).toEqual(['IPPool/p1']);
    expect(errors).toEqual([`${f}: cannot read: ENOENT`]);
  });

  it('a file removed from a directory removes its resources', async () => {
    writeFileSync(join(dir, 'a.yaml'), pool('a', '10.1.0.0/16'));
    writeFileSync(join(dir, 'b.yaml'), pool('b', '10.2.0.0/16'));
    const ds = store(dir, { watch: true, debounceMs: 50 });
    expect(names(await ds.start())).toEqual(['IPPool/a', 'IPPool/b']);
    let last: Snapshot | undefined;
    ds.onChange((s) => (last = s));
    unlinkSync(join(dir, 'a.yaml'));
    await waitFor('snapshot without a', () => last && names(last).join() === 'IPPool/b');
    expect(last!.problems).toEqual([]);
  });
});
