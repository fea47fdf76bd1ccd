// Live reconfiguration through the file datastore: editing the YAML adds, removes or changes one
// session and leaves the others alone; a broken edit changes nothing that runs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileDatastore } from '../../config/file.js';
import { SessionTracker } from '../../peers/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bgpd-tracker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NODES = `apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: a}
spec: {bgp: {ipv4Address: 10.0.0.1/24}}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: b}
spec: {bgp: {ipv4Address: 10.0.0.2/24}}
`;
const peer = (name: string, ip: string, as = 65000) => `apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: ${name}}\nspec: {peerIP: ${ip}, asNumber: ${as}}\n`;

describe('SessionTracker over the file datastore', () => {
  it('adds, changes and removes single sessions as the files change', async () => {
    writeFileSync(join(dir, 'nodes.yaml'), NODES);
    writeFileSync(join(dir, 'peers.yaml'), peer('tor', '192.0.2.1'));
    const ds = new FileDatastore(dir, { watch: false });
    const t = new SessionTracker('a');
    const first = t.update(await ds.start());
    expect(first.diff.added.map((s) => s.name)).toEqual(['Global_192_0_2_1', 'Mesh_10_0_0_2']);
    expect(first.modelChange).toBeUndefined();

    writeFileSync(join(dir, 'peers.yaml'), peer('tor', '192.0.2.1') + '---\n' + peer('tor2', '192.0.2.2'));
    const add = t.update(await ds.reload());
    expect([add.diff.added.map((s) => s.name), add.diff.removed, add.diff.changed, add.diff.unchanged]).toEqual([['Global_192_0_2_2'], [], [], ['Global_192_0_2_1', 'Mesh_10_0_0_2']]);

    writeFileSync(join(dir, 'peers.yaml'), peer('tor', '192.0.2.1', 65001) + '---\n' + peer('tor2', '192.0.2.2') + 'spec: [broken\n');
    const broken = t.update(await ds.reload());
    expect(broken.diff.added.length + broken.diff.removed.length + broken.diff.changed.length).toBe(0);
    expect(broken.problems.some((p) => p.message.startsWith('malformed YAML'))).toBe(true);

    writeFileSync(join(dir, 'peers.yaml'), peer('tor', '192.0.2.1', 65001));
    const change = t.update(await ds.reload());
    expect(change.diff.removed.map((s) => s.name)).toEqual(['Global_192_0_2_2']);
    expect(change.diff.changed.map((c) => [c.name, c.fields, c.reset])).toEqual([['Global_192_0_2_1', ['peerAS'], true]]);
    expect(change.diff.unchanged).toEqual(['Mesh_10_0_0_2']);
    expect(change.modelChange).toEqual({ listener: false, allSessions: false, reasons: [] });
    await ds.stop();
  });
});
