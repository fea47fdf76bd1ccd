import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, Framer, packUpdates, prefixList, prefixListToStrings, type UpdateMessage } from '../../bgpd/wire/index.js';
import { CTX4 } from './helpers.js';

describe('codec smoke', () => {
  it('round-trips keepalive and an IPv4 update through the framer', () => {
    const upd: UpdateMessage = {
      type: 'update',
      withdrawn: prefixList(1, ['10.9.0.0/16']),
      attributes: { origin: 0, asPath: [{ type: 2, asns: [65001, 4200000000] }], nextHop: '192.0.2.1', communities: [1, 2] },
      nlri: prefixList(1, ['10.0.0.0/24', '0.0.0.0/0', '10.1.2.3/32']),
    };
    const bytes = Buffer.concat([encodeMessage({ type: 'keepalive' }, CTX4), encodeMessage(upd, CTX4)]);
    const msgs = new Framer().push(bytes);
    expect(msgs).toHaveLength(2);
    expect(decodeMessage(msgs[0], CTX4)).toEqual({ type: 'keepalive' });
    const back = decodeMessage(msgs[1], CTX4) as UpdateMessage;
    expect(back).toEqual(upd);
    expect(prefixListToStrings(back.nlri)).toEqual(['10.0.0.0/24', '0.0.0.0/0', '10.1.2.3/32']);
  });
  it('packs IPv6', () => {
    const p = prefixList(2, ['2001:db8::/32', 'fd00:1::/64']);
    const [b] = packUpdates({ origin: 0, asPath: [], mpReach: { afi: 2, safi: 1, nextHops: ['fd00::1', 'fe80::1'], nlri: p } }, p, CTX4);
    const m = decodeMessage(b, CTX4) as UpdateMessage;
    expect(m.attributes.mpReach?.nextHops).toEqual(['fd00::1', 'fe80::1']);
    expect(prefixListToStrings(m.attributes.mpReach!.nlri)).toEqual(['2001:db8::/32', 'fd00:1::/64']);
  });
});
