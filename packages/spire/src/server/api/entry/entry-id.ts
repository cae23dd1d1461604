/**
 * Caller-chosen registration entry IDs. SPIRE's datastore validation keeps an ID to at most 255
 * characters among ASCII letters, digits, '-', '.' and '_': the ID is printed by `entry show`,
 * logged, and sent to agents, so a newline or an escape sequence in it would forge output.
 */

/** Longest entry ID accepted. */
export const MAX_ENTRY_ID_LENGTH = 255;

const ENTRY_ID_CHARS = /^[A-Za-z0-9._-]*$/;

/** Why `id` is not an acceptable entry ID, or undefined when it is (empty: the server picks). */
export function entryIdProblem(id: string): string | undefined {
  if (id.length > MAX_ENTRY_ID_LENGTH) {
    return `invalid entry ID: longer than ${MAX_ENTRY_ID_LENGTH} characters`;
  }
  if (!ENTRY_ID_CHARS.test(id)) {
    return 'invalid entry ID: use only ASCII letters, digits, "-", "." and "_"';
  }
  return undefined;
}
