// The YAML reader alone: arbitrary text never throws, Secrets decode (and bad base64 is a
// problem), and List items are located at their own lines.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readYamlText } from '../../config/yamlfile.js';

describe('readYamlText', () => {
  it('never throws, whatever the text', () => {
    const yamlish = fc.array(fc.constantFrom('kind: BGPPeer\n', 'metadata: {name: x}\n', 'spec:\n', '  peerIP: 1.2.3.4\n', '---\n', '- a\n', ': :\n', '[{', '}]', '&a *a\n', '!!binary x\n', '"', "'", '\t', ' '), { maxLength: 30 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), yamlish), (text) => {
        const c = readYamlText('f.yaml', text);
        for (const p of c.problems) expect(p.source).toMatch(/^f\.yaml:\d+$/);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses alias bombs instead of expanding them', () => {
    const bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n';
    const c = readYamlText('bomb.yaml', bomb);
    expect(c.resources).toEqual([]);
    expect(c.problems.length).toBeGreaterThan(0);
  });

  it('decodes Secrets; stringData wins over data; bad base64 is rejected', () => {
    const c = readYamlText(
      's.yaml',
      'apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {x: eA==, y: eQ==}\nstringData: {y: plain}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\ndata: {x: "not base64!"}\n',
    );
    expect(c.secrets).toEqual([{ name: 'a', namespace: '', data: { x: 'x', y: 'plain' }, source: 's.yaml:1' }]);
    expect(c.problems).toEqual([{ source: 's.yaml:7', message: 'Secret b rejected: data.x is not base64', severity: 'error' }]);
  });

  it('a v1 List of mixed kinds, each item at its own line', () => {
    const c = readYamlText(
      'l.yaml',
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: projectcalico.org/v3\n  kind: IPPool\n  metadata: {name: p}\n  spec: {cidr: 10.0.0.0/8}\n- apiVersion: projectcalico.org/v3\n  kind: Profile\n  metadata: {name: q}\n',
    );
    expect(c.resources.map((r) => `${r.kind} ${r.source}`)).toEqual(['IPPool l.yaml:4']);
    expect(c.problems).toEqual([{ source: 'l.yaml:8', message: 'unknown kind "Profile" ignored', severity: 'warning' }]);
  });
});
