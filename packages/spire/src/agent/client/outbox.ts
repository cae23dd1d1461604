/**
 * The outgoing half of a client stream: messages pushed while the call runs are sent in order,
 * and the stream's request side ends when the outbox is closed.
 */
export class Outbox<T> implements AsyncIterable<T> {
  readonly #queue: T[] = [];
  #closed = false;
  #wake: (() => void) | undefined;

  /** Queues a message. */
  push(msg: T): void {
    this.#queue.push(msg);
    this.#wake?.();
  }

  /** Ends the request side once the queued messages are sent. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.#queue.length > 0) {
        yield this.#queue.shift() as T;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }
}
