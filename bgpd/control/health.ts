// Liveness and readiness as calico-node's probes judge BIRD (node/pkg/health: -bird-live runs
// `birdcl show status` and wants an answer starting with BIRD; -bird-ready wants every BGP peer
// Established for a threshold time after start, then at least one, and no graceful-restart
// recovery in progress). Pure verdicts from what the daemon answered; the CLI does the I/O.
import type { CalicoPeer } from './calicoctl.js';

export type Verdict = { ok: true; message: string } | { ok: false; message: string };

export function liveVerdict(statusReply: { firstText: string; finalCode: number } | Error): Verdict {
  if (statusReply instanceof Error) return { ok: false, message: `bgpd is not live: ${statusReply.message}` };
  if (!statusReply.firstText.startsWith('BIRD') || statusReply.finalCode !== 13) return { ok: false, message: `bgpd is not live: bad response: ${statusReply.firstText}` };
  return { ok: true, message: 'bgpd is live' };
}

export interface ReadyInput {
  peers: CalicoPeer[];
  /** Milliseconds since the daemon (or the node, by its nodename file) started. */
  sinceStartMs: number;
  thresholdMs: number;
  gracefulRestart: boolean;
}

export function readyVerdict(i: ReadyInput): Verdict {
  if (i.gracefulRestart) return { ok: false, message: 'bgpd is not ready: graceful restart in progress' };
  const down = i.peers.filter((p) => p.bgpState !== 'Established').map((p) => p.peerAddress);
  const up = i.peers.length - down.length;
  if (i.peers.length === 0) return { ok: true, message: 'bgpd is ready: no BGP peers' };
  if (i.sinceStartMs < i.thresholdMs) {
    // Right after start, all peerings must be up: a rolling update waits for BGP to come back.
    if (down.length > 0) return { ok: false, message: `bgpd is not ready: BGP not established with ${down.join(',')}` };
    return { ok: true, message: `bgpd is ready: ${up} BGP peers established` };
  }
  // Later one is enough, so that a few nodes going down do not take the whole mesh out of service.
  if (up > 0) return { ok: true, message: `bgpd is ready: ${up} of ${i.peers.length} BGP peers established` };
  return { ok: false, message: `bgpd is not ready: BGP not established with ${down.join(',')}` };
}
