// The kinds of failure an error can be, by SQLSTATE and by the English wording of the common PostgreSQL
// messages (lc_messages = C): one table, so every log format gives the same kinds. kind-of.ts adds their
// translations; scripts/pg-translations.ts asks this table (not the translations it writes) what they mean.

export type KindId =
  | 'missing-object' | 'syntax' | 'constraint' | 'invalid-data' | 'authentication' | 'permission' | 'lock'
  | 'timeout' | 'terminated' | 'resources' | 'crash' | 'raised';

interface Kind {
  id: KindId;
  label: string;
  /** Full SQLSTATE codes, or two-character classes. */
  sqlstates: readonly string[];
  /** Message patterns, for logs without SQLSTATE. */
  patterns: readonly RegExp[];
}

// Order matters: the first match wins (e.g. a FATAL `role "x" does not exist` is a failed login, not a missing
// object; `canceling statement due to lock timeout` is a lock, not a statement timeout).
const KINDS: readonly Kind[] = [
  {
    id: 'authentication', label: 'authentication', sqlstates: ['28'],
    patterns: [/authentication failed for user/, /^no pg_hba\.conf entry/, /^pg_hba\.conf rejects connection /, /^role "(?:[^"]|"")*" (?:does not exist|is not permitted to log in)$/],
  },
  {
    id: 'missing-object', label: 'missing object',
    sqlstates: ['42P01', '42703', '42883', '42704', '42P02', '3D000', '3F000', '26000', '34000'],
    patterns: [/ does not exist$/, /^operator does not exist: /],
  },
  { id: 'syntax', label: 'syntax error', sqlstates: ['42601'], patterns: [/^syntax error /, /^unterminated /, /^zero-length delimited identifier/] },
  {
    id: 'constraint', label: 'constraint violation', sqlstates: ['23'],
    patterns: [
      /^duplicate key value violates /, / violates (?:unique|foreign key|not-null|check|exclusion) constraint(?: |$)/,
      // A migration adding a constraint to rows that break it (CREATE UNIQUE INDEX, SET NOT NULL, ADD CHECK).
      /^could not create unique index /, /^column "(?:[^"]|"")*" of relation "(?:[^"]|"")*" contains null values$/,
      /^check constraint "(?:[^"]|"")*" of relation "(?:[^"]|"")*" is violated by some row$/,
    ],
  },
  { id: 'permission', label: 'permission denied', sqlstates: ['42501'], patterns: [/^permission denied /, /^must be (?:owner|superuser|a member) /] },
  {
    id: 'lock', label: 'deadlock, lock timeout or serialization failure', sqlstates: ['40P01', '40001', '55P03'],
    patterns: [/^deadlock detected$/, /^could not obtain lock /, /^canceling statement due to lock timeout$/, /^could not serialize access /],
  },
  {
    id: 'timeout', label: 'statement timeout or cancel', sqlstates: ['57014', '25P03', '57P05'],
    patterns: [/^canceling statement due to /, /^canceling autovacuum task$/, /^terminating connection due to idle/],
  },
  {
    id: 'crash', label: 'server restart or crash', sqlstates: ['57P02', '57P03'],
    patterns: [
      /terminated by (?:signal|exception)/, /exited with exit code [1-9]/, /^database system was interrupted/,
      /^database system was not properly shut down/, /^the database system is (?:starting up|in recovery mode|shutting down|not (?:yet )?accepting connections)/,
      /^terminating connection because of crash of another server process$/,
    ],
  },
  {
    id: 'terminated', label: 'terminated connection', sqlstates: ['57P01', '57P04', '08'],
    patterns: [/^terminating connection /, /^connection to client lost$/, /^could not receive data from client/, /^unexpected EOF on client connection/],
  },
  {
    id: 'resources', label: 'out of memory, disk or connections', sqlstates: ['53'],
    patterns: [
      /^out of memory$/, /^out of shared memory$/, /^could not map anonymous shared memory/, /No space left on device/, /^could not extend file /,
      /too many clients already$/, /^remaining connection slots are reserved/,
      /^too many connections for (?:role|database) /, /^temporary file size exceeds temp_file_limit /,
    ],
  },
  { id: 'invalid-data', label: 'invalid data', sqlstates: ['22'], patterns: [/^invalid input syntax for /, / out of range/, /^division by zero$/, /^value too long for /] },
  { id: 'raised', label: 'raised by the application (RAISE)', sqlstates: ['P0001'], patterns: [] },
];

// SQLSTATE classes, as PostgreSQL's documentation names them (Appendix A), for codes no kind above covers.
const CLASSES: Record<string, string> = {
  '01': 'warning', '02': 'no data', '03': 'SQL statement not yet complete', '08': 'connection exception',
  '09': 'triggered action exception', '0A': 'feature not supported', '0B': 'invalid transaction initiation',
  '0F': 'locator exception', '0L': 'invalid grantor', '0P': 'invalid role specification', '0Z': 'diagnostics exception',
  '20': 'case not found', '21': 'cardinality violation', '22': 'data exception', '23': 'integrity constraint violation',
  '24': 'invalid cursor state', '25': 'invalid transaction state', '26': 'invalid SQL statement name',
  '27': 'triggered data change violation', '28': 'invalid authorization specification',
  '2B': 'dependent privilege descriptors still exist', '2D': 'invalid transaction termination',
  '2F': 'SQL routine exception', '34': 'invalid cursor name', '38': 'external routine exception',
  '39': 'external routine invocation exception', '3B': 'savepoint exception', '3D': 'invalid catalog name',
  '3F': 'invalid schema name', '40': 'transaction rollback', '42': 'syntax error or access rule violation',
  '44': 'WITH CHECK OPTION violation', '53': 'insufficient resources', '54': 'program limit exceeded',
  '55': 'object not in prerequisite state', '57': 'operator intervention', '58': 'system error',
  '72': 'snapshot failure', 'F0': 'configuration file error', 'HV': 'foreign data wrapper error',
  'P0': 'PL/pgSQL error', 'XX': 'internal error',
};

/**
 * `code` is a SQLSTATE of a class PostgreSQL has: what tells a verbose log's "42P01: relation ..." from a
 * message that only starts like one ("ERROR: payment failed", "USER1: not allowed" from a RAISE).
 */
export function isSqlstate(code: string): boolean {
  if (!/^[0-9A-Z]{5}$/.test(code)) return false;
  const cls = code.slice(0, 2);
  return cls === '00' || Object.hasOwn(CLASSES, cls);
}

const BY_CODE = new Map<string, Kind>();
for (const k of KINDS) for (const s of k.sqlstates) BY_CODE.set(s, k);
const BY_ID = new Map<KindId, Kind>(KINDS.map((k) => [k.id, k]));

/** The kind the English wording of a message says (scripts/pg-translations.ts gives translations the same). */
export function kindByWording(message: string): KindId | undefined {
  for (const k of KINDS) if (k.patterns.some((p) => p.test(message))) return k.id;
  return undefined;
}

export const OTHER = 'other';

/**
 * The kind's label by SQLSTATE (the full code, then its class; an unlisted class is named `SQLSTATE class 0A
 * (feature not supported)`); undefined when there is none to go by.
 */
export function kindBySqlstate(sqlstate: string | undefined): string | undefined {
  if (sqlstate === undefined || !/^[0-9A-Z]{5}$/.test(sqlstate) || sqlstate === '00000') return undefined;
  const k = BY_CODE.get(sqlstate) ?? BY_CODE.get(sqlstate.slice(0, 2));
  if (k) return k.label;
  const cls = sqlstate.slice(0, 2);
  return `SQLSTATE class ${cls}${CLASSES[cls] ? ` (${CLASSES[cls]})` : ''}`;
}

/** The label of a kind. */
export const labelOf = (id: KindId): string => BY_ID.get(id)!.label;

/** LOG lines that mean the server (or one of its processes) crashed or restarted after one. Cheap: every LOG line passes here. */
export function isCrashLog(message: string): boolean {
  return message.includes('terminated by signal') || message.includes('terminated by exception') ||
    message.startsWith('database system was interrupted') || message.startsWith('database system was not properly shut down') ||
    (message.startsWith('server process') && /exited with exit code [1-9]/.test(message));
}

export const CRASH_LABEL = 'server restart or crash';
