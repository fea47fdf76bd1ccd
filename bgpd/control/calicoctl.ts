// `calicoctl node status`, reproduced: peers are read out of `show protocols` exactly the way
// calicoctl's scanBIRDPeers does (header must be `name proto table state since info`, rows from
// `1002-` or ` ` lines, BGP rows named Global_/Node_/Mesh_ only, the name's `_` turned back into the
// address separator), then printed in calicoctl's table. One daemon serves both families here, so
// IPv4 and IPv6 peers come from one socket and are told apart by the address in their name.
import ipaddr from 'ipaddr.js';
import { renderTable } from './table.js';

export interface CalicoPeer {
  peerAddress: string;
  peerType: string;
  state: string;
  since: string;
  bgpState: string;
  info: string;
}

const PEER_NAME = /^(Global|Node|Mesh)_(.+)$/;
const PEER_TYPES: Record<string, string> = { Global: 'global', Mesh: 'node-to-node mesh', Node: 'node specific' };
const HEADINGS = ['name', 'proto', 'table', 'state', 'since', 'info'];

export class BirdFormatError extends Error {}

function unmarshal(line: string): { peer: CalicoPeer; family: 4 | 6 } | null {
  const cols = line.split(/\s+/).filter((c) => c !== '');
  if (cols.length < 6 || cols[1] !== 'BGP') return null;
  const m = PEER_NAME.exec(cols[0]);
  if (!m) return null;
  const family = familyOfName(m[2]);
  return {
    family,
    peer: {
      peerAddress: m[2].replace(/_/g, family === 4 ? '.' : ':'),
      peerType: PEER_TYPES[m[1]],
      state: cols[3],
      since: cols[4],
      bgpState: cols[5],
      info: cols.slice(6).join(' '),
    },
  };
}

/** `10_0_0_2` (maybe with `_port_N`) is IPv4; anything else is read as IPv6. */
function familyOfName(addr: string): 4 | 6 {
  const plain = addr.replace(/_port_\d+$/, '').replace(/_/g, '.');
  return ipaddr.IPv4.isValidFourPartDecimal(plain) ? 4 : 6;
}

/** Peers of a raw `show protocols` reply, split by family, or a BirdFormatError as calicoctl would raise. */
export function scanPeers(reply: string): { ipv4: CalicoPeer[]; ipv6: CalicoPeer[] } {
  const out = { ipv4: [] as CalicoPeer[], ipv6: [] as CalicoPeer[] };
  for (const str of reply.split('\n')) {
    if (str === '') continue;
    let row: string;
    if (str.startsWith('0000')) break;
    else if (str.startsWith('0001')) continue;
    else if (str.startsWith('8003')) break; // no protocols at all: no peers (calicoctl never sees this from BIRD)
    else if (str.startsWith('2002')) {
      const f = str.slice(5).split(/\s+/).filter((c) => c !== '');
      if (f.join(' ') !== HEADINGS.join(' ')) throw new BirdFormatError('unknown BIRD table output format');
      continue;
    } else if (str.startsWith('1002')) row = str.slice(5);
    else if (str.startsWith(' ')) row = str.slice(1);
    else throw new BirdFormatError('unexpected output line from BIRD');
    const p = unmarshal(row);
    if (p) (p.family === 4 ? out.ipv4 : out.ipv6).push(p.peer);
  }
  return out;
}

export function peerTable(peers: CalicoPeer[]): string {
  return renderTable(
    ['Peer address', 'Peer type', 'State', 'Since', 'Info'],
    peers.map((p) => [p.peerAddress, p.peerType, p.state, p.since, p.info ? `${p.bgpState} ${p.info}` : p.bgpState]),
  );
}

/** The whole of `calicoctl node status` for a running node. */
export function nodeStatusText(peers: { ipv4: CalicoPeer[]; ipv6: CalicoPeer[] }): string {
  let out = 'Calico process is running.\n';
  for (const [v, list] of [['4', peers.ipv4], ['6', peers.ipv6]] as const) {
    out += `\nIPv${v} BGP status\n`;
    out += list.length === 0 ? `No IPv${v} peers found.\n` : peerTable(list);
  }
  return `${out}\n`;
}
