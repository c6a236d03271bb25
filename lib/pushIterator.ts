/**
 * An async iterator fed by callbacks (an event listener, a WebSocket client's sink): what GraphQL
 * subscriptions consume on both sides, the subgraph kit (events -> graphql-js) and the gateway
 * (upstream subscription -> client). Values wait in a bounded buffer until they are pulled; `return()`
 * (a client that completes or disconnects) runs the cleanup once, so the producer stops at once.
 */

export interface PushIterator<T> {
  /** Hands a value to the consumer; dropped once the iterator has ended. */
  push(value: T): void;
  /** Ends the stream with an error (thrown from the consumer's next pull, after buffered values). */
  fail(error: unknown): void;
  /** Ends the stream normally, after buffered values. */
  end(): void;
  readonly iterator: AsyncGenerator<T, undefined, unknown>;
}

export interface PushIteratorOptions {
  /** Runs once when the stream ends for any reason (return, end, fail): unsubscribe, close upstream. */
  onClose?: () => void;
  /**
   * Values kept for a consumer that pulls slower than they arrive; past it the stream fails with
   * `overflowError`, rather than growing without bound. @default 1000
   */
  maxBuffered?: number;
  overflowError?: () => unknown;
}

export function createPushIterator<T>(options: PushIteratorOptions = {}): PushIterator<T> {
  const maxBuffered = options.maxBuffered ?? 1_000;
  const buffered: T[] = [];
  let waiting: { resolve: (result: IteratorResult<T, undefined>) => void; reject: (err: unknown) => void } | undefined;
  let ended = false;
  let failure: { error: unknown } | undefined;
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    options.onClose?.();
  };
  const finish = (error?: { error: unknown }) => {
    if (ended) return;
    ended = true;
    failure = error;
    close();
    if (waiting && buffered.length === 0) {
      const { resolve, reject } = waiting;
      waiting = undefined;
      if (failure) reject(failure.error);
      else resolve({ value: undefined, done: true });
    }
  };

  const iterator: AsyncGenerator<T, undefined, unknown> = {
    next() {
      if (buffered.length) return Promise.resolve({ value: buffered.shift() as T, done: false });
      if (ended) {
        if (failure) {
          const { error } = failure;
          failure = undefined;
          return Promise.reject(error);
        }
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    return() {
      buffered.length = 0;
      failure = undefined;
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error: unknown) {
      buffered.length = 0;
      finish();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
    async [Symbol.asyncDispose]() {
      await this.return(undefined);
    },
  };

  return {
    iterator,
    push(value) {
      if (ended) return;
      if (waiting) {
        const { resolve } = waiting;
        waiting = undefined;
        resolve({ value, done: false });
        return;
      }
      if (buffered.length >= maxBuffered) {
        finish({ error: options.overflowError?.() ?? new Error(`more than ${maxBuffered} values waiting to be read`) });
        return;
      }
      buffered.push(value);
    },
    fail: (error) => finish({ error }),
    end: () => finish(),
  };
}
