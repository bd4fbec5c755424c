// The real PostgreSQL logs in test/fixtures/pg (see its README) and the grep-like helpers the insight tests
// check the reader and the digest against: expectations come from the files, not from the code under test.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'pg');
export const STDERR_FIXTURES = ['stderr-debian-prefix.log', 'stderr-rds-prefix.log', 'stderr-epoch-verbose.log'];
/** A server under load (mostly LOG lines) with the failed deployment played several times: the bench's log. */
export const PRODUCTION_FIXTURE = 'stderr-rds-production.log';

export const fixture = (name: string): string => join(FIXTURES, name);
/** The secrets in stderr-credentials.log (run E of scripts/make-pg-fixtures.sh): each starts with S3cr3t, and the role's own password. */
export const CREDENTIAL_SECRETS = /S3cr3t|app-secret-123/;

/** The real logs of server incidents made by hand (see test/fixtures/pg-incidents/README.md), as digestFiles takes them. */
export const incidentFile = (name: string): { name: string; path: string; size: number } => fixtureFile(join(FIXTURES, '..', 'pg-incidents', name));

/** A fixture (or any file, given a path) as digestFiles takes it. */
export function fixtureFile(name: string): { name: string; path: string; size: number } {
  const path = name.includes('/') ? name : fixture(name);
  return { name: basename(path), path, size: statSync(path).size };
}

/** A text's lines as `grep` sees them (no empty last line after the final newline). */
export function textLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The file's lines as `grep` sees them. */
export const fileLines = (path: string): string[] => textLines(readFileSync(path, 'utf8'));

/** The time at the start of a fixture line, read without the reader: `%m`/`%t` (in UTC) or `%n`; undefined when none. */
export function lineTime(line: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) UTC/.exec(line);
  if (m) return Date.parse(`${m[1]}T${m[2]}Z`);
  const n = /^(\d+)\.(\d{3}) /.exec(line);
  return n ? Number(n[1]) * 1000 + Number(n[2]) : undefined;
}

export const grep = (path: string, re: RegExp): string[] => fileLines(path).filter((l) => re.test(l));
/** grep over a text rather than a file. */
export const grepText = (text: string, re: RegExp): string[] => textLines(text).filter((l) => re.test(l));

/** A writer of files into one temporary folder, created on first use and removed when the process exits. */
export function tmpFiles(prefix: string): (name: string, content: string | Buffer) => string {
  let dir = '';
  process.on('exit', () => { if (dir !== '') rmSync(dir, { recursive: true, force: true }); });
  return (name, content) => {
    if (dir === '') dir = mkdtempSync(join(tmpdir(), prefix));
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
}
