// Timestamps as PostgreSQL writes them (`%t`, `%m`, `%n`, csvlog/jsonlog), with zone abbreviations
// placed in UTC when they are unambiguous.
import { d, isDigit, isAlnum } from './entry.ts';

const ZONES = new Map<string, number>([
  // Unambiguous abbreviations only (offset in minutes). CST and IST mean different zones in
  // different countries: those stay unknown rather than guessed.
  ['UTC', 0], ['GMT', 0], ['UT', 0], ['Z', 0], ['WET', 0], ['WEST', 60], ['BST', 60], ['CET', 60], ['CEST', 120],
  ['MET', 60], ['MEST', 120], ['EET', 120], ['EEST', 180], ['MSK', 180], ['EST', -300], ['EDT', -240], ['CDT', -300],
  ['MST', -420], ['MDT', -360], ['PST', -480], ['PDT', -420], ['AKST', -540], ['AKDT', -480], ['HST', -600],
  ['JST', 540], ['KST', 540], ['HKT', 480], ['SGT', 480], ['AEST', 600], ['AEDT', 660], ['ACST', 570],
  ['ACDT', 630], ['AWST', 480], ['NZST', 720], ['NZDT', 780],
]);
/** Where the digits of `YYYY-MM-DD HH:MM:SS` are. */
export const DATE_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/** Set by the time parsers: where the parsed timestamp ended, and an unknown zone if that was the failure. */
export let timeEnd = 0;
export let timeBadZone = '';
/** Caches of parseDateAt: the last `YYYY-MM-DD HH:MM:SS` and zone abbreviation seen. */
let lastSecond = '';
let lastSecondMs = 0;
let lastZone = '\u0000';
let lastZoneOffset = 0;

/**
 * `YYYY-MM-DD HH:MM:SS[.fff] ZONE` (also `T` instead of the space, numeric zones `+02`, `-0330`,
 * `+05:30`) starting at `i`, parsed to epoch milliseconds; NaN when it is not one or its zone is
 * unknown (then `timeBadZone` names it). Only reads up to `end`.
 */
export function parseDateAt(s: string, i: number, end: number = s.length): number {
  timeBadZone = '';
  if (i + 19 > end) return NaN;
  let base: number;
  // Lines of one second share the first 19 characters: parse those once.
  if (lastSecond !== '' && s.startsWith(lastSecond, i)) base = lastSecondMs;
  else {
    for (let k = 0; k < DATE_DIGITS.length; k++) if (!isDigit(s.charCodeAt(i + DATE_DIGITS[k]!))) return NaN;
    if (s.charCodeAt(i + 4) !== 45 || s.charCodeAt(i + 7) !== 45 || s.charCodeAt(i + 13) !== 58 || s.charCodeAt(i + 16) !== 58) return NaN;
    const sep = s.charCodeAt(i + 10);
    if (sep !== 32 && sep !== 84) return NaN;
    const year = d(s, i) * 1000 + d(s, i + 1) * 100 + d(s, i + 2) * 10 + d(s, i + 3);
    const month = d(s, i + 5) * 10 + d(s, i + 6);
    const day = d(s, i + 8) * 10 + d(s, i + 9);
    const hour = d(s, i + 11) * 10 + d(s, i + 12);
    const min = d(s, i + 14) * 10 + d(s, i + 15);
    const sec = d(s, i + 17) * 10 + d(s, i + 18);
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return NaN;
    base = Date.UTC(year, month - 1, day, hour, min, sec);
    lastSecond = s.slice(i, i + 19);
    lastSecondMs = base;
  }
  let j = i + 19;
  let ms = 0;
  if (j < end && s.charCodeAt(j) === 46 && j + 1 < end && isDigit(s.charCodeAt(j + 1))) {
    j++;
    let scale = 100;
    while (j < end && isDigit(s.charCodeAt(j))) {
      ms += d(s, j) * scale;
      scale /= 10;
      j++;
    }
    ms = Math.floor(ms);
  }
  // The zone: " UTC", " +02", "+02:00", "Z".
  let k = j;
  if (k < end && s.charCodeAt(k) === 32) k++;
  const c = k < end ? s.charCodeAt(k) : -1;
  let offset: number;
  if (c === 43 || c === 45) {
    let h = 0;
    let m = 0;
    let n = k + 1;
    if (!(isDigit(s.charCodeAt(n)) && isDigit(s.charCodeAt(n + 1))) || n + 2 > end) {
      timeBadZone = s.slice(k, Math.min(end, k + 6));
      return NaN;
    }
    h = d(s, n) * 10 + d(s, n + 1);
    n += 2;
    // Minutes: `+0530`, `+05:30`. But a zone of hours only (`-03`, `+04`) may be followed by the prefix's own
    // colon and the client's address or host (RDS's `%t:%r`: `-03:10.0.0.5(5432)`): see zoneMinutesAt.
    const p = n < end && s.charCodeAt(n) === 58 ? n + 1 : n;
    if (zoneMinutesAt(s, p, end)) {
      m = d(s, p) * 10 + d(s, p + 1);
      n = p + 2;
    }
    offset = (c === 45 ? -1 : 1) * (h * 60 + m);
    j = n;
  } else if (c >= 65 && c <= 90) {
    if (k + lastZone.length <= end && s.startsWith(lastZone, k) && !isAlnum(s.charCodeAt(k + lastZone.length))) {
      timeEnd = k + lastZone.length;
      return base + ms - lastZoneOffset * 60_000;
    }
    let n = k;
    while (n < end && n - k < 6 && ((s.charCodeAt(n) >= 65 && s.charCodeAt(n) <= 90) || (s.charCodeAt(n) >= 97 && s.charCodeAt(n) <= 122))) n++;
    const zone = s.slice(k, n);
    const off = ZONES.get(zone);
    if (off === undefined) {
      timeBadZone = zone;
      return NaN;
    }
    offset = off;
    lastZone = zone;
    lastZoneOffset = off;
    j = n;
  } else {
    // PostgreSQL always writes a zone; without one the instant is unknown.
    timeBadZone = '(none)';
    return NaN;
  }
  timeEnd = j;
  return base + ms - offset * 60_000;
}

/**
 * Whether the characters at `p` are a numeric zone's minutes: two digits under 60 that end the zone (a space,
 * a colon or the end follow). `-03:10.0.0.5`, `-03:10-244-1-5.pod`, `-03:45app@db` are hours and a host. The
 * fast paths (stderr.ts, wasm/log-scan.ts) leave a line to parseDateAt by the same test.
 */
export function zoneMinutesAt(s: string, p: number, end: number): boolean {
  if (p + 2 > end || !isDigit(s.charCodeAt(p)) || !isDigit(s.charCodeAt(p + 1)) || s.charCodeAt(p) > 53) return false;
  const next = p + 2 < end ? s.charCodeAt(p + 2) : 32;
  return next === 32 || next === 58;
}

/** `%n`: seconds since the epoch with milliseconds, e.g. `1714557600.123`. */
export function parseEpochAt(s: string, i: number, end: number): number {
  let j = i;
  let secs = 0;
  while (j < end && isDigit(s.charCodeAt(j)) && j - i < 12) secs = secs * 10 + d(s, j++);
  const digits = j - i;
  if (digits < 9 || digits > 11 || s.charCodeAt(j) !== 46) return NaN;
  j++;
  let ms = 0;
  let scale = 100;
  const from = j;
  while (j < end && isDigit(s.charCodeAt(j))) {
    ms += d(s, j) * scale;
    scale /= 10;
    j++;
  }
  if (j === from) return NaN;
  if (j < end && isAlnum(s.charCodeAt(j))) return NaN;
  timeEnd = j;
  return secs * 1000 + Math.floor(ms);
}

/** A timestamp as PostgreSQL writes it in csvlog/jsonlog (`2024-05-01 10:00:00.123 UTC`). */
export function parseLogTime(s: string): Date | undefined {
  const ms = parseDateAt(s, 0, s.length);
  return ms === ms ? new Date(ms) : undefined;
}
