// Field validators and whole-resource validation: accepted forms are normalised, rejected ones
// name the field and the reason, and arbitrary input never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as v from '../../config/validate.js';
import { validateResource } from '../../config/resources.js';
import type { CalicoResource } from '../../config/datastore.js';

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof v.FieldError) return e.message;
    throw e;
  }
  return 'accepted';
}

describe('AS numbers', () => {
  it('accepts plain, string and asdot forms', () => {
    expect(v.asNumber('a', 64512)).toBe(64512);
    expect(v.asNumber('a', '64512')).toBe(64512);
    expect(v.asNumber('a', '65000.100')).toBe(65000 * 65536 + 100);
    expect(v.asNumber('a', '0.1')).toBe(1);
    expect(v.asNumber('a', 4294967295)).toBe(4294967295);
  });
  it('rejects bad ones with the reason', () => {
    expect(reason(() => v.asNumber('spec.asNumber', 0))).toMatch(/spec.asNumber: AS number 0 is out of range/);
    expect(reason(() => v.asNumber('a', 4294967296))).toMatch(/out of range/);
    expect(reason(() => v.asNumber('a', '65536.1'))).toMatch(/above 65535/);
    expect(reason(() => v.asNumber('a', 'AS65000'))).toMatch(/not an AS number/);
    expect(reason(() => v.asNumber('a', 1.5))).toMatch(/integer/);
    expect(reason(() => v.asNumber('a', -1))).toMatch(/out of range/);
    expect(reason(() => v.asNumber('a', null))).toMatch(/expected an AS number/);
  });
});

describe('durations', () => {
  it('reads Go duration text as seconds', () => {
    expect(v.duration('d', '120s')).toBe(120);
    expect(v.duration('d', '2m')).toBe(120);
    expect(v.duration('d', '1h30m')).toBe(5400);
    expect(v.duration('d', '1m30s')).toBe(90);
    expect(v.duration('d', '500ms')).toBe(0.5);
    expect(v.duration('d', '0')).toBe(0);
  });
  it('rejects other text', () => {
    for (const bad of ['120', '2 m', 'm', '', 'forever', '1d', '-5s']) expect(reason(() => v.duration('spec.maxRestartTime', bad))).toMatch(/spec.maxRestartTime: .*duration/);
    expect(reason(() => v.duration('d', 120))).toMatch(/expected a duration/);
  });
});

describe('peerIP', () => {
  it('reads ip, ipv4:port, [ipv6]:port and bare ipv6', () => {
    expect(v.peerIP('p', '10.0.0.1')).toEqual({ address: '10.0.0.1', family: 4 });
    expect(v.peerIP('p', '10.0.0.1:1790')).toEqual({ address: '10.0.0.1', family: 4, port: 1790 });
    expect(v.peerIP('p', '[fd00::0:1]:179')).toEqual({ address: 'fd00::1', family: 6, port: 179 });
    expect(v.peerIP('p', 'FD00:0::1')).toEqual({ address: 'fd00::1', family: 6 });
    expect(v.peerIP('p', '[fd00::1]')).toEqual({ address: 'fd00::1', family: 6 });
  });
  it('rejects malformed ones', () => {
    for (const bad of ['10.0.0.1:0', '10.0.0.1:70000', '[10.0.0.1]:179', 'fd00::1:179:x', '10.0.0', 'host:179', '10.0.0.256']) {
      expect(reason(() => v.peerIP('spec.peerIP', bad)), bad).toMatch(/^spec.peerIP: /);
    }
  });
});

describe('CIDRs', () => {
  it('keeps host bits for addresses, masks them for networks', () => {
    expect(v.cidr('c', '10.0.0.1/24')).toMatchObject({ cidr: '10.0.0.1/24', prefixLength: 24, family: 4 });
    expect(v.cidr('c', '10.0.0.1/24', { network: true }).cidr).toBe('10.0.0.0/24');
    expect(v.cidr('c', 'fd00:0:0::5/64', { network: true }).cidr).toBe('fd00::/64');
    expect(v.cidr('c', '10.0.0.1', { allowBare: true }).cidr).toBe('10.0.0.1/32');
  });
  it('rejects bad ones', () => {
    expect(reason(() => v.cidr('spec.cidr', '10.0.0.0/33'))).toMatch(/prefix length must be 0-32/);
    expect(reason(() => v.cidr('spec.cidr', '10.0.0/24'))).toMatch(/bad address/);
    expect(reason(() => v.cidr('spec.cidr', '10.0.0.0'))).toMatch(/missing \/prefix-length/);
    expect(reason(() => v.cidr('spec.cidr', 'fd00::/129'))).toMatch(/0-128/);
    expect(reason(() => v.cidr('spec.cidr', '10.0.0.0/x'))).toMatch(/prefix length/);
  });
});

describe('booleans', () => {
  it('accepts YAML 1.1 words as calicoctl does', () => {
    expect([v.bool('b', true), v.bool('b', 'yes'), v.bool('b', 'On'), v.bool('b', 'no'), v.bool('b', 'FALSE')]).toEqual([true, true, true, false, false]);
    expect(reason(() => v.bool('spec.disabled', 'maybe'))).toBe('spec.disabled: expected true or false, got "maybe"');
    expect(reason(() => v.bool('spec.disabled', 1))).toBe('spec.disabled: expected true or false, got number 1');
  });
});

describe('communities and misc', () => {
  it('checks standard and large communities', () => {
    expect(v.community('c', '65000:100')).toBe('65000:100');
    expect(v.community('c', '4200000000:1:2')).toBe('4200000000:1:2');
    expect(reason(() => v.community('c', '65536:1'))).toMatch(/above 65535/);
    expect(reason(() => v.community('c', 'a:b'))).toMatch(/not a community/);
  });
});

function res(kind: string, spec: Record<string, unknown>, name = 'x'): CalicoResource {
  return { apiVersion: 'projectcalico.org/v3', kind, metadata: { name }, spec };
}

function errors(r: CalicoResource): string[] {
  const out = validateResource(r);
  return out.ok ? [] : out.errors;
}

describe('resources', () => {
  it('accepts a full BGPPeer and normalises it', () => {
    const out = validateResource(
      res('BGPPeer', {
        nodeSelector: "rack == 'r1'",
        peerIP: '[fd00::1]:1790',
        asNumber: '65000.1',
        localASNumber: 64513,
        password: { secretKeyRef: { name: 'bgp', key: 'pw' } },
        sourceAddress: 'None',
        maxRestartTime: '5m',
        keepaliveTime: '10s',
        numAllowedLocalASNumbers: 2,
        ttlSecurity: 2,
        reachableBy: 'fd00::fe',
        filters: ['f1'],
        nextHopMode: 'Self',
        reversePeering: 'Manual',
      }),
    );
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.resource).toMatchObject({ kind: 'BGPPeer', nodeSelector: 'rack == "r1"', peerIP: { address: 'fd00::1', port: 1790 }, asNumber: 65000 * 65536 + 1, maxRestartTime: 300, keepaliveTime: 10, password: { name: 'bgp', key: 'pw', optional: false } });
    expect(out.warnings).toEqual([]);
  });

  it('reports every error of a BGPPeer at once', () => {
    const e = errors(res('BGPPeer', { peerIP: '10.0.0.300', asNumber: 'x', nodeSelector: 'a ==', ttlSecurity: 300, sourceAddress: 'Self' }));
    expect(e.join('\n')).toMatch(/spec.peerIP/);
    expect(e.join('\n')).toMatch(/spec.asNumber/);
    expect(e.join('\n')).toMatch(/spec.nodeSelector: invalid selector "a =="/);
    expect(e.join('\n')).toMatch(/spec.ttlSecurity/);
    expect(e.join('\n')).toMatch(/spec.sourceAddress: must be one of UseNodeIP\|None/);
  });

  it('enforces BGPPeer field combinations', () => {
    expect(errors(res('BGPPeer', { node: 'a', nodeSelector: 'all()', peerIP: '1.1.1.1', asNumber: 1 }))).toContain('spec: node and nodeSelector cannot both be set');
    expect(errors(res('BGPPeer', { peerSelector: 'all()', asNumber: 1 })).join()).toMatch(/asNumber must be empty/);
    expect(errors(res('BGPPeer', { peerSelector: 'all()', peerIP: '1.1.1.1' })).join()).toMatch(/peerIP and peerSelector/);
    expect(errors(res('BGPPeer', {})).join()).toMatch(/one of peerIP or peerSelector/);
    expect(errors(res('BGPPeer', { peerIP: '1.1.1.1' })).join()).toMatch(/spec.asNumber: is required/);
  });

  it('checks IPPools', () => {
    expect(errors(res('IPPool', { cidr: '10.0.0.0/16', ipipMode: 'Always', vxlanMode: 'Always' })).join()).toMatch(/cannot both be enabled/);
    expect(errors(res('IPPool', { cidr: 'fd00::/64', ipipMode: 'Always' })).join()).toMatch(/IPIP is not supported for IPv6/);
    expect(errors(res('IPPool', { cidr: '10.0.0.0/16', ipipMode: 'Sometimes' })).join()).toMatch(/spec.ipipMode: must be one of Always\|CrossSubnet\|Never/);
    expect(errors(res('IPPool', { cidr: '10.0.0.0/16', blockSize: 33 })).join()).toMatch(/spec.blockSize/);
    expect(errors(res('IPPool', { cidr: '10.0.0.0/28', blockSize: 26 })).join()).toMatch(/longer than blockSize/);
    const ok = validateResource(res('IPPool', { cidr: '10.1.2.3/16', vxlanMode: 'CrossSubnet', disableBGPExport: true }));
    expect(ok.ok && ok.resource).toMatchObject({ cidr: { cidr: '10.1.0.0/16' }, vxlanMode: 'CrossSubnet', ipipMode: 'Never', blockSize: 26, disableBGPExport: true, nodeSelector: 'all()' });
  });

  it('checks BGPConfiguration scope rules', () => {
    expect(errors(res('BGPConfiguration', { asNumber: 65000 }, 'node.n1'))).toContain('spec.asNumber: can only be set on the "default" BGPConfiguration');
    expect(errors(res('BGPConfiguration', {}, 'other')).join()).toMatch(/must be "default" or "node.<nodename>"/);
    expect(errors(res('BGPConfiguration', { listenPort: 0 }, 'default')).join()).toMatch(/spec.listenPort: port must be/);
    expect(errors(res('BGPConfiguration', { prefixAdvertisements: [{ cidr: '10.0.0.0/8', communities: ['nope'] }] }, 'default')).join()).toMatch(/communities\[0\]/);
    const ok = validateResource(res('BGPConfiguration', { communities: [{ name: 'tag', value: '65000:1' }], prefixAdvertisements: [{ cidr: '10.0.0.0/8', communities: ['tag', '1:2:3'] }] }, 'default'));
    expect(ok.ok).toBe(true);
  });

  it('checks BlockAffinity and BGPFilter', () => {
    expect(errors(res('BlockAffinity', { node: 'n', cidr: '10.0.0.0/26', state: 'done' })).join()).toMatch(/spec.state/);
    expect(errors(res('BlockAffinity', { node: 'n', cidr: '10.0.0.0/26', state: 'confirmed', deleted: 'maybe' })).join()).toMatch(/spec.deleted/);
    const ba = validateResource(res('BlockAffinity', { node: 'n', cidr: '10.0.0.0/26', state: 'confirmed', deleted: 'false' }));
    expect(ba.ok && ba.resource).toMatchObject({ deleted: false, state: 'confirmed' });
    expect(errors(res('BGPFilter', { exportV4: [{ action: 'Accept', cidr: 'fd00::/64', matchOperator: 'In' }] })).join()).toMatch(/must be an IPv4 CIDR/);
    expect(errors(res('BGPFilter', { importV4: [{ action: 'Drop' }] })).join()).toMatch(/action/);
    expect(errors(res('BGPFilter', { importV4: [{ action: 'Accept', matchOperator: 'In' }] })).join()).toMatch(/set together/);
    expect(errors(res('BGPFilter', { exportV4: [{ action: 'Reject', communities: { values: ['65000:1'] } }] }))).toEqual(['spec.exportV4[0].communities: unsupported filter field; the filter is rejected rather than matching more than intended']);
    expect(errors(res('BGPFilter', { importV6: [{ action: 'Accept', source: 'RemotePeers' }] }))).toEqual(['spec.importV6[0].source: only export rules can match on source']);
    const ok = validateResource(res('BGPFilter', { exportV4: [{ action: 'Accept', cidr: '10.0.0.0/8', matchOperator: 'In', prefixLength: { min: 24, max: 26 }, source: 'RemotePeers', interface: 'eth*', peerType: 'iBGP' }] }));
    expect(ok.ok && ok.resource).toMatchObject({ exportV4: [{ action: 'Accept', cidr: { cidr: '10.0.0.0/8' }, matchOperator: 'In', prefixLength: { min: 24, max: 26 }, source: 'RemotePeers', interface: 'eth*', peerType: 'iBGP' }] });
  });

  it('warns about unknown fields but accepts the resource', () => {
    const out = validateResource(res('Node', { bgp: { ipv4Address: '10.0.0.1/24', flavour: 'x' } }, 'n1'));
    expect(out.ok).toBe(true);
    expect(out.warnings).toEqual(['spec.bgp.flavour: unknown field ignored']);
  });

  it('rejects a missing or invalid name', () => {
    expect(errors({ apiVersion: 'projectcalico.org/v3', kind: 'BGPPeer', metadata: {} as never, spec: {} }).join()).toMatch(/metadata.name/);
    expect(errors(res('BGPPeer', { peerIP: '1.1.1.1', asNumber: 1 }, 'Bad_Name')).join()).toMatch(/not a valid name/);
  });

  it('never throws, whatever the input', () => {
    const kind = fc.constantFrom('Node', 'BGPConfiguration', 'BGPPeer', 'IPPool', 'BlockAffinity', 'BGPFilter', 'Other');
    fc.assert(
      fc.property(kind, fc.anything(), fc.anything(), (k, spec, meta) => {
        validateResource({ apiVersion: 'projectcalico.org/v3', kind: k, metadata: (meta ?? {}) as never, spec: spec as never });
        validateResource({ apiVersion: 'projectcalico.org/v3', kind: k, metadata: { name: 'x' }, spec: spec as never });
      }),
      { numRuns: 3000 },
    );
  });
});
