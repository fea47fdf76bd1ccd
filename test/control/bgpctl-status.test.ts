// Golden tests of `bgpctl status` against calicoctl's own output. The expected texts are real
// `calicoctl node status` outputs (mesh, global and node-specific peers, up and down, INFO wrapped at
// 30 columns), and the status source holds the peers those nodes had.
import { afterEach, describe, expect, it } from 'vitest';
import { runBgpctl } from '../../bgpd/control/cli.js';
import type { ProtocolStatus } from '../../bgpd/control/status.js';
import { serve, type Served } from './helpers.js';
import { TestStatusSource, bgpProtocol, otherProtocol } from './test-source.js';

process.env.TZ = 'UTC';

let served: Served | null = null;
afterEach(async () => {
  await served?.stop();
  served = null;
});

async function bgpctl(now: number, protocols: ProtocolStatus[], args: string[]): Promise<{ code: number; out: string; err: string }> {
  const src = new TestStatusSource(now);
  src.protocolList = [otherProtocol('static1', 'Static', now - 86400_000), otherProtocol('kernel1', 'Kernel', now - 86400_000), otherProtocol('device1', 'Device', now - 86400_000), otherProtocol('direct1', 'Direct', now - 86400_000), ...protocols];
  served = await serve({ source: src, now: () => now });
  let out = '';
  let err = '';
  const code = await runBgpctl(['-s', served.path, ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

const at = (y: number, mo: number, d: number, h: number, mi: number, s: number) => Date.UTC(y, mo - 1, d, h, mi, s);

describe('bgpctl status prints calicoctl node status', () => {
  it('node-to-node mesh peers connecting and a node-specific peer up', async () => {
    const now = at(2026, 11, 24, 18, 0, 0);
    const since1 = at(2026, 11, 24, 17, 37, 59);
    const r = await bgpctl(
      now,
      [
        bgpProtocol({ name: 'Mesh_10_250_12_185', address: '10.250.12.185', since: since1, bgpState: 'Connect' }),
        bgpProtocol({ name: 'Mesh_10_250_12_186', address: '10.250.12.186', since: since1, bgpState: 'Connect' }),
        bgpProtocol({ name: 'Mesh_10_250_12_187', address: '10.250.12.187', since: since1, bgpState: 'Connect' }),
        bgpProtocol({ name: 'Node_10_250_12_1', address: '10.250.12.1', since: at(2026, 11, 24, 17, 38, 13) }),
      ],
      ['status'],
    );
    expect(r.code).toBe(0);
    expect(r.out).toBe(`Calico process is running.

IPv4 BGP status
+---------------+-------------------+-------+----------+-------------+
| PEER ADDRESS  |     PEER TYPE     | STATE |  SINCE   |    INFO     |
+---------------+-------------------+-------+----------+-------------+
| 10.250.12.185 | node-to-node mesh | start | 17:37:59 | Connect     |
| 10.250.12.186 | node-to-node mesh | start | 17:37:59 | Connect     |
| 10.250.12.187 | node-to-node mesh | start | 17:37:59 | Connect     |
| 10.250.12.1   | node specific     | up    | 17:38:13 | Established |
+---------------+-------------------+-------+----------+-------------+

IPv6 BGP status
No IPv6 peers found.

`);
  });

  it('a mesh peer refusing connections (INFO wrapped as calicoctl wraps it) and peers up since days', async () => {
    const now = at(2026, 11, 24, 9, 0, 0);
    const r = await bgpctl(
      now,
      [
        bgpProtocol({ name: 'Mesh_192_168_13_220', address: '192.168.13.220', since: at(2026, 11, 24, 8, 57, 8), bgpState: 'Active', lastError: 'Socket: Connection refused' }),
        bgpProtocol({ name: 'Mesh_192_168_13_221', address: '192.168.13.221', since: at(2023, 9, 21, 10, 0, 0) }),
        bgpProtocol({ name: 'Mesh_192_168_13_222', address: '192.168.13.222', since: at(2023, 9, 21, 10, 0, 0) }),
      ],
      ['status'],
    );
    expect(r.out).toBe(`Calico process is running.

IPv4 BGP status
+----------------+-------------------+-------+------------+--------------------------------+
|  PEER ADDRESS  |     PEER TYPE     | STATE |   SINCE    |              INFO              |
+----------------+-------------------+-------+------------+--------------------------------+
| 192.168.13.220 | node-to-node mesh | start | 08:57:08   | Active Socket: Connection      |
|                |                   |       |            | refused                        |
| 192.168.13.221 | node-to-node mesh | up    | 2023-09-21 | Established                    |
| 192.168.13.222 | node-to-node mesh | up    | 2023-09-21 | Established                    |
+----------------+-------------------+-------+------------+--------------------------------+

IPv6 BGP status
No IPv6 peers found.

`);
  });

  it('a global peer down next to mesh peers up', async () => {
    const now = at(2026, 11, 24, 9, 0, 0);
    const r = await bgpctl(
      now,
      [
        bgpProtocol({ name: 'Mesh_11_1_0_251', address: '11.1.0.251', since: at(2022, 6, 14, 1, 0, 0) }),
        bgpProtocol({ name: 'Mesh_12_1_0_252', address: '12.1.0.252', since: at(2022, 6, 14, 1, 0, 0) }),
        bgpProtocol({ name: 'Mesh_12_1_0_253', address: '12.1.0.253', since: at(2022, 6, 14, 1, 0, 0) }),
        bgpProtocol({ name: 'Global_13_1_0_1', address: '13.1.0.1', since: at(2026, 11, 24, 7, 36, 56), bgpState: 'Active', lastError: 'Socket: Connection refused' }),
      ],
      ['status'],
    );
    expect(r.out.split('\n').slice(3, 12).join('\n')).toBe(`+--------------+-------------------+-------+------------+--------------------------------+
| PEER ADDRESS |     PEER TYPE     | STATE |   SINCE    |              INFO              |
+--------------+-------------------+-------+------------+--------------------------------+
| 11.1.0.251   | node-to-node mesh | up    | 2022-06-14 | Established                    |
| 12.1.0.252   | node-to-node mesh | up    | 2022-06-14 | Established                    |
| 12.1.0.253   | node-to-node mesh | up    | 2022-06-14 | Established                    |
| 13.1.0.1     | global            | start | 07:36:56   | Active Socket: Connection      |
|              |                   |       |            | refused                        |
+--------------+-------------------+-------+------------+--------------------------------+`);
  });

  it('sockets closed and reset: Idle fits in 30 columns, the others wrap', async () => {
    const now = at(2026, 11, 24, 9, 0, 0);
    const since = at(2026, 11, 24, 2, 4, 22);
    const r = await bgpctl(
      now,
      [
        bgpProtocol({ name: 'Mesh_10_2_7_200', address: '10.2.7.200', since, bgpState: 'Idle', lastError: 'Socket: Connection closed' }),
        bgpProtocol({ name: 'Mesh_10_2_7_202', address: '10.2.7.202', since, bgpState: 'Active', lastError: 'Socket: Connection closed' }),
        bgpProtocol({ name: 'Mesh_10_0_0_8', address: '10.0.0.8', since, bgpState: 'Active', lastError: 'Socket: Connection reset by peer' }),
      ],
      ['status'],
    );
    expect(r.out.split('\n').slice(3, 12).join('\n')).toBe(`+--------------+-------------------+-------+----------+--------------------------------+
| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |              INFO              |
+--------------+-------------------+-------+----------+--------------------------------+
| 10.2.7.200   | node-to-node mesh | start | 02:04:22 | Idle Socket: Connection closed |
| 10.2.7.202   | node-to-node mesh | start | 02:04:22 | Active Socket: Connection      |
|              |                   |       |          | closed                         |
| 10.0.0.8     | node-to-node mesh | start | 02:04:22 | Active Socket: Connection      |
|              |                   |       |          | reset by peer                  |
+--------------+-------------------+-------+----------+--------------------------------+`);
  });

  it('IPv6 peers in their own table, IPv4 none', async () => {
    const now = at(2026, 11, 24, 9, 0, 0);
    const r = await bgpctl(
      now,
      [
        bgpProtocol({ name: 'Mesh_fd80_24e2_f998_72d7__2', address: 'fd80:24e2:f998:72d7::2', since: at(2026, 11, 24, 8, 1, 2) }),
        bgpProtocol({ name: 'Node_2001_db8__1', address: '2001:db8::1', since: at(2026, 11, 24, 8, 1, 3), bgpState: 'Active', lastError: 'Socket: Connection refused' }),
      ],
      ['status'],
    );
    expect(r.out).toBe(`Calico process is running.

IPv4 BGP status
No IPv4 peers found.

IPv6 BGP status
+------------------------+-------------------+-------+----------+--------------------------------+
|      PEER ADDRESS      |     PEER TYPE     | STATE |  SINCE   |              INFO              |
+------------------------+-------------------+-------+----------+--------------------------------+
| fd80:24e2:f998:72d7::2 | node-to-node mesh | up    | 08:01:02 | Established                    |
| 2001:db8::1            | node specific     | start | 08:01:03 | Active Socket: Connection      |
|                        |                   |       |          | refused                        |
+------------------------+-------------------+-------+----------+--------------------------------+

`);
  });

  it('--json gives the same peers as data', async () => {
    const now = at(2026, 11, 24, 9, 0, 0);
    const r = await bgpctl(now, [bgpProtocol({ name: 'Global_10_0_0_9', address: '10.0.0.9', since: at(2026, 11, 24, 8, 0, 0), bgpState: 'Active', lastError: 'Socket: Connection refused' })], ['--json', 'status']);
    expect(JSON.parse(r.out)).toEqual({
      ipv4: [{ peerAddress: '10.0.0.9', peerType: 'global', state: 'start', since: '08:00:00', bgpState: 'Active', info: 'Socket: Connection refused' }],
      ipv6: [],
    });
  });

  it('says the daemon is not running when nothing answers on the socket', async () => {
    let err = '';
    const code = await runBgpctl(['-s', '/nonexistent/bird.ctl', 'status'], { out: () => {}, err: (t) => (err += t) });
    expect(code).toBe(1);
    expect(err).toMatch(/^Calico process is not running\./);
  });
});
