// BIRD 1.6's default time formats, in local time like BIRD: `%F %T` for `show status` (tf_base),
// and for protocols and routes (tf_proto, tf_route) `%T` when less than 20 hours ago, else `%F`.

const RECENT_MS = 20 * 3600 * 1000;

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function date(d: Date): string {
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

function time(d: Date): string {
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** `2026-11-24 08:56:51` */
export function formatDateTime(t: number): string {
  const d = new Date(t);
  return `${date(d)} ${time(d)}`;
}

/** `08:56:51` for recent times, `2026-11-23` for older ones. */
export function formatSince(t: number, now: number): string {
  const d = new Date(t);
  return now - t < RECENT_MS ? time(d) : date(d);
}
