/**
 * Helpers for the hostile-input suites: requests with a client deadline, the "clear refusal" check
 * every answer must pass, and the heap measured after a forced garbage collection.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openSocket, type TestSocket } from '../../gateway/testing/webSocketClient.js';

/** How long any one hostile request may take before the suite calls it a hang. */
export const CLIENT_DEADLINE_MS = 10_000;

/** The seed every property runs with, so a failure found in CI is found again on a laptop. */
export const FUZZ_SEED = 20_240_610;

export interface HttpAnswer {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

/** One HTTP request with a deadline; a hang becomes a failure naming the request. */
export async function send(url: string, init: RequestInit = {}): Promise<HttpAnswer> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(CLIENT_DEADLINE_MS) });
    text = await response.text();
  } catch (err) {
    throw new Error(`${init.method ?? 'GET'} ${url.slice(0, 200)}: no answer within ${CLIENT_DEADLINE_MS} ms (${(err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, headers: response.headers };
}

/** Codes that mean the service failed rather than refused: no hostile input may produce them. */
const FAILURE_CODES = new Set(['INTERNAL_SERVER_ERROR', 'DOWNSTREAM_SERVICE_ERROR', 'GATEWAY_TIMEOUT', 'DB_UNAVAILABLE']);

/** The error messages of a GraphQL or a registry-shaped body, with their codes. */
export function errorsOf(json: any): { message: unknown; code: unknown }[] {
  if (json && Array.isArray(json.errors)) return json.errors.map((e: any) => ({ message: e?.message, code: e?.extensions?.code }));
  if (json && typeof json.error === 'object' && json.error !== null) return [{ message: json.error.message, code: json.error.code }];
  if (Array.isArray(json)) return json.flatMap(errorsOf);
  return [];
}

/**
 * The property every hostile request must keep: no 5xx; a 4xx carries a JSON body with a message
 * and a code (Node's own 431 for oversized headers has no body, and says what it is in its status);
 * no error anywhere in the body is a failure code.
 */
export function expectClearAnswer(answer: HttpAnswer, what: string): void {
  const context = `${what} -> ${answer.status} ${answer.text.slice(0, 300)}`;
  if (answer.status >= 500) throw new Error(`5xx: ${context}`);
  const errors = errorsOf(answer.json);
  if (answer.status >= 400 && answer.status !== 431) {
    if (errors.length === 0) throw new Error(`4xx without an error body: ${context}`);
    for (const error of errors) {
      if (typeof error.message !== 'string' || error.message.length < 5) throw new Error(`unclear message: ${context}`);
      if (typeof error.code !== 'string') throw new Error(`no error code: ${context}`);
    }
  }
  for (const error of errors) {
    if (FAILURE_CODES.has(error.code as string)) throw new Error(`failure code ${String(error.code)}: ${context}`);
  }
}

/** `gc()`, from --expose-gc when Node was started with it, else switched on at runtime. */
function garbageCollector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Heap in use after full collections (twice: finalizers of the first free more in the second). */
export async function heapUsedAfterGc(): Promise<number> {
  const gc = garbageCollector();
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

export type SocketOutcome = { kind: 'message'; text: string } | { kind: 'close'; code: number; reason: string };

/** The next thing a socket does, a message or its close, within the client deadline. */
export function nextOutcome(socket: TestSocket): Promise<SocketOutcome> {
  return Promise.race([
    socket.next().then((text): SocketOutcome => ({ kind: 'message', text })),
    socket.closed.then(({ code, reason }): SocketOutcome => ({ kind: 'close', code, reason })),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`the socket neither answered nor closed within ${CLIENT_DEADLINE_MS} ms`)), CLIENT_DEADLINE_MS).unref(),
    ),
  ]);
}

/** Opens a socket, with the handshake held to the client deadline too. */
export function openSocketWithin(url: string, headers: Record<string, string> = {}, protocols?: string[]): Promise<TestSocket> {
  return Promise.race([
    openSocket(url, headers, protocols),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no handshake answer from ${url} within ${CLIENT_DEADLINE_MS} ms`)), CLIENT_DEADLINE_MS).unref(),
    ),
  ]);
}
