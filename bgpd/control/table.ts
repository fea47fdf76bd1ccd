// The bordered table calicoctl prints (github.com/olekukonko/tablewriter v0.0.5 with its defaults:
// upper-cased centred headers, cells wrapped at 30 columns by minimum raggedness, numbers aligned
// right, other cells left). Reproduced rule for rule so `bgpctl status` matches calicoctl byte for byte.

const MAX_ROW_WIDTH = 30;
const PENALTY = 1e5;
const DECIMAL = /^-?(?:\d{1,3}(?:,\d{3})*|\d+)(?:\.\d+)?$/;

/** Minimum-raggedness word wrap (tablewriter WrapWords). */
function wrapWords(words: string[], spc: number, lim: number): string[][] {
  const n = words.length;
  const length: number[][] = [];
  for (let i = 0; i < n; i++) {
    length.push(new Array<number>(n).fill(0));
    length[i][i] = words[i].length;
    for (let j = i + 1; j < n; j++) length[i][j] = length[i][j - 1] + spc + words[j].length;
  }
  const nbrk = new Array<number>(n).fill(0);
  const cost = new Array<number>(n).fill(2 ** 31 - 1);
  for (let i = n - 1; i >= 0; i--) {
    if (length[i][n - 1] <= lim) {
      cost[i] = 0;
      nbrk[i] = n;
      continue;
    }
    for (let j = i + 1; j < n; j++) {
      const d = lim - length[i][j - 1];
      let c = d * d + cost[j];
      if (length[i][j - 1] > lim) c += PENALTY;
      if (c < cost[i]) {
        cost[i] = c;
        nbrk[i] = j;
      }
    }
  }
  const lines: string[][] = [];
  for (let i = 0; i < n; i = nbrk[i]) lines.push(words.slice(i, nbrk[i]));
  return lines;
}

/** tablewriter WrapString: a word longer than the limit raises the limit. */
function wrapString(s: string, limit: number): string[] {
  const words = s.replace(/\n/g, ' ').split(' ');
  let lim = limit;
  for (const w of words) if (w.length > lim) lim = w.length;
  return wrapWords(words, 1, lim).map((l) => l.join(' '));
}

/** A cell's lines and width (tablewriter parseDimension with autoWrap and reflowText). */
function cellLines(text: string): { lines: string[]; width: number } {
  const raw = text.split('\n');
  let maxWidth = Math.max(...raw.map((l) => l.length));
  if (maxWidth > MAX_ROW_WIDTH) maxWidth = MAX_ROW_WIDTH;
  let width = maxWidth;
  const lines = wrapString(raw.join(' '), maxWidth);
  for (const l of lines) width = Math.max(width, l.length);
  return { lines, width };
}

/** tablewriter Title: `_` to space, upper case. */
function title(h: string): string {
  return h.replace(/_/g, ' ').trim().toUpperCase() || (h.length > 0 ? ' ' : '');
}

function center(s: string, width: number): string {
  const gap = width - s.length;
  if (gap <= 0) return s;
  const left = Math.floor(gap / 2);
  return ' '.repeat(left) + s + ' '.repeat(gap - left);
}

export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map(() => 0);
  const head = headers.map((h, i) => {
    const c = cellLines(h);
    widths[i] = Math.max(widths[i], c.width);
    return c.lines;
  });
  const body = rows.map((row) =>
    row.map((cell, i) => {
      const c = cellLines(cell);
      widths[i] = Math.max(widths[i], c.width);
      return c.lines;
    }),
  );
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  let out = rule;
  const headHeight = Math.max(...head.map((l) => l.length));
  for (let x = 0; x < headHeight; x++) out += `|${head.map((l, i) => ` ${center(title(l[x] ?? ''), widths[i])} `).join('|')}|\n`;
  out += rule;
  for (const row of body) {
    const height = Math.max(...row.map((l) => l.length));
    for (let x = 0; x < height; x++) {
      out += `|${row
        .map((l, i) => {
          const s = l[x] ?? '  ';
          return ` ${DECIMAL.test(s.trim()) ? s.padStart(widths[i]) : s.padEnd(widths[i])} `;
        })
        .join('|')}|\n`;
    }
  }
  return out + rule;
}
