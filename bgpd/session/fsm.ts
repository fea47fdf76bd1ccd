// The BGP finite state machine of RFC 4271 §8, as a pure function: (state, event) → {state, actions}.
// It owns the state names, the event names (numbered as in §8.1) and the per-state rules of §8.2.2.
// It never touches a socket or a timer: the connection that owns it carries out the actions, in order.
//
// Optional session attributes (§8.1.1) in force here: DelayOpen is off (its events are still named and
// answered as the RFC says), DampPeerOscillations is on (events 6, 7 and 13 hold a session in Idle for a
// backoff before it connects again; §8.2.2 leaves the method to the implementation),
// SendNOTIFICATIONwithoutOPEN is off, CollisionDetectEstablishedState is off.

/** §8.2.2 states. */
export type StateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export const STATES: readonly StateName[] = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];

/** A NOTIFICATION to send (RFC 4271 §4.5). */
export interface NotificationSpec {
  code: number;
  subcode: number;
  data?: Buffer;
}

/** §8.1 events, named as in the RFC; the number is the RFC's event number. */
export type FsmEvent =
  | { type: 'ManualStart' } // 1
  | { type: 'ManualStop'; notification?: NotificationSpec } // 2 (a Cease with an RFC 9003 message may be given)
  | { type: 'AutomaticStart' } // 3
  | { type: 'ManualStart_with_PassiveTcpEstablishment' } // 4
  | { type: 'AutomaticStart_with_PassiveTcpEstablishment' } // 5
  | { type: 'AutomaticStart_with_DampPeerOscillations' } // 6
  | { type: 'AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment' } // 7
  | { type: 'AutomaticStop'; notification?: NotificationSpec } // 8
  | { type: 'ConnectRetryTimer_Expires' } // 9
  | { type: 'HoldTimer_Expires' } // 10
  | { type: 'KeepaliveTimer_Expires' } // 11
  | { type: 'DelayOpenTimer_Expires' } // 12
  | { type: 'IdleHoldTimer_Expires' } // 13
  | { type: 'TcpConnection_Valid' } // 14
  | { type: 'Tcp_CR_Invalid' } // 15
  | { type: 'Tcp_CR_Acked' } // 16
  | { type: 'TcpConnectionConfirmed' } // 17
  | { type: 'TcpConnectionFails' } // 18
  | { type: 'BGPOpen' } // 19
  | { type: 'BGPOpen_with_DelayOpenTimer_running' } // 20
  | { type: 'BGPHeaderErr'; notification: NotificationSpec } // 21
  | { type: 'BGPOpenMsgErr'; notification: NotificationSpec } // 22
  | { type: 'OpenCollisionDump' } // 23
  | { type: 'NotifMsgVerErr' } // 24
  | { type: 'NotifMsg' } // 25
  | { type: 'KeepAliveMsg' } // 26
  | { type: 'UpdateMsg' } // 27
  | { type: 'UpdateMsgErr'; notification: NotificationSpec } // 28
  | { type: 'RouteRefreshMsg' }; // RFC 2918 §4: not an RFC 4271 event, valid only in Established

export type FsmEventType = FsmEvent['type'];

export const EVENT_NUMBER: Record<FsmEventType, number> = {
  ManualStart: 1,
  ManualStop: 2,
  AutomaticStart: 3,
  ManualStart_with_PassiveTcpEstablishment: 4,
  AutomaticStart_with_PassiveTcpEstablishment: 5,
  AutomaticStart_with_DampPeerOscillations: 6,
  AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment: 7,
  AutomaticStop: 8,
  ConnectRetryTimer_Expires: 9,
  HoldTimer_Expires: 10,
  KeepaliveTimer_Expires: 11,
  DelayOpenTimer_Expires: 12,
  IdleHoldTimer_Expires: 13,
  TcpConnection_Valid: 14,
  Tcp_CR_Invalid: 15,
  Tcp_CR_Acked: 16,
  TcpConnectionConfirmed: 17,
  TcpConnectionFails: 18,
  BGPOpen: 19,
  BGPOpen_with_DelayOpenTimer_running: 20,
  BGPHeaderErr: 21,
  BGPOpenMsgErr: 22,
  OpenCollisionDump: 23,
  NotifMsgVerErr: 24,
  NotifMsg: 25,
  KeepAliveMsg: 26,
  UpdateMsg: 27,
  UpdateMsgErr: 28,
  RouteRefreshMsg: 0,
};

/** What the owner of the FSM must do, in order. */
export type FsmAction =
  | { type: 'StartConnectRetryTimer' }
  | { type: 'StopConnectRetryTimer' }
  | { type: 'StartIdleHoldTimer' }
  /** `large`: the 4-minute value of §8.2.2 used before the OPEN exchange; else the negotiated one. */
  | { type: 'StartHoldTimer'; large: boolean }
  | { type: 'StopHoldTimer' }
  | { type: 'StartKeepaliveTimer' }
  | { type: 'StopKeepaliveTimer' }
  | { type: 'InitiateTcp' }
  | { type: 'DropTcp' }
  | { type: 'SendOpen' }
  | { type: 'SendKeepalive' }
  | { type: 'SendNotification'; notification: NotificationSpec }
  | { type: 'ReleaseResources' }
  | { type: 'SessionEstablished' }
  | { type: 'ProcessUpdate' }
  | { type: 'ProcessRouteRefresh' };

export interface FsmState {
  state: StateName;
  /** §8.1.2 ConnectRetryCounter. */
  connectRetryCounter: number;
  /**
   * Never initiate TCP (BIRD's `passive on`, Calico's mesh rule): unlike the RFC's
   * PassiveTcpEstablishment, which only waits first, a passive session stays in Active for good.
   */
  passive: boolean;
}

export interface Transition {
  state: FsmState;
  actions: FsmAction[];
}

/** NOTIFICATION codes (RFC 4271 §4.5) and the subcodes the FSM itself sends. */
export const NOTIFY = {
  MessageHeaderError: 1,
  OpenMessageError: 2,
  UpdateMessageError: 3,
  HoldTimerExpired: 4,
  FsmError: 5,
  Cease: 6,
} as const;

/** RFC 4486 Cease subcodes. */
export const CEASE = {
  MaxPrefixes: 1,
  AdministrativeShutdown: 2,
  PeerDeconfigured: 3,
  AdministrativeReset: 4,
  ConnectionRejected: 5,
  OtherConfigurationChange: 6,
  ConnectionCollisionResolution: 7,
  OutOfResources: 8,
  HardReset: 9,
} as const;

/** RFC 6608: FSM Error subcodes name the state the unexpected message arrived in. */
const FSM_ERROR_SUBCODE: Partial<Record<StateName, number>> = { OpenSent: 1, OpenConfirm: 2, Established: 3 };

export function initialFsm(passive: boolean): FsmState {
  return { state: 'Idle', connectRetryCounter: 0, passive };
}

const to = (s: FsmState, state: StateName, actions: FsmAction[], counter = s.connectRetryCounter): Transition => ({
  state: { ...s, state, connectRetryCounter: counter },
  actions,
});
const stay = (s: FsmState, actions: FsmAction[] = []): Transition => ({ state: s, actions });

const START_EVENTS = new Set<FsmEventType>([
  'ManualStart',
  'AutomaticStart',
  'ManualStart_with_PassiveTcpEstablishment',
  'AutomaticStart_with_PassiveTcpEstablishment',
  'AutomaticStart_with_DampPeerOscillations',
  'AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment',
]);

const notify = (notification: NotificationSpec): FsmAction => ({ type: 'SendNotification', notification });
const cease = (subcode: number): FsmAction => notify({ code: NOTIFY.Cease, subcode });
const fsmError = (state: StateName): FsmAction => notify({ code: NOTIFY.FsmError, subcode: FSM_ERROR_SUBCODE[state] ?? 0 });
const holdExpired = notify({ code: NOTIFY.HoldTimerExpired, subcode: 0 });

// The actions of the messages that arrive all the time in Established, made once (callers only read
// a transition's actions).
const HOLD: FsmAction = Object.freeze({ type: 'StartHoldTimer', large: false });
const ON_KEEPALIVE = Object.freeze([HOLD]) as FsmAction[];
const ON_UPDATE = Object.freeze([HOLD, Object.freeze({ type: 'ProcessUpdate' })]) as FsmAction[];
const ON_ROUTE_REFRESH = Object.freeze([HOLD, Object.freeze({ type: 'ProcessRouteRefresh' })]) as FsmAction[];

/** The common way down: ConnectRetryTimer to zero, resources released, TCP dropped. */
function down(s: FsmState, before: FsmAction[], counter: number): Transition {
  return to(
    s,
    'Idle',
    [...before, { type: 'StopConnectRetryTimer' }, { type: 'StopHoldTimer' }, { type: 'StopKeepaliveTimer' }, { type: 'ReleaseResources' }, { type: 'DropTcp' }],
    counter,
  );
}

/** Start from Idle: connect (Connect state) or wait for the peer (Active state). */
function start(s: FsmState, passive: boolean): Transition {
  const p = passive || s.passive;
  // A strict-passive session never initiates TCP, so it needs no ConnectRetryTimer.
  return to(s, p ? 'Active' : 'Connect', p ? [] : [{ type: 'StartConnectRetryTimer' }, { type: 'InitiateTcp' }], 0);
}

function idle(s: FsmState, e: FsmEvent): Transition {
  switch (e.type) {
    case 'ManualStart':
    case 'AutomaticStart':
      return start(s, false);
    case 'ManualStart_with_PassiveTcpEstablishment':
    case 'AutomaticStart_with_PassiveTcpEstablishment':
      return start(s, true);
    case 'AutomaticStart_with_DampPeerOscillations':
      return stay({ ...s }, [{ type: 'StartIdleHoldTimer' }]);
    case 'AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment':
      return stay({ ...s, passive: true }, [{ type: 'StartIdleHoldTimer' }]);
    case 'IdleHoldTimer_Expires':
      return start(s, s.passive);
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
      // §8.2.2 Idle: "any other event ... does not cause change in the state"; the connection the
      // event stands for is not wanted, so it is closed.
      return stay(s, [{ type: 'DropTcp' }]);
    default:
      return stay(s);
  }
}

/** Connect and Active differ only in what a few events do; the rest is shared. */
function connectOrActive(s: FsmState, e: FsmEvent): Transition {
  const inConnect = s.state === 'Connect';
  switch (e.type) {
    case 'ManualStop':
      return down(s, [], 0);
    case 'ConnectRetryTimer_Expires':
      if (s.passive) return stay(s);
      return to(s, 'Connect', [...(inConnect ? [{ type: 'DropTcp' } as FsmAction] : []), { type: 'StartConnectRetryTimer' }, { type: 'InitiateTcp' }]);
    case 'DelayOpenTimer_Expires':
      return to(s, 'OpenSent', [{ type: 'SendOpen' }, { type: 'StartHoldTimer', large: true }]);
    case 'TcpConnection_Valid':
    case 'Tcp_CR_Invalid':
      return stay(s);
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
      return to(s, 'OpenSent', [{ type: 'StopConnectRetryTimer' }, { type: 'SendOpen' }, { type: 'StartHoldTimer', large: true }]);
    case 'TcpConnectionFails':
      if (inConnect) return down(s, [], s.connectRetryCounter);
      return down(s, [], s.connectRetryCounter + 1);
    case 'BGPOpen_with_DelayOpenTimer_running':
      return to(s, 'OpenConfirm', [
        { type: 'StopConnectRetryTimer' },
        { type: 'SendOpen' },
        { type: 'SendKeepalive' },
        { type: 'StartKeepaliveTimer' },
        { type: 'StartHoldTimer', large: false },
      ]);
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr':
    case 'NotifMsgVerErr':
      // SendNOTIFICATIONwithoutOPEN is off: no NOTIFICATION before our OPEN went out.
      return down(s, [], s.connectRetryCounter + 1);
    default:
      if (START_EVENTS.has(e.type)) return stay(s);
      // Events 8, 10, 11, 13, 19, 23, 25-28 and route refresh.
      return down(s, [], s.connectRetryCounter + 1);
  }
}

function openSent(s: FsmState, e: FsmEvent): Transition {
  switch (e.type) {
    case 'ManualStop':
      return down(s, [e.notification ? notify(e.notification) : cease(CEASE.AdministrativeShutdown)], 0);
    case 'AutomaticStop':
      return down(s, [e.notification ? notify(e.notification) : cease(CEASE.AdministrativeShutdown)], s.connectRetryCounter + 1);
    case 'HoldTimer_Expires':
      return down(s, [holdExpired], s.connectRetryCounter + 1);
    case 'TcpConnection_Valid':
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
    case 'Tcp_CR_Invalid':
      // A second connection: tracked by the owner for collision detection (§6.8).
      return stay(s);
    case 'TcpConnectionFails':
      if (s.passive) return to(s, 'Active', [{ type: 'StopHoldTimer' }, { type: 'DropTcp' }]);
      return to(s, 'Active', [{ type: 'StopHoldTimer' }, { type: 'DropTcp' }, { type: 'StartConnectRetryTimer' }]);
    case 'BGPOpen':
      return to(s, 'OpenConfirm', [
        { type: 'StopConnectRetryTimer' },
        { type: 'SendKeepalive' },
        { type: 'StartKeepaliveTimer' },
        { type: 'StartHoldTimer', large: false },
      ]);
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr':
      return down(s, [notify(e.notification)], s.connectRetryCounter + 1);
    case 'OpenCollisionDump':
      return down(s, [cease(CEASE.ConnectionCollisionResolution)], s.connectRetryCounter + 1);
    case 'NotifMsgVerErr':
      return down(s, [], s.connectRetryCounter);
    default:
      if (START_EVENTS.has(e.type)) return stay(s);
      // Events 9, 11-13, 20, 25-28 and route refresh: unexpected here.
      return down(s, [fsmError('OpenSent')], s.connectRetryCounter + 1);
  }
}

function openConfirm(s: FsmState, e: FsmEvent): Transition {
  switch (e.type) {
    case 'ManualStop':
      return down(s, [e.notification ? notify(e.notification) : cease(CEASE.AdministrativeShutdown)], 0);
    case 'AutomaticStop':
      return down(s, [e.notification ? notify(e.notification) : cease(CEASE.AdministrativeShutdown)], s.connectRetryCounter + 1);
    case 'HoldTimer_Expires':
      return down(s, [holdExpired], s.connectRetryCounter + 1);
    case 'KeepaliveTimer_Expires':
      return stay(s, [{ type: 'SendKeepalive' }, { type: 'StartKeepaliveTimer' }]);
    case 'TcpConnection_Valid':
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
    case 'Tcp_CR_Invalid':
      return stay(s);
    case 'TcpConnectionFails':
    case 'NotifMsg':
      return down(s, [], s.connectRetryCounter + 1);
    case 'NotifMsgVerErr':
      return down(s, [], s.connectRetryCounter);
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr':
      return down(s, [notify(e.notification)], s.connectRetryCounter + 1);
    case 'OpenCollisionDump':
      return down(s, [cease(CEASE.ConnectionCollisionResolution)], s.connectRetryCounter + 1);
    case 'KeepAliveMsg':
      return to(s, 'Established', [{ type: 'StartHoldTimer', large: false }, { type: 'SessionEstablished' }]);
    default:
      if (START_EVENTS.has(e.type)) return stay(s);
      // Events 9, 12, 13, 19 (a second OPEN on this connection), 20, 27, 28 and route refresh.
      return down(s, [fsmError('OpenConfirm')], s.connectRetryCounter + 1);
  }
}

function established(s: FsmState, e: FsmEvent): Transition {
  switch (e.type) {
    case 'ManualStop':
      return down(s, [e.notification ? notify(e.notification) : cease(CEASE.AdministrativeShutdown)], 0);
    case 'AutomaticStop':
      return down(s, [e.notification ? notify(e.notification) : cease(CEASE.AdministrativeShutdown)], s.connectRetryCounter + 1);
    case 'HoldTimer_Expires':
      return down(s, [holdExpired], s.connectRetryCounter + 1);
    case 'KeepaliveTimer_Expires':
      return stay(s, [{ type: 'SendKeepalive' }, { type: 'StartKeepaliveTimer' }]);
    case 'TcpConnection_Valid':
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
    case 'Tcp_CR_Invalid':
      // CollisionDetectEstablishedState is off: the owner closes the newcomer.
      return stay(s);
    case 'TcpConnectionFails':
    case 'NotifMsgVerErr':
    case 'NotifMsg':
      return down(s, [], s.connectRetryCounter + 1);
    case 'OpenCollisionDump':
      return down(s, [cease(CEASE.ConnectionCollisionResolution)], s.connectRetryCounter + 1);
    case 'KeepAliveMsg':
      return stay(s, ON_KEEPALIVE);
    case 'UpdateMsg':
      return stay(s, ON_UPDATE);
    case 'RouteRefreshMsg':
      return stay(s, ON_ROUTE_REFRESH);
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr':
    case 'UpdateMsgErr':
      return down(s, [notify(e.notification)], s.connectRetryCounter + 1);
    default:
      if (START_EVENTS.has(e.type)) return stay(s);
      // Events 9, 12, 13, 19, 20.
      return down(s, [fsmError('Established')], s.connectRetryCounter + 1);
  }
}

/** RFC 4271 §8.2.2: the next state and the actions to take, in order. Never throws. */
export function transition(s: FsmState, e: FsmEvent): Transition {
  switch (s.state) {
    case 'Idle':
      return idle(s, e);
    case 'Connect':
    case 'Active':
      return connectOrActive(s, e);
    case 'OpenSent':
      return openSent(s, e);
    case 'OpenConfirm':
      return openConfirm(s, e);
    case 'Established':
      return established(s, e);
  }
}
