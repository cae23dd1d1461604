// logrus's TextFormatter quotes a value unless every character is one of these.
const BARE = /^[A-Za-z0-9\-._/@^+]*$/;

/** Level names as logrus prints them (`warning`, not `warn`). */
const LOGRUS_LEVEL: Readonly<Record<string, string>> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warning',
  error: 'error',
  fatal: 'fatal',
};

/** Formats a time as RFC 3339 in the local zone with seconds, as logrus's default. */
export function rfc3339(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const zone =
    offset === 0
      ? 'Z'
      : `${offset > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${zone}`;
}

/**
 * One logrus text line: `time="..." level=info msg="..." key=value`, fields sorted by name,
 * values quoted (Go `%q`) when they hold anything beyond `[A-Za-z0-9-._/@^+]`.
 */
export function textLine(
  time: Date,
  level: string,
  msg: string,
  fields: Record<string, unknown>,
): string {
  const parts = [
    `time=${quote(rfc3339(time))}`,
    `level=${LOGRUS_LEVEL[level] ?? level}`,
    `msg=${quote(msg)}`,
  ];
  for (const key of Object.keys(fields).sort()) parts.push(`${key}=${quote(render(fields[key]))}`);
  return `${parts.join(' ')}\n`;
}

/** One logrus JSON line: fields, `level`, `msg`, `time`, keys sorted as Go's encoder sorts maps. */
export function jsonLine(
  time: Date,
  level: string,
  msg: string,
  fields: Record<string, unknown>,
): string {
  const all: Record<string, unknown> = {
    ...fields,
    level: LOGRUS_LEVEL[level] ?? level,
    msg,
    time: rfc3339(time),
  };
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(all).sort()) sorted[key] = all[key];
  return `${JSON.stringify(sorted)}\n`;
}

function render(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Error) return v.message;
  if (Array.isArray(v)) return `[${v.map(render).join(' ')}]`;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

function quote(s: string): string {
  return BARE.test(s) && s !== '' ? s : JSON.stringify(s);
}
