// Test harness for session topologies: runs the real speaker inside this test process after moving
// the process's main thread into a network namespace (setns(2) through koffi), so tests can look
// at its sessions and Adj-RIB-In directly, while the peer daemons run in their own namespaces.
// Also builds NodeModels from Calico resources with the real config code.
import { closeSync, openSync } from 'node:fs';
import koffi from 'koffi';
import { buildNodeModel, type NodeModel } from '../../config/model.js';
import type { CalicoResource } from '../../config/datastore.js';
import { Speaker, type Log } from '../../bgpd/speaker.js';

const CLONE_NEWNET = 0x40000000;
let setnsFn: ((fd: number, nstype: number) => number) | null = null;
function setns(fd: number): void {
  setnsFn ??= koffi.load('libc.so.6').func('int setns(int, int)') as (fd: number, nstype: number) => number;
  if (setnsFn(fd, CLONE_NEWNET) !== 0) throw new Error(`setns failed (errno ${koffi.errno()})`);
}

/**
 * Move this process's main thread (where Node creates its sockets) into a namespace; returns a
 * function that moves it back. Only sockets created afterwards live in the namespace.
 */
export function enterNetns(ns: string): () => void {
  const home = openSync('/proc/thread-self/ns/net', 'r');
  const target = openSync(`/var/run/netns/${ns}`, 'r');
  try {
    setns(target);
  } finally {
    closeSync(target);
  }
  return () => {
    try {
      setns(home);
    } finally {
      closeSync(home);
    }
  };
}

export const quietLog: Log & { lines: string[] } = {
  lines: [],
  info(o, m) {
    this.lines.push(`info ${m} ${JSON.stringify(o)}`);
  },
  warn(o, m) {
    this.lines.push(`warn ${m} ${JSON.stringify(o)}`);
  },
  error(o, m) {
    this.lines.push(`error ${m} ${JSON.stringify(o)}`);
  },
  debug() {},
};

const v3 = (kind: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): CalicoResource => ({
  apiVersion: 'projectcalico.org/v3',
  kind,
  metadata: { name, ...(labels ? { labels } : {}) },
  spec,
});

export const res = {
  node: (name: string, spec: { ipv4?: string; ipv6?: string; as?: number }) =>
    v3('Node', name, { bgp: { ...(spec.ipv4 ? { ipv4Address: spec.ipv4 } : {}), ...(spec.ipv6 ? { ipv6Address: spec.ipv6 } : {}), ...(spec.as ? { asNumber: spec.as } : {}) } }),
  peer: (name: string, spec: Record<string, unknown>) => v3('BGPPeer', name, spec),
  block: (node: string, cidr: string) => v3('BlockAffinity', `${node}-${cidr.replace(/[./:]/g, '-')}`, { node, cidr, state: 'confirmed', deleted: 'false' }),
  pool: (name: string, cidr: string) => v3('IPPool', name, { cidr, ipipMode: 'Never', vxlanMode: 'Never' }),
  config: (spec: Record<string, unknown>) => v3('BGPConfiguration', 'default', spec),
};

export function model(nodeName: string, resources: CalicoResource[], secrets: { name: string; namespace: string; data: Record<string, string> }[] = []): NodeModel {
  const { model, problems } = buildNodeModel({ resources, secrets, problems: [] }, nodeName);
  const errors = problems.filter((p) => p.severity !== 'warning');
  if (errors.length) throw new Error(`model problems: ${JSON.stringify(errors)}`);
  return model;
}

/** A speaker with short timers for tests. */
export function testSpeaker(opts: { restarting?: boolean } = {}): Speaker {
  return new Speaker({ log: quietLog, restarting: opts.restarting ?? false, holdTime: 240, connectRetryTime: 5, backoff: { initialMs: 1000, maxMs: 8000 } });
}

/** `count` distinct /24s (IPv4) under 100.64.0.0/10 as text. */
export function manyPrefixes(count: number, base = 0): string[] {
  return Array.from({ length: count }, (_, i) => `100.${64 + ((base + i) >> 8)}.${(base + i) & 255}.0/24`);
}
