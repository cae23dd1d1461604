import { type BigIntStats, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/**
 * Id -> name tables read from the local account databases (`/etc/passwd`, `/etc/group`). Node has
 * no getpwuid; name services other than these files (LDAP, sssd) are not consulted, so a uid
 * known only there yields a `uid:` selector but no `user:` selector.
 */
export interface NameTables {
  userName(uid: number): string | undefined;
  groupName(gid: number): string | undefined;
}

/** Parses `name:x:id:...` lines into id -> name, keeping the first name listed for an id. */
export function parseIdFile(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    const name = fields[0];
    const id = Number(fields[2]);
    if (!name || fields.length < 3 || !Number.isInteger(id) || id < 0) continue;
    if (!names.has(id)) names.set(id, name);
  }
  return names;
}

/** Loads the name tables from the given files (missing files give empty tables). */
export async function loadNameTables(
  passwdPath = '/etc/passwd',
  groupPath = '/etc/group',
): Promise<NameTables> {
  const [users, groups] = await Promise.all([readIdFile(passwdPath), readIdFile(groupPath)]);
  return {
    userName: (uid) => users.get(uid),
    groupName: (gid) => groups.get(gid),
  };
}

/** How often {@link cachedNameTables} looks at the files again, and its clock (for tests). */
export interface NameTablesRecheck {
  /** Milliseconds between two looks at a file's identity (default 100; 0: on every call). */
  readonly intervalMs?: number;
  /** A monotonic clock in milliseconds (default `performance.now`). */
  readonly now?: () => number;
}

/** {@link NameTablesRecheck.intervalMs} by default. */
export const NAME_TABLES_RECHECK_MS = 100;

/**
 * A loader of the name tables that reads each file once and again only when its identity
 * (inode, size, modification and change times) differs from the last read, instead of reading
 * and parsing both files on every attestation. The identity is looked at (a `stat` of each file)
 * at most once per `recheck.intervalMs`, not on every call: under load the two stats cost about
 * 12 µs of a Workload API call (issue 4: per-call cost), and a name changed in `/etc/passwd` or
 * `/etc/group` is seen at most 100 ms later (a uid or gid selector is never stale: those come
 * from /proc on every call). Concurrent callers share one read.
 */
export function cachedNameTables(
  passwdPath = '/etc/passwd',
  groupPath = '/etc/group',
  readText: (path: string) => Promise<string> = (path) => readFile(path, 'utf8'),
  recheck: NameTablesRecheck = {},
): () => Promise<NameTables> {
  const intervalMs = recheck.intervalMs ?? NAME_TABLES_RECHECK_MS;
  const now = recheck.now ?? (() => performance.now());
  const users = cachedIdFile(passwdPath, readText);
  const groups = cachedIdFile(groupPath, readText);
  let lookedAt = Number.NEGATIVE_INFINITY;
  // The tables handed out last, the very same promise while both files are unchanged: nothing
  // is built per call (issue 4: Workload API per-call cost).
  let last: { users: Table; groups: Table; tables: Promise<NameTables> } | undefined;
  return () => {
    const at = now();
    if (last !== undefined && at - lookedAt < intervalMs) return last.tables;
    lookedAt = at;
    const u = users();
    const g = groups();
    if (last?.users !== u || last.groups !== g) {
      const tables = Promise.all([u, g]).then(
        ([um, gm]): NameTables => ({
          userName: (uid) => um.get(uid),
          groupName: (gid) => gm.get(gid),
        }),
      );
      last = { users: u, groups: g, tables };
    }
    return last.tables;
  };
}

type Table = Promise<Map<number, string>>;

function cachedIdFile(
  path: string,
  readText: (path: string) => Promise<string>,
): () => Promise<Map<number, string>> {
  let seen: FileIdentity | undefined;
  let table: Promise<Map<number, string>> | undefined;
  return () => {
    const now = fileIdentity(path);
    if (table === undefined || !sameFile(now, seen)) {
      seen = now;
      table = readIdFile(path, readText);
    }
    return table;
  };
}

/** What changes when a file is rewritten or replaced; undefined when it cannot be stat'ed. */
type FileIdentity = BigIntStats | undefined;

function fileIdentity(path: string): FileIdentity {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

// Compared field by field, not through a string key built per call (issue 4: per-call cost).
function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

async function readIdFile(
  path: string,
  readText: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
): Promise<Map<number, string>> {
  try {
    return parseIdFile(await readText(path));
  } catch {
    return new Map();
  }
}
