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
 */
export function parseProcStatus(text: string): ProcStatus {
  let euid: number | undefined;
  let egid: number | undefined;
  let groups: number[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const values = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .filter((v) => v !== '');
    if (key === 'Uid') euid = effectiveId(values);
    else if (key === 'Gid') egid = effectiveId(values);
    else if (key === 'Groups') groups = values.map(toId);
  }
  if (euid === undefined || egid === undefined) {
    throw new Error('process status has no Uid or Gid line');
  }
  return { euid, egid, groups };
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
