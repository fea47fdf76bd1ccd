// Issue 4 acceptance at the policy level: a node advertises exactly its blocks (not the pod /32s
// inside them), borrowed /32s from its pools, nothing of a disableBGPExport pool, and never a
// route from outside every pool (a ToR's) to its other peers.
import { describe, expect, it } from 'vitest';
import { block, EBGP, exported, fromPeer, IBGP, policy, pool, route } from './helpers.js';

const CLUSTER =
  pool('default', '10.244.0.0/16') +
  pool('quiet', '10.99.0.0/16', 'disableBGPExport: true') +
  block('b1', '10.244.1.0/26') +
  block('b2', '10.244.7.64/26') +
  block('q1', '10.99.0.0/26') +
  block('other', '10.244.9.0/26', 'n2');

describe('issue 4: what a Calico node exports', () => {
  const p = policy(CLUSTER);
  const candidates = [
    '10.244.1.0/26',
    '10.244.7.64/26',
    // pod /32s inside our blocks, as Felix's kernel routes to cali* veths are learned
    route('10.244.1.5/32', { iface: 'cali12345' }),
    route('10.244.1.63/32', { iface: 'calia' }),
    route('10.244.7.70/32', { iface: 'calib' }),
    '10.244.1.0/27',
  ];

  for (const peer of [EBGP, IBGP]) {
    it(`two local blocks with pods inside: exactly the two blocks go to an ${peer.ibgp ? 'iBGP' : 'eBGP'} peer`, () => {
      expect(exported(p, peer, candidates)).toEqual(['10.244.1.0/26', '10.244.7.64/26']);
    });
  }

  it('a borrowed /32 (inside an enabled pool, outside our blocks) is exported, via a cali device too', () => {
    const f = p.exportFilter(IBGP);
    expect(f(route('10.244.9.17/32', { iface: 'cali99' }))).not.toBeNull();
    expect(p.exportFilter(EBGP)(route('10.244.9.17/32'))).not.toBeNull();
    // A route another node advertised for its block is reflected/passed on (inside the pool).
    expect(p.exportFilter(EBGP)(route('10.244.9.0/26', { from: fromPeer(true) }))).not.toBeNull();
  });

  it('a disableBGPExport pool exports nothing, not even our own confirmed block of it', () => {
    expect(exported(p, EBGP, ['10.99.0.0/26', '10.99.0.7/32', '10.99.5.0/26'])).toEqual([]);
    expect(exported(p, IBGP, ['10.99.0.0/26'])).toEqual([]);
  });

  it('a ToR route outside every pool is not exported to other peers', () => {
    const tor = { from: fromPeer(false) };
    for (const peer of [EBGP, IBGP]) {
      const f = p.exportFilter(peer);
      expect(f(route('0.0.0.0/0', tor))).toBeNull();
      expect(f(route('172.16.0.0/12', tor))).toBeNull();
      expect(f(route('10.245.0.0/24', tor))).toBeNull();
    }
  });

  it('the same holds for IPv6 pools and blocks', () => {
    const p6 = policy(pool('v6', 'fd00:244::/56') + pool('v6q', 'fd00:99::/56', 'disableBGPExport: true') + block('b6', 'fd00:244:0:1::/122') + block('b6q', 'fd00:99::/122'));
    const peer = { ...EBGP, family: 6 as const };
    expect(
      exported(p6, peer, ['fd00:244:0:1::/122', 'fd00:244:0:1::5/128', 'fd00:244:0:2::9/128', 'fd00:99::/122', 'fd00:99::1/128', '2001:db8::/32', '::/0']),
    ).toEqual(['fd00:244:0:1::/122', 'fd00:244:0:2::9/128']);
  });
});
