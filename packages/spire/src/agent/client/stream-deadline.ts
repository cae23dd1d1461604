import { type CallOptions, Code, ConnectError } from '@connectrpc/connect';

/** The options of one streaming call and the function that ends its deadline. */
export interface StreamCall {
  readonly options: CallOptions;
  /** Clears the deadline and cancels the call if it is still open; call it in `finally`. */
  readonly done: () => void;
}

/**
 * Call options for a Connect stream whose deadline is kept here rather than by Connect: for a
 * stream left early (its iterator returned), Connect's own deadline timer stays armed until it
 * fires, which held a stopping agent open for up to the whole timeout. `what` names the call in
 * the DeadlineExceeded message.
 *
 * `timeoutMs: 0` is how a call tells Connect's transport "no deadline": leaving it out is not
 * enough, since the transport then applies its `defaultTimeoutMs` (the agent's 30 s) and arms
 * that timer instead.
 */
export function streamCall(what: string, options: CallOptions): StreamCall {
  const call = new AbortController();
  const { timeoutMs, signal, ...rest } = options;
  const deadline =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => call.abort(new ConnectError(`${what} timed out`, Code.DeadlineExceeded)),
          timeoutMs,
        );
  const stopWithCaller = () => call.abort(signal?.reason);
  signal?.addEventListener('abort', stopWithCaller, { once: true });
  if (signal?.aborted) stopWithCaller();
  return {
    options: { ...rest, timeoutMs: 0, signal: call.signal },
    done: () => {
      clearTimeout(deadline);
      signal?.removeEventListener('abort', stopWithCaller);
      call.abort();
    },
  };
}
