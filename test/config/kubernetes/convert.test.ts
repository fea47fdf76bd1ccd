// The pure conversions from API objects to the datastore contract: Calico v2 IPPool fields,
// BlockAffinity's string `deleted`, bookkeeping annotations, objects without a name or with a
// spec that is not a map, and arbitrary input, which must never throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crdToV3, nodeToV3, secretFromKube, type KubeObject } from '../../../config/kubernetes/index.js';

const pool = (spec: Record<string, unknown>) => crdToV3('IPPool', 'ippools', { metadata: { name: 'p' }, spec });

describe('crdToV3', () => {
  it('reads Calico v2 IPPool fields as libcalico-go does', () => {
    const spec = (r: ReturnType<typeof pool>) => (r.ok ? r.value.spec : undefined);
    expect(spec(pool({ cidr: '10.0.0.0/16', ipip: { enabled: true } }))).toEqual({ cidr: '10.0.0.0/16', ipipMode: 'Always' });
    expect(spec(pool({ cidr: '10.0.0.0/16', ipip: { enabled: true, mode: 'always' } }))).toEqual({ cidr: '10.0.0.0/16', ipipMode: 'Always' });
    expect(spec(pool({ cidr: '10.0.0.0/16', ipip: { enabled: false, mode: 'cross-subnet' } }))).toEqual({ cidr: '10.0.0.0/16', ipipMode: 'Never' });
    // The v1 field wins over a v3 one, since libcalico-go overwrites ipipMode when ipip is set.
    expect(spec(pool({ cidr: '10.0.0.0/16', ipipMode: 'Always', ipip: { enabled: true, mode: 'cross-subnet' } }))).toEqual({ cidr: '10.0.0.0/16', ipipMode: 'CrossSubnet' });
    expect(spec(pool({ cidr: '10.0.0.0/16', 'nat-outgoing': false, natOutgoing: true }))).toEqual({ cidr: '10.0.0.0/16', natOutgoing: true });
    expect(spec(pool({ cidr: '10.0.0.0/16', 'nat-outgoing': false }))).toEqual({ cidr: '10.0.0.0/16' });
  });

  it('reads BlockAffinity `deleted` as true only for the string "true"', () => {
    const deleted = (d: unknown) => {
      const r = crdToV3('BlockAffinity', 'blockaffinities', { metadata: { name: 'a' }, spec: { node: 'n', cidr: '10.0.0.0/26', state: 'confirmed', deleted: d } });
      return r.ok ? r.value.spec?.deleted : 'rejected';
    };
    expect(deleted('true')).toBe(true);
    expect(deleted('false')).toBe(false);
    expect(deleted('')).toBe(false);
    expect(deleted('yes')).toBe(false);
  });

  it('drops the projectcalico.org/metadata bookkeeping annotation and keeps users\' annotations', () => {
    const r = crdToV3('BGPPeer', 'bgppeers', {
      metadata: { name: 'x', resourceVersion: '7', uid: 'u', annotations: { 'projectcalico.org/metadata': '{}', note: 'mine' } },
      spec: {},
    });
    expect(r.ok && r.value.metadata).toEqual({ name: 'x', annotations: { note: 'mine' } });
  });

  it('reports an object without a name or with a spec that is not a map', () => {
    expect(crdToV3('BGPPeer', 'bgppeers', { metadata: {} })).toEqual({ ok: false, problems: [{ source: 'bgppeers', message: 'BGPPeer without metadata.name ignored', severity: 'error' }] });
    expect(crdToV3('BGPPeer', 'bgppeers', { metadata: { name: 'x' }, spec: 'peer' as never })).toEqual({
      ok: false,
      problems: [{ source: 'bgppeers/x', message: 'BGPPeer x rejected: spec is not a map', severity: 'error' }],
    });
  });
});

describe('nodeToV3', () => {
  it('gives a Node without Calico annotations no BGP spec, but its labels and addresses', () => {
    const r = nodeToV3({ metadata: { name: 'plain', labels: { a: 'b' } }, status: { addresses: [{ type: 'ExternalIP', address: '203.0.113.5' }] } });
    expect(r.ok && r.value.spec).toEqual({ orchRefs: [{ nodeName: 'plain', orchestrator: 'k8s' }], addresses: [{ address: '203.0.113.5', type: 'ExternalIP' }] });
    expect(r.ok && r.value.metadata.labels).toEqual({ a: 'b' });
  });

  it('lets Kubernetes labels win over labels set through calicoctl', () => {
    const r = nodeToV3({ metadata: { name: 'n', labels: { zone: 'k8s' }, annotations: { 'projectcalico.org/labels': '{"zone":"calico","rack":"r9"}' } } });
    expect(r.ok && r.value.metadata.labels).toEqual({ zone: 'k8s', rack: 'r9' });
  });
});

describe('secretFromKube', () => {
  it('decodes every data value and keeps binary-safe UTF-8', () => {
    const r = secretFromKube({ metadata: { name: 's', namespace: 'ns' }, data: { a: Buffer.from('pä$$ wörd').toString('base64'), empty: '' } });
    expect(r).toEqual({ ok: true, value: { name: 's', namespace: 'ns', data: { a: 'pä$$ wörd', empty: '' }, source: 'secrets/ns/s' }, problems: [] });
  });
});

describe('conversions never throw', () => {
  it('on arbitrary objects', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true }), fc.anything({ withBigInt: true }), fc.anything(), (metadata, spec, rest) => {
        const obj = { ...(typeof rest === 'object' && rest !== null ? rest : {}), metadata, spec, data: spec, status: rest } as unknown as KubeObject;
        for (const r of [crdToV3('IPPool', 'ippools', obj), crdToV3('BlockAffinity', 'blockaffinities', obj), nodeToV3(obj), secretFromKube(obj)]) {
          expect(typeof r.ok).toBe('boolean');
          expect(Array.isArray(r.problems)).toBe(true);
        }
        for (const r of [crdToV3('BGPPeer', 'bgppeers', null as never), nodeToV3(undefined as never), secretFromKube(42 as never)]) expect(r.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('on Nodes with arbitrary annotation values', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('projectcalico.org/IPv4Address', 'projectcalico.org/IPv6Address', 'projectcalico.org/ASNumber', 'projectcalico.org/RouteReflectorClusterID', 'projectcalico.org/VXLANTunnelMACAddr', 'projectcalico.org/IPv4VXLANTunnelAddr', 'projectcalico.org/labels', 'projectcalico.org/annotations'), fc.string()), (annotations) => {
        const r = nodeToV3({ metadata: { name: 'n', annotations } });
        expect(r.ok).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
