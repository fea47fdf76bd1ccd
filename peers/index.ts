// Public surface of peer selection: desired sessions from a NodeModel, their names and diffs.
export { computeSessions, type SessionPlan } from './compute.js';
export { diffSessions, diffModels, RESET_FIELDS, type SessionDiff, type SessionChange, type ModelChange } from './diff.js';
export { protocolName, type DesiredSession, type SessionType } from './session.js';
export { parseSelector, Selector, SelectorError } from './selector.js';
export { SessionTracker, type ConfigUpdate } from './tracker.js';
export { formatSession } from './print.js';
