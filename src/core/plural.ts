// Counts in messages people read: "1 call", "2 calls", "12,345 entries".

/**
 * `n` with thousands separators and `digits` decimals, as English writes it: 12,345.6. Not toLocaleString:
 * its first call sets up Intl's number formatting, about 6 MiB more in every thread that calls it. Rounds as
 * Intl does, the number as written in decimal (1.45 to 1.5; toFixed gives 1.4, from the binary value below it).
 */
export function formatCount(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  const scale = 10 ** digits;
  let scaled = Math.round(Number(`${Math.abs(n)}e${digits}`));
  // Written with an exponent itself (1e-7, 1e21): shift by multiplying.
  if (Number.isNaN(scaled)) scaled = Math.round(Math.abs(n) * scale);
  const int = String(Math.floor(scaled / scale));
  let grouped = int;
  for (let i = int.length - 3; i > 0; i -= 3) grouped = `${grouped.slice(0, i)},${grouped.slice(i)}`;
  const frac = digits > 0 ? `.${String(scaled % scale).padStart(digits, '0')}` : '';
  return (n < 0 && scaled !== 0 ? '-' : '') + grouped + frac;
}

/**
 * A duration as PostgreSQL logged it (`3120.650`, in ms), with separators and the digits it was logged with
 * (`3,120.650`); undefined when it is not a plain number of a sane length (a hostile line's thousand digits).
 */
export function formatLogged(logged: string): string | undefined {
  const m = /^(\d{1,15})(?:\.(\d{1,9}))?$/.exec(logged);
  return m ? formatCount(Number(logged), m[2]?.length ?? 0) : undefined;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** `s` with its first letter upper case, as a title or a line starts. */
export function capital(s: string): string {
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}`;
}
