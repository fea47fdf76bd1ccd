// One-line text form of a desired session, for `bgpd plan`, logs and golden tests. Stable: the
// same session always prints the same line, options in a fixed order, absent options omitted.
import type { DesiredSession } from './session.js';

export function formatSession(s: DesiredSession): string {
  const peer = s.family === 6 ? `[${s.peerAddress}]:${s.peerPort}` : `${s.peerAddress}:${s.peerPort}`;
  const parts = [s.name.padEnd(24), s.type.padEnd(6), `peer ${peer}`, `as ${s.peerAS}`, `local-as ${s.localAS}`];
  parts.push(s.passive ? 'passive' : 'active');
  if (s.localAddress) parts.push(`source ${s.localAddress}`);
  if (s.rrClient) parts.push(`rr-client cluster ${s.rrClusterId}`);
  if (s.nextHop !== 'auto') parts.push(`next-hop ${s.nextHop}`);
  if (s.password !== undefined) parts.push('password');
  if (s.ttlSecurity) parts.push(`ttl-security ${s.ttlSecurity}`);
  if (s.keepaliveTime !== undefined) parts.push(`keepalive ${s.keepaliveTime}`);
  parts.push(`gr ${s.gracefulRestartTime}`);
  if (s.numAllowedLocalAS) parts.push(`allow-local-as ${s.numAllowedLocalAS}`);
  if (s.reachableBy) parts.push(`reachable-by ${s.reachableBy}`);
  if (s.filters.length) parts.push(`filters ${s.filters.join(',')}`);
  if (s.peerNode) parts.push(`node ${s.peerNode}`);
  parts.push(`(${s.origin})`);
  return parts.join(' ');
}
