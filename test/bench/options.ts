// Options of the benchmark parts: `--name value` or `--name=value` (the second survives runners that
// take bare words for part names), positive integers with optional `_` separators.
export interface Options {
  val(name: string): string | undefined;
  num(name: string, fallback: number): number;
}

export function options(args: string[]): Options {
  const val = (name: string): string | undefined => {
    const eq = args.find((a) => a.startsWith(`--${name}=`));
    if (eq) return eq.slice(name.length + 3);
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const num = (name: string, fallback: number): number => {
    const v = val(name);
    if (v === undefined) return fallback;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} wants a positive integer, not ${v}`);
    return n;
  };
  return { val, num };
}

export const mb = (b: number | undefined): string => (b === undefined ? '?' : `${(b / 1048576).toFixed(0)} MB`);
