// RFC 4271 §8.2.2 FSM: every state × every event, plus the transitions the RFC spells out.
import { describe, expect, it } from 'vitest';
import { EVENT_NUMBER, STATES, initialFsm, transition, type FsmEvent, type FsmState, type StateName } from '../../bgpd/session/fsm.js';

const n = { code: 2, subcode: 2 };
function eventOf(type: keyof typeof EVENT_NUMBER): FsmEvent {
  if (type === 'BGPHeaderErr' || type === 'BGPOpenMsgErr' || type === 'UpdateMsgErr') return { type, notification: n };
  return { type } as FsmEvent;
}
const ALL_EVENTS = (Object.keys(EVENT_NUMBER) as (keyof typeof EVENT_NUMBER)[]).map(eventOf);
const at = (state: StateName, passive = false, counter = 3): FsmState => ({ state, passive, connectRetryCounter: counter });
const types = (t: { actions: { type: string }[] }) => t.actions.map((a) => a.type);

describe('FSM: every state and event', () => {
  it('names all 28 RFC events', () => {
    const numbers = Object.values(EVENT_NUMBER).filter((v) => v > 0).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 28 }, (_, i) => i + 1));
  });

  for (const state of STATES) {
    for (const passive of [false, true]) {
      for (const ev of ALL_EVENTS) {
        it(`${state}${passive ? ' (passive)' : ''} + ${ev.type}`, () => {
          const s = at(state, passive);
          const t = transition(s, ev);
          expect(STATES).toContain(t.state.state);
          // The input is never mutated: the FSM is a pure function.
          expect(s).toEqual(at(state, passive));
          const acts = types(t);
          // Falling to Idle from a state with a connection always drops it and releases resources.
          if (state !== 'Idle' && t.state.state === 'Idle') {
            expect(acts).toContain('DropTcp');
            expect(acts).toContain('ReleaseResources');
          }
          // A NOTIFICATION only goes out after our OPEN did (SendNOTIFICATIONwithoutOPEN is off).
          if (acts.includes('SendNotification')) expect(['OpenSent', 'OpenConfirm', 'Established']).toContain(state);
          // A strict-passive session never initiates a connection.
          if (passive) expect(acts).not.toContain('InitiateTcp');
          // Only OpenConfirm + KEEPALIVE reaches Established.
          if (t.state.state === 'Established' && state !== 'Established') {
            expect([state, ev.type]).toEqual(['OpenConfirm', 'KeepAliveMsg']);
            expect(acts).toContain('SessionEstablished');
          }
          // Start events are ignored outside Idle.
          if (state !== 'Idle' && /Start/.test(ev.type) && !/Stop/.test(ev.type)) expect(t).toEqual({ state: s, actions: [] });
          if (ev.type === 'ManualStop' && state !== 'Idle') expect(t.state).toEqual({ ...s, state: 'Idle', connectRetryCounter: 0 });
        });
      }
    }
  }
});

describe('FSM: the paths the RFC spells out', () => {
  it('Idle → Connect → OpenSent → OpenConfirm → Established', () => {
    let t = transition(initialFsm(false), { type: 'ManualStart' });
    expect(t.state.state).toBe('Connect');
    expect(types(t)).toEqual(['StartConnectRetryTimer', 'InitiateTcp']);
    t = transition(t.state, { type: 'Tcp_CR_Acked' });
    expect(t.state.state).toBe('OpenSent');
    expect(t.actions).toEqual([{ type: 'StopConnectRetryTimer' }, { type: 'SendOpen' }, { type: 'StartHoldTimer', large: true }]);
    t = transition(t.state, { type: 'BGPOpen' });
    expect(t.state.state).toBe('OpenConfirm');
    expect(types(t)).toEqual(['StopConnectRetryTimer', 'SendKeepalive', 'StartKeepaliveTimer', 'StartHoldTimer']);
    t = transition(t.state, { type: 'KeepAliveMsg' });
    expect(t.state.state).toBe('Established');
    t = transition(t.state, { type: 'UpdateMsg' });
    expect(t.state.state).toBe('Established');
    expect(types(t)).toEqual(['StartHoldTimer', 'ProcessUpdate']);
    t = transition(t.state, { type: 'KeepaliveTimer_Expires' });
    expect(types(t)).toEqual(['SendKeepalive', 'StartKeepaliveTimer']);
  });

  it('passive start waits in Active and never connects', () => {
    let t = transition(initialFsm(true), { type: 'AutomaticStart' });
    expect(t.state.state).toBe('Active');
    expect(t.actions).toEqual([]);
    t = transition(t.state, { type: 'ConnectRetryTimer_Expires' });
    expect(t.state.state).toBe('Active');
    t = transition(t.state, { type: 'TcpConnectionConfirmed' });
    expect(t.state.state).toBe('OpenSent');
  });

  it('damped start holds in Idle until IdleHoldTimer_Expires', () => {
    let t = transition(initialFsm(false), { type: 'AutomaticStart_with_DampPeerOscillations' });
    expect(t.state.state).toBe('Idle');
    expect(types(t)).toEqual(['StartIdleHoldTimer']);
    t = transition(t.state, { type: 'IdleHoldTimer_Expires' });
    expect(t.state.state).toBe('Connect');
    t = transition(initialFsm(false), { type: 'AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment' });
    t = transition(t.state, { type: 'IdleHoldTimer_Expires' });
    expect(t.state.state).toBe('Active');
  });

  it('connect failure in Connect goes Idle without counting; in Active it counts', () => {
    expect(transition(at('Connect', false, 2), { type: 'TcpConnectionFails' }).state).toEqual(at('Idle', false, 2));
    expect(transition(at('Active', false, 2), { type: 'TcpConnectionFails' }).state).toEqual(at('Idle', false, 3));
  });

  it('ConnectRetryTimer_Expires in Connect drops and retries', () => {
    const t = transition(at('Connect'), { type: 'ConnectRetryTimer_Expires' });
    expect(t.state.state).toBe('Connect');
    expect(types(t)).toEqual(['DropTcp', 'StartConnectRetryTimer', 'InitiateTcp']);
  });

  it('hold timer expiry sends NOTIFICATION code 4 from OpenSent, OpenConfirm and Established', () => {
    for (const st of ['OpenSent', 'OpenConfirm', 'Established'] as const) {
      const t = transition(at(st), { type: 'HoldTimer_Expires' });
      expect(t.state.state).toBe('Idle');
      expect(t.actions[0]).toEqual({ type: 'SendNotification', notification: { code: 4, subcode: 0 } });
    }
  });

  it('OPEN errors are answered with the given NOTIFICATION', () => {
    const bad = { code: 2, subcode: 2, data: Buffer.from([0, 1]) };
    const t = transition(at('OpenSent'), { type: 'BGPOpenMsgErr', notification: bad });
    expect(t.actions[0]).toEqual({ type: 'SendNotification', notification: bad });
    expect(t.state.state).toBe('Idle');
  });

  it('collision dump sends Cease / Connection Collision Resolution', () => {
    for (const st of ['OpenSent', 'OpenConfirm', 'Established'] as const) {
      const t = transition(at(st), { type: 'OpenCollisionDump' });
      expect(t.actions[0]).toEqual({ type: 'SendNotification', notification: { code: 6, subcode: 7 } });
    }
  });

  it('unexpected messages are FSM errors with the RFC 6608 subcode of the state', () => {
    expect(transition(at('OpenSent'), { type: 'UpdateMsg' }).actions[0]).toEqual({ type: 'SendNotification', notification: { code: 5, subcode: 1 } });
    expect(transition(at('OpenConfirm'), { type: 'UpdateMsg' }).actions[0]).toEqual({ type: 'SendNotification', notification: { code: 5, subcode: 2 } });
    expect(transition(at('Established'), { type: 'BGPOpen' }).actions[0]).toEqual({ type: 'SendNotification', notification: { code: 5, subcode: 3 } });
  });

  it('TCP failure in OpenSent falls back to Active and keeps listening', () => {
    const t = transition(at('OpenSent'), { type: 'TcpConnectionFails' });
    expect(t.state.state).toBe('Active');
    expect(types(t)).toContain('StartConnectRetryTimer');
  });

  it('ManualStop carries a given Cease (RFC 9003 shutdown communication)', () => {
    const n = { code: 6, subcode: 2, data: Buffer.from([3, 0x62, 0x79, 0x65]) };
    const t = transition(at('Established'), { type: 'ManualStop', notification: n });
    expect(t.actions[0]).toEqual({ type: 'SendNotification', notification: n });
    expect(transition(at('OpenSent'), { type: 'ManualStop' }).actions[0]).toEqual({ type: 'SendNotification', notification: { code: 6, subcode: 2 } });
  });

  it('an unwanted connection in Idle is dropped', () => {
    expect(types(transition(at('Idle'), { type: 'TcpConnectionConfirmed' }))).toEqual(['DropTcp']);
  });

  it('a peer NOTIFICATION in Established goes to Idle without answering', () => {
    const t = transition(at('Established'), { type: 'NotifMsg' });
    expect(t.state.state).toBe('Idle');
    expect(types(t)).not.toContain('SendNotification');
  });
});
