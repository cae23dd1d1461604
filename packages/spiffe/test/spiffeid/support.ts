import { SpiffeIdError } from '@spire-ts/spiffe';

/** Vector reason code (`bad_path_char`) -> our stable error code (`ERR_SPIFFEID_BAD_PATH_CHAR`). */
export function codeFor(reason: string): string {
  return `ERR_SPIFFEID_${reason.toUpperCase()}`;
}

/** Runs `fn` and returns the SpiffeIdError it throws; anything else, or nothing, fails the test. */
export function caught(fn: () => unknown): SpiffeIdError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SpiffeIdError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected a SpiffeIdError, nothing was thrown');
}

/** A short printable test label for a possibly long or odd input. */
export function label(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}
