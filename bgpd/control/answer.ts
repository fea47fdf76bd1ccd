// What each command answers, as a table of printers per output format (text: BIRD's lines; json:
// one JSON document per 1100 line, for bgpctl). Every answer is a generator of reply lines whose
// return value is the final line, so the server can stream big tables in bounded chunks.
import type { Command } from './commands.js';
import { printProtocols, printStatus, protocolInfo, selectProtocols } from './print-protocols.js';
import { printRoutes, walkRoutes, type RouteTally } from './print-routes.js';
import { BIRD_VERSION, Code, type Printed, type ReplyLine } from './reply.js';
import type { StatusSource } from './status.js';
import { describeEvent, type TraceLog } from './trace.js';
import { formatDateTime } from './timefmt.js';

export interface AnswerContext {
  source: StatusSource;
  trace: TraceLog | null;
  now: number;
}

export type Format = 'text' | 'json';

type Printer<C> = (cmd: C, ctx: AnswerContext) => Printed;
type ByType = { [K in Command['type']]: Extract<Command, { type: K }> };
type PrinterTable = { [K in Exclude<Command['type'], 'quit'>]: Record<Format, Printer<ByType[K]>> };

const json = (value: unknown): ReplyLine => ({ code: Code.JSON, text: JSON.stringify(value) });
const done: ReplyLine = { code: Code.OK, text: '' };

function* single(value: unknown): Printed {
  yield json(value);
  return done;
}

function* fail(final: ReplyLine): Printed {
  return final;
}

function* memoryText(): Printed {
  const m = process.memoryUsage();
  const size = (label: string, bytes: number): ReplyLine => {
    let v = bytes;
    let i = 0;
    while (v >= 10000 && i < 3) {
      v = Math.round((v + 512) / 1024);
      i++;
    }
    return { code: Code.MEMORY, text: `${label.padEnd(17)} ${String(v).padStart(4)} ${' kMG'[i]}B` };
  };
  yield { code: Code.MEMORY, text: 'BIRD memory usage' };
  yield size('Heap used:', m.heapUsed);
  yield size('Heap total:', m.heapTotal);
  yield size('External:', m.external);
  yield size('Total:', m.rss);
  return done;
}

function* traceText(prefix: string, trace: TraceLog | null): Printed {
  const events = trace?.history(prefix) ?? [];
  if (events.length === 0) return { code: Code.NETWORK_NOT_IN_TABLE, text: `No events recorded for ${prefix}` };
  yield { code: Code.TRACE, text: `Route events of ${prefix}` };
  for (const e of events) yield { code: Code.TRACE, text: `  ${formatDateTime(e.at)}.${String(e.at % 1000).padStart(3, '0')}  ${describeEvent(e)}` };
  return done;
}

function* traceJson(prefix: string, trace: TraceLog | null): Printed {
  for (const e of trace?.history(prefix) ?? []) yield json(e);
  return done;
}

function* routesJson(cmd: ByType['show-route'], ctx: AnswerContext): Printed {
  const tally: RouteTally = { shown: 0, routes: 0, networks: 0 };
  const fast = quickCount(cmd, ctx.source);
  if (fast) {
    yield json({ shown: fast.routes, ...fast });
    return done;
  }
  for (const item of walkRoutes(ctx.source.routes(cmd.query), cmd, tally)) {
    if (item === null) yield null;
    else if (!cmd.count) yield json(item.route);
  }
  if (cmd.count) yield json(tally);
  if (cmd.query.kind !== 'all' && tally.routes === 0) return { code: Code.NETWORK_NOT_IN_TABLE, text: 'Network not in table' };
  return done;
}

/** `show route count` of the whole table from the source's own counters, when it keeps them. */
function quickCount(cmd: ByType['show-route'], source: StatusSource): { routes: number; networks: number } | null {
  if (!cmd.count || cmd.query.kind !== 'all' || cmd.primary || cmd.protocol !== null || !source.routeCount) return null;
  return source.routeCount();
}

function* routesText(cmd: ByType['show-route'], ctx: AnswerContext): Printed {
  const fast = quickCount(cmd, ctx.source);
  if (fast) return { code: Code.ROUTE_COUNT, text: `${fast.routes} of ${fast.routes} routes for ${fast.networks} networks` };
  return yield* printRoutes(ctx.source.routes(cmd.query), { ...cmd, verbose: cmd.all, lookup: cmd.query.kind !== 'all' }, ctx.now);
}

export const printers: PrinterTable = {
  'show-status': {
    text: (_c, ctx) => printStatus(ctx.source.daemon(), ctx.now),
    json: (_c, ctx) => single({ version: BIRD_VERSION, now: ctx.now, ...ctx.source.daemon() }),
  },
  'show-protocols': {
    text: (c, ctx) => {
      const sel = selectProtocols(ctx.source.protocols(), c.name, c.pattern);
      return Array.isArray(sel) ? printProtocols(sel, c.all, ctx.now) : fail(sel);
    },
    json: function* (c, ctx) {
      const sel = selectProtocols(ctx.source.protocols(), c.name, c.pattern);
      if (!Array.isArray(sel)) return sel;
      for (const p of sel) yield json({ ...p, infoText: protocolInfo(p) });
      return done;
    },
  },
  'show-route': {
    text: routesText,
    json: routesJson,
  },
  'show-memory': {
    text: () => memoryText(),
    json: () => single(process.memoryUsage()),
  },
  trace: {
    text: (c, ctx) => traceText(c.prefix, ctx.trace),
    json: (c, ctx) => traceJson(c.prefix, ctx.trace),
  },
  denied: {
    text: () => fail({ code: Code.ACCESS_DENIED, text: 'Access denied' }),
    json: () => fail({ code: Code.ACCESS_DENIED, text: 'Access denied' }),
  },
};

/** The answer to a parsed command (not `quit`, which the server handles). */
export function answer(cmd: Exclude<Command, { type: 'quit' }>, format: Format, ctx: AnswerContext): Printed {
  const row = printers[cmd.type] as Record<Format, Printer<typeof cmd>>;
  return row[format](cmd, ctx);
}
