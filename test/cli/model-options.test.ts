// calico-node's environment reaches the model: CALICO_ROUTER_ID and NAMESPACE.
import { describe, expect, it } from 'vitest';
import { buildNodeModel } from '../../config/model.js';
import type { Snapshot } from '../../config/datastore.js';
import { modelOptions } from '../../bgpd/main.js';

const snap: Snapshot = {
  resources: [
    {
      apiVersion: 'projectcalico.org/v3',
      kind: 'Node',
      metadata: { name: 'v6only' },
      spec: { bgp: { ipv6Address: 'fd00::5/64' } },
    },
  ],
  secrets: [],
  problems: [],
};

describe('modelOptions', () => {
  it('defaults the Secret namespace to kube-system and sets no router id', () => {
    expect(modelOptions({})).toEqual({ secretNamespace: 'kube-system' });
  });

  it('gives an IPv6-only node a router id from CALICO_ROUTER_ID=hash, as confd does', () => {
    const without = buildNodeModel(snap, 'v6only', modelOptions({}));
    expect(without.model.routerId).toBeUndefined();
    const withHash = buildNodeModel(snap, 'v6only', modelOptions({ CALICO_ROUTER_ID: 'hash', NAMESPACE: 'calico-system' }));
    expect(withHash.model.routerId).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });
});
