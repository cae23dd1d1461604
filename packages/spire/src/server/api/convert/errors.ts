import { SpiffeError } from '@spire-ts/spiffe';

/** A request field breaks an API rule; code `ERR_API_INVALID_ARGUMENT` (gRPC InvalidArgument). */
export class ApiInputError extends SpiffeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_API_INVALID_ARGUMENT', message, options);
  }
}

/** The message of any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
