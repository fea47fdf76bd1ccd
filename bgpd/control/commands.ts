// The command language of the control socket: BIRD 1.6's CLI commands we answer, with BIRD's
// unambiguous abbreviations (`sh p` is `show protocols`; `sh r` is ambiguous between route, rip and
// roa, as in BIRD, so ambiguity is judged against BIRD's full word lists, not only ours), plus two
// extensions for bgpctl: `json <show command>` and `trace PREFIX`. Parsing is pure: a line in, a
// plain-data command or a BIRD error (code and message) out.
import ipaddr from 'ipaddr.js';
import type { RouteQuery } from './status.js';

export type Command =
  | { type: 'show-status' }
  | { type: 'show-protocols'; all: boolean; name: string | null; pattern: boolean }
  | { type: 'show-route'; query: RouteQuery; all: boolean; count: boolean; primary: boolean; protocol: string | null }
  | { type: 'show-memory' }
  | { type: 'trace'; prefix: string }
  | { type: 'quit' }
  | { type: 'denied'; command: string };

export type Parsed = { ok: true; command: Command; json: boolean } | { ok: false; code: number; message: string };

/** BIRD 1.6's top-level commands (client-side quit/exit included) and ours. */
const TOP = ['show', 'dump', 'configure', 'down', 'disable', 'enable', 'restart', 'reload', 'debug', 'mrtdump', 'restrict', 'echo', 'eval', 'help', 'graceful', 'quit', 'exit', 'json', 'trace'];
/** Commands that change state: the datastore is where configuration changes, so they are refused. */
const STATEFUL = new Set(['configure', 'down', 'disable', 'enable', 'restart', 'reload', 'debug', 'mrtdump', 'restrict', 'graceful', 'dump', 'echo', 'eval']);
const SHOW = ['status', 'interfaces', 'protocols', 'ospf', 'rip', 'static', 'route', 'roa', 'symbols', 'memory', 'bfd'];
const ROUTE_OPTS = ['for', 'table', 'filter', 'where', 'all', 'primary', 'export', 'preexport', 'noexport', 'protocol', 'stats', 'count'];

const MAX_WORDS = 32;

type Match = { word: string } | { error: 'unknown' | 'ambiguous' };

/** An exact keyword, or the only keyword the token is a prefix of. */
export function matchKeyword(token: string, words: readonly string[]): Match {
  const t = token.toLowerCase();
  if (words.includes(t)) return { word: t };
  const hits = words.filter((w) => w.startsWith(t));
  if (hits.length === 1) return { word: hits[0] };
  return { error: hits.length === 0 ? 'unknown' : 'ambiguous' };
}

/** Words split on blanks; a double-quoted word is kept whole and marked (BIRD's protocol patterns). */
function tokenize(line: string): { text: string; quoted: boolean }[] | null {
  const out: { text: string; quoted: boolean }[] = [];
  const re = /\s*(?:"([^"]*)"|([^\s"]+))/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(line))) {
    pos = re.lastIndex;
    if (m[1] !== undefined) out.push({ text: m[1], quoted: true });
    else out.push({ text: m[2], quoted: false });
  }
  if (line.slice(pos).trim() !== '') return null; // an unterminated quote
  return out;
}

const syntaxError = (message = 'syntax error'): Parsed => ({ ok: false, code: 9001, message });

export function parseCommand(line: string): Parsed {
  const words = tokenize(line.trim());
  if (!words) return syntaxError('syntax error, unterminated string');
  if (words.length === 0) return syntaxError();
  if (words.length > MAX_WORDS) return syntaxError('syntax error, too many words');
  let json = false;
  let rest = words;
  const first = matchKeyword(rest[0].text, TOP);
  if ('error' in first) return syntaxError(first.error === 'ambiguous' ? `syntax error, ambiguous command ${rest[0].text}` : 'syntax error');
  if (first.word === 'json') {
    json = true;
    rest = rest.slice(1);
    if (rest.length === 0) return syntaxError();
  }
  const parsed = parseBody(rest);
  if (!parsed.ok) return parsed;
  return { ok: true, command: parsed.command, json };
}

function parseBody(words: { text: string; quoted: boolean }[]): Parsed {
  const top = matchKeyword(words[0].text, TOP);
  if ('error' in top) return syntaxError(top.error === 'ambiguous' ? `syntax error, ambiguous command ${words[0].text}` : 'syntax error');
  const args = words.slice(1);
  switch (top.word) {
    case 'quit':
    case 'exit':
      return args.length === 0 ? ok({ type: 'quit' }) : syntaxError();
    case 'show':
      return parseShow(args);
    case 'trace':
      if (args.length !== 1 || !isPrefixOrAddress(args[0].text)) return syntaxError('syntax error, trace needs a prefix');
      return ok({ type: 'trace', prefix: normalizePrefix(args[0].text) });
    case 'help':
      return syntaxError('syntax error, help is answered by birdc itself');
    default:
      if (STATEFUL.has(top.word)) return { ok: false, code: 8007, message: 'Access denied' };
      return syntaxError();
  }
}

function ok(command: Command): Parsed {
  return { ok: true, command, json: false };
}

function parseShow(args: { text: string; quoted: boolean }[]): Parsed {
  if (args.length === 0) return syntaxError();
  const sub = matchKeyword(args[0].text, SHOW);
  if ('error' in sub) return syntaxError(sub.error === 'ambiguous' ? `syntax error, ambiguous command show ${args[0].text}` : 'syntax error');
  const rest = args.slice(1);
  switch (sub.word) {
    case 'status':
      return rest.length === 0 ? ok({ type: 'show-status' }) : syntaxError();
    case 'memory':
      return rest.length === 0 ? ok({ type: 'show-memory' }) : syntaxError();
    case 'protocols':
      return parseShowProtocols(rest);
    case 'route':
      return parseShowRoute(rest);
    default:
      return syntaxError(`syntax error, show ${sub.word} is not supported by this daemon`);
  }
}

function parseShowProtocols(args: { text: string; quoted: boolean }[]): Parsed {
  let all = false;
  let i = 0;
  // `all` may be abbreviated as birdc does (`sh p a`); a protocol name is never that short.
  if (i < args.length && !args[i].quoted && args[i].text.length > 0 && 'all'.startsWith(args[i].text.toLowerCase())) {
    all = true;
    i++;
  }
  if (i === args.length) return ok({ type: 'show-protocols', all, name: null, pattern: false });
  if (i + 1 !== args.length) return syntaxError();
  const w = args[i];
  if (!w.quoted && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(w.text)) return syntaxError();
  return ok({ type: 'show-protocols', all, name: w.text, pattern: w.quoted });
}

function parseShowRoute(args: { text: string; quoted: boolean }[]): Parsed {
  let query: RouteQuery = { kind: 'all' };
  let all = false;
  let count = false;
  let primary = false;
  let protocol: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const w = args[i];
    if (!w.quoted && isPrefixOrAddress(w.text)) {
      if (query.kind !== 'all') return syntaxError();
      query = { kind: 'exact', prefix: normalizePrefix(w.text) };
      continue;
    }
    const opt = matchKeyword(w.text, ROUTE_OPTS);
    if ('error' in opt) return syntaxError(opt.error === 'ambiguous' ? `syntax error, ambiguous option ${w.text}` : 'syntax error');
    switch (opt.word) {
      case 'for': {
        const target = args[++i];
        if (!target || query.kind !== 'all' || !isPrefixOrAddress(target.text)) return syntaxError('syntax error, for needs an address or prefix');
        query = { kind: 'for', address: target.text.includes('/') ? normalizePrefix(target.text) : ipaddr.parse(target.text).toString() };
        break;
      }
      case 'all':
        all = true;
        break;
      case 'count':
      case 'stats':
        count = true;
        break;
      case 'primary':
        primary = true;
        break;
      case 'protocol': {
        const name = args[++i];
        if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name.text)) return syntaxError('syntax error, protocol needs a name');
        protocol = name.text;
        break;
      }
      default:
        return syntaxError(`syntax error, show route ${opt.word} is not supported by this daemon`);
    }
  }
  return ok({ type: 'show-route', query, all, count, primary, protocol });
}

/** An IPv4/IPv6 address, or a prefix with a valid length. */
export function isPrefixOrAddress(text: string): boolean {
  try {
    if (text.includes('/')) {
      ipaddr.parseCIDR(text);
      return true;
    }
    return ipaddr.isValid(text) && (ipaddr.IPv4.isValidFourPartDecimal(text) || text.includes(':'));
  } catch {
    return false;
  }
}

/** `10.0.0.1/24` → `10.0.0.0/24`; a bare address becomes a host prefix. */
export function normalizePrefix(text: string): string {
  if (!text.includes('/')) {
    const a = ipaddr.parse(text);
    return `${a.toString()}/${a.kind() === 'ipv4' ? 32 : 128}`;
  }
  const [addr, len] = ipaddr.parseCIDR(text);
  const bytes = addr.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, len - i * 8));
    bytes[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return `${ipaddr.fromByteArray(bytes).toString()}/${len}`;
}
