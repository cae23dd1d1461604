import { readFile } from 'node:fs/promises';

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

async function readIdFile(path: string): Promise<Map<number, string>> {
  try {
    return parseIdFile(await readFile(path, 'utf8'));
  } catch {
    return new Map();
  }
}
