/**
 * An event bus as the async iterator a GraphQL `subscribe` resolver returns: it listens from the first
 * call and stops listening when the subscription ends (the gateway completes it, or the socket closes).
 */
import { createPushIterator } from '../../lib/pushIterator.js';

export interface EventStreamOptions {
  /** Events kept for a subscriber that reads slower than they arrive; past it the subscription fails. @default 1000 */
  maxBuffered?: number;
}

/**
 * The events `listen` delivers that `select` keeps (undefined drops one), as an async iterator.
 * `listen` is e.g. `(listener) => events.onAny(listener)` and returns how to stop.
 */
export function eventStream<Event, Value>(
  listen: (listener: (event: Event) => void) => () => void,
  select: (event: Event) => Value | undefined,
  options: EventStreamOptions = {},
): AsyncGenerator<Value, undefined, unknown> {
  let stop: (() => void) | undefined;
  const stream = createPushIterator<Value>({
    maxBuffered: options.maxBuffered,
    onClose: () => stop?.(),
  });
  stop = listen((event) => {
    const value = select(event);
    if (value !== undefined) stream.push(value);
  });
  return stream.iterator;
}
