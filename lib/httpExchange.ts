/**
 * One HTTP exchange, read in full, through undici's dispatch() with a handler of its own: what the
 * calls between our services run on (the gateway's subgraph calls, the services' JSON client). It
 * does without what undici's request() adds per call (an AsyncResource, a body stream to read back,
 * an AbortSignal for the deadline), which cost about a third of such a call's CPU here
 * (bench/proxy/README.md). The deadline covers the whole exchange, waiting for a pooled connection
 * included.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

export interface HttpExchangeRequest {
  origin: string;
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** The whole exchange must end within this many milliseconds, or it fails with ExchangeTimeoutError. */
  timeoutMs: number;
}

export interface HttpReply {
  status: number;
  /** Lower-case names; a repeated header is an array. */
  headers: IncomingHttpHeaders;
  /** The body, decoded as UTF-8. */
  text: string;
}

/** The failure of an exchange past its deadline: named TimeoutError, as AbortSignal.timeout()'s is. */
export class ExchangeTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

export function exchange(dispatcher: Dispatcher, request: HttpExchangeRequest): Promise<HttpReply> {
  return new Promise<HttpReply>((resolve, reject) => {
    const handler = new ExchangeHandler(resolve, reject, request.timeoutMs);
    dispatcher.dispatch(
      { origin: request.origin, path: request.path, method: request.method, headers: request.headers, body: request.body },
      handler,
    );
  });
}

class ExchangeHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  /** Set once the caller has its answer or its error; later events only clean up. */
  private settled = false;
  private timedOut: ExchangeTimeoutError | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly resolve: (reply: HttpReply) => void,
    private readonly reject: (err: unknown) => void,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = new ExchangeTimeoutError(timeoutMs);
      this.fail(this.timedOut);
      // Still queued for a connection: aborted as soon as it gets one (onRequestStart).
      this.controller?.abort(this.timedOut);
    }, timeoutMs);
    // A pending exchange keeps the process up through its socket; its timer need not.
    this.timer.unref();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.timedOut) controller.abort(this.timedOut);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx informational answers come first; the final status is the last one.
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.settled) this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    clearTimeout(this.timer);
    if (this.settled) return;
    this.settled = true;
    const { chunks } = this;
    const text = chunks.length === 0 ? '' : (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
    this.resolve({ status: this.status, headers: this.headers, text });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
  }

  private fail(err: unknown): void {
    clearTimeout(this.timer);
    if (this.settled) return;
    this.settled = true;
    this.chunks.length = 0;
    this.reject(err);
  }
}
