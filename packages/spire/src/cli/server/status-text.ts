/** Go's renderings of gRPC codes and quoted strings, as SPIRE's CLI prints batch failures. */
import { Code } from '@connectrpc/connect';

/** The name Go's `codes.Code.String()` gives a status code: `AlreadyExists`, `OK`. */
export function goCodeName(code: number): string {
  if (code === 0) return 'OK';
  return Code[code] ?? `Code(${code})`;
}

/** A string as Go's `%q` quotes it (printable ASCII kept, the rest escaped). */
export function goQuote(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => {
    const cp = c.codePointAt(0) ?? 0;
    return cp < 0xa0 ? `\\x${cp.toString(16).padStart(2, '0')}` : c;
  });
}
