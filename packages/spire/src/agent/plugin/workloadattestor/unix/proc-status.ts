/** The identity fields of `/proc/<pid>/status` that the unix attestor reports. */
export interface ProcStatus {
  /** Effective user id (second value of the `Uid:` line). */
  readonly euid: number;
  /** Effective group id (second value of the `Gid:` line). */
  readonly egid: number;
  /** Supplementary group ids (`Groups:` line), in the kernel's order. */
  readonly groups: readonly number[];
}

/**
 * Parses the text of `/proc/<pid>/status`. `Uid:` and `Gid:` list real, effective, saved and
 * filesystem ids; SPIRE reports the effective ones. Throws on a file without them.
 *
 * Only the three lines used are looked at (found by their key at a line start), not every line
 * of the file: this runs on every Workload API call (issue 4). The kernel escapes a newline in
 * the process name, so no other line can start with these keys; a key listed twice (never seen
 * from the kernel) counts as its last line, as a line-by-line reading would.
 */
export function parseProcStatus(text: string): ProcStatus {
  const uid = lineValues(text, 'Uid:');
  const gid = lineValues(text, 'Gid:');
  if (uid === undefined || gid === undefined) {
    throw new Error('process status has no Uid or Gid line');
  }
  const groups = lineValues(text, 'Groups:');
  return {
    euid: effectiveId(uid),
    egid: effectiveId(gid),
    groups: groups === undefined ? [] : groups.map(toId),
  };
}

// The whitespace-separated values of the last line starting with `key`, or undefined. Searched
// forward with indexOf, which V8 runs far faster than lastIndexOf.
function lineValues(text: string, key: string): string[] | undefined {
  const needle = `\n${key}`;
  let at = -1;
  for (let next = text.indexOf(needle); next >= 0; next = text.indexOf(needle, next + 1)) {
    at = next;
  }
  const start = at >= 0 ? at + 1 + key.length : text.startsWith(key) ? key.length : -1;
  if (start < 0) return undefined;
  const newline = text.indexOf('\n', start);
  const rest = text.slice(start, newline < 0 ? text.length : newline).trim();
  return rest === '' ? [] : rest.split(/\s+/);
}

function effectiveId(values: string[]): number {
  const v = values.length > 1 ? values[1] : values[0];
  if (v === undefined) throw new Error('process status has an empty id line');
  return toId(v);
}

function toId(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new Error(`bad id ${JSON.stringify(v)}`);
  return n;
}
