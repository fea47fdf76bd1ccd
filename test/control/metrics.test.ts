// Metrics scraped over real HTTP show the numbers the status source holds.
import { afterEach, describe, expect, it } from 'vitest';
import { ControlMetrics, parseListenAddress, type MetricsEndpoint } from '../../bgpd/control/metrics.js';
import { EventLog } from '../../bgpd/control/trace.js';
import { TestStatusSource, bgpProtocol, otherProtocol } from './test-source.js';

let endpoint: MetricsEndpoint | null = null;
afterEach(async () => {
  await endpoint?.close();
  endpoint = null;
});

/** The value of one sample line `name{labels} value`. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('metrics', () => {
  it('scrape shows sessions by state, per-peer prefixes and updates, FIB counters and install latency', async () => {
    const now = Date.now();
    const src = new TestStatusSource(now);
    src.protocolList = [
      otherProtocol('kernel1', 'Kernel', now),
      bgpProtocol({ name: 'Mesh_10_0_0_2', address: '10.0.0.2', since: now, routes: { received: 7, imported: 6, exported: 3, installed: 5 }, updatesIn: 11, updatesOut: 4 }),
      bgpProtocol({ name: 'Mesh_10_0_0_3', address: '10.0.0.3', since: now, routes: { received: 2, imported: 2, exported: 3, installed: 2 }, updatesIn: 1, updatesOut: 2 }),
      bgpProtocol({ name: 'Global_10_0_0_4', address: '10.0.0.4', since: now, bgpState: 'Active', lastError: 'Socket: Connection refused' }),
    ];
    src.fibStatus = { operations: { add: 40, replace: 3, delete: 9 }, errors: 2, routes: 31 };
    const events = new EventLog();
    const metrics = new ControlMetrics({ source: src, events });
    events.record({ type: 'learned', prefix: '10.244.0.0/26', at: 1000, peer: 'Mesh_10_0_0_2', nextHop: '10.0.0.2' });
    events.record({ type: 'installed', prefix: '10.244.0.0/26', at: 1040, detail: 'via 10.0.0.2' });
    endpoint = await metrics.serve('127.0.0.1', 0);

    const res = await fetch(`http://127.0.0.1:${endpoint.port}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(sample(text, 'bgpd_sessions', 'state="Established"')).toBe(2);
    expect(sample(text, 'bgpd_sessions', 'state="Active"')).toBe(1);
    expect(sample(text, 'bgpd_sessions', 'state="Idle"')).toBe(0);
    expect(sample(text, 'bgpd_peer_prefixes_received', 'peer="Mesh_10_0_0_2",neighbor="10.0.0.2"')).toBe(7);
    expect(sample(text, 'bgpd_peer_prefixes_accepted', 'peer="Mesh_10_0_0_2",neighbor="10.0.0.2"')).toBe(6);
    expect(sample(text, 'bgpd_peer_prefixes_advertised', 'peer="Mesh_10_0_0_3",neighbor="10.0.0.3"')).toBe(3);
    expect(sample(text, 'bgpd_peer_prefixes_installed', 'peer="Mesh_10_0_0_2",neighbor="10.0.0.2"')).toBe(5);
    expect(sample(text, 'bgpd_peer_established', 'peer="Global_10_0_0_4",neighbor="10.0.0.4"')).toBe(0);
    expect(sample(text, 'bgpd_peer_updates_received_total', 'peer="Mesh_10_0_0_2",neighbor="10.0.0.2"')).toBe(11);
    expect(sample(text, 'bgpd_peer_updates_sent_total', 'peer="Mesh_10_0_0_3",neighbor="10.0.0.3"')).toBe(2);
    expect(sample(text, 'bgpd_fib_operations_total', 'op="add"')).toBe(40);
    expect(sample(text, 'bgpd_fib_operations_total', 'op="delete"')).toBe(9);
    expect(sample(text, 'bgpd_fib_errors_total')).toBe(2);
    expect(sample(text, 'bgpd_fib_routes')).toBe(31);
    expect(sample(text, 'bgpd_route_install_seconds_count')).toBe(1);
    expect(sample(text, 'bgpd_route_install_seconds_bucket', 'le="0.05"')).toBe(1);
    expect(sample(text, 'bgpd_route_install_seconds_bucket', 'le="0.01"')).toBe(0);

    // The next scrape follows the source: a peer comes up, routes move.
    src.protocolList[3] = bgpProtocol({ name: 'Global_10_0_0_4', address: '10.0.0.4', since: now, routes: { received: 1 } });
    src.fibStatus = { operations: { add: 41, replace: 3, delete: 9 }, errors: 2, routes: 32 };
    const again = await (await fetch(`http://127.0.0.1:${endpoint.port}/metrics`)).text();
    expect(sample(again, 'bgpd_sessions', 'state="Established"')).toBe(3);
    expect(sample(again, 'bgpd_sessions', 'state="Active"')).toBe(0);
    expect(sample(again, 'bgpd_peer_prefixes_received', 'peer="Global_10_0_0_4",neighbor="10.0.0.4"')).toBe(1);
    expect(sample(again, 'bgpd_fib_operations_total', 'op="add"')).toBe(41);

    expect((await fetch(`http://127.0.0.1:${endpoint.port}/other`)).status).toBe(404);
  });

  it('reads listen addresses and rejects bad ones', () => {
    expect(parseListenAddress('127.0.0.1:9091')).toEqual({ host: '127.0.0.1', port: 9091 });
    expect(parseListenAddress(':9091')).toEqual({ host: '0.0.0.0', port: 9091 });
    expect(parseListenAddress('[::1]:9091')).toEqual({ host: '::1', port: 9091 });
    expect(() => parseListenAddress('nonsense')).toThrow(/host:port/);
    expect(() => parseListenAddress('a:70000')).toThrow(/range/);
  });
});
