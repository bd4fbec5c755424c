// Counts in messages people read: "1 call", "2 calls", "12,345 entries".

/**
 * `n` with thousands separators and `digits` decimals, as English writes it: 12,345.6. Not toLocaleString:
 * its first call sets up Intl's number formatting, about 6 MiB more in every thread that calls it.
 */
export function formatCount(n: number, digits = 0): string {
  const fixed = Math.abs(n).toFixed(digits);
  const dot = fixed.indexOf('.');
  const int = dot === -1 ? fixed : fixed.slice(0, dot);
  let grouped = int;
  for (let i = int.length - 3; i > 0; i -= 3) grouped = `${grouped.slice(0, i)},${grouped.slice(i)}`;
  const sign = n < 0 && Number(fixed) !== 0 ? '-' : '';
  return sign + grouped + (dot === -1 ? '' : fixed.slice(dot));
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
