// The jsonlog format: one JSON object per line.
import { BaseParser, SEVERITIES, newEntry } from '../entry.ts';
import { parseDateAt, timeBadZone } from '../time.ts';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Fields of a jsonlog line cut at maxLineLength: the ones before the cut, read one by one. */
function salvageJson(text: string): Record<string, unknown> | undefined {
  const o: Record<string, unknown> = {};
  const re = /"([a-z_]+)":(?:"((?:[^"\\]|\\.)*)"|(-?\d+))/g;
  let m: RegExpExecArray | null;
  let any = false;
  while ((m = re.exec(text)) !== null) {
    const key = m[1]!;
    if (m[2] !== undefined) {
      try {
        o[key] = JSON.parse(`"${m[2]}"`);
      } catch {
        continue;
      }
    } else o[key] = Number(m[3]);
    any = true;
  }
  return any ? o : undefined;
}

export class JsonParser extends BaseParser {
  // PostgreSQL starts each line with `{`. Anything else is no entry, and is not decoded (bytes that are not
  // UTF-8 decode slowly) nor given to JSON.parse (its thrown error costs microseconds: a file of short lines
  // that are not JSON read at 1 MiB/s).
  override lineAt(buf: Buffer, s: string, start: number, end: number, lineNo: number, truncated: boolean, droppedQuotes: number): void {
    if (buf[start] !== 123) this.unparsedAt(buf, start, end, lineNo);
    else super.lineAt(buf, s, start, end, lineNo, truncated, droppedQuotes);
  }

  line(text: string, lineNo: number, truncated: boolean): void {
    let o: Record<string, unknown> | undefined;
    try {
      const v: unknown = JSON.parse(text);
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) o = v as Record<string, unknown>;
    } catch {
      if (truncated) o = salvageJson(text);
    }
    const sev = o !== undefined && typeof o['error_severity'] === 'string' ? SEVERITIES.get(o['error_severity']) : undefined;
    if (o === undefined || sev === undefined) {
      this.unparsed(text, lineNo);
      return;
    }
    const ts = typeof o['timestamp'] === 'string' ? o['timestamp'] : '';
    const ms = parseDateAt(ts, 0, ts.length);
    if (ms !== ms) this.noteBadZone(timeBadZone);
    const e = newEntry(sev, typeof o['message'] === 'string' ? o['message'] : '', ms, this.file, lineNo);
    const pid = o['pid'];
    e.pid = typeof pid === 'number' && Number.isInteger(pid) ? pid : undefined;
    e.user = str(o['user']);
    e.database = str(o['dbname']);
    e.sqlstate = str(o['state_code']);
    e.detail = str(o['detail']);
    e.hint = str(o['hint']);
    e.query = str(o['internal_query']);
    e.context = str(o['context']);
    e.statement = str(o['statement']);
    const fn = str(o['func_name']);
    const file = str(o['file_name']);
    if (fn !== undefined || file !== undefined) {
      const ln = o['file_line_num'];
      e.location = [fn, file !== undefined ? `${file}${typeof ln === 'number' ? `:${ln}` : ''}` : undefined].filter(Boolean).join(', ');
    }
    this.emit(e);
  }

  override blank(n: number, lineNo: number): void {
    this.blankUnparsed(n, lineNo);
  }

  end(): void {}
}

/** Is this line a jsonlog object? */
export function looksLikeJsonlog(text: string): boolean {
  if (text.charCodeAt(0) !== 123) return false;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && typeof (v as Record<string, unknown>)['error_severity'] === 'string';
  } catch {
    return text.includes('"error_severity":');
  }
}
