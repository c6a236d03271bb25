/**
 * Reading JSON request bodies on plain node:http, for the handlers that do without express on their
 * hot path (the connection proxy's /v1, the gateway's /graphql). The common case, UTF-8 JSON without
 * Content-Encoding, is read here; anything else (compressed, another charset, `application/*+json`)
 * goes through express.json() (lib/httpServer.ts jsonBody), so every body is answered exactly as the
 * express services answer it, with the same errors for toAppError() to turn into 4xx answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonBody } from './httpServer.js';

/** Reads a request's JSON body: `undefined` when it has none or it is not JSON at all. */
export type JsonBodyReader = (req: IncomingMessage, res: ServerResponse) => Promise<unknown>;

export function createJsonBodyReader(limitSetting: string | number): JsonBodyReader {
  const limit = byteSize(limitSetting);
  const slowBody = jsonBody(limitSetting) as unknown as (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
  return (req, res) => {
    const headers = req.headers;
    // type-is's hasBody: no Transfer-Encoding and no Content-Length means no body at all.
    if (headers['transfer-encoding'] === undefined && Number.isNaN(Number(headers['content-length']))) {
      return Promise.resolve(undefined);
    }
    const encoding = headers['content-encoding'];
    if ((encoding !== undefined && encoding.toLowerCase() !== 'identity') || !PLAIN_JSON.test(headers['content-type'] ?? '')) {
      return new Promise((resolve, reject) => {
        const carrier = req as IncomingMessage & { body?: unknown };
        slowBody(req, res, (err) => (err ? reject(err) : resolve(carrier.body)));
      });
    }
    return readJson(req, limit);
  };
}

/** What the fast reader takes: JSON in UTF-8 (the charset JSON defaults to). */
const PLAIN_JSON = /^application\/json[ \t]*(?:;[ \t]*charset[ \t]*=[ \t]*(?:utf-8|"utf-8")[ \t]*)?$/i;

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** '2mb' -> bytes, as the `bytes` package (express.json's limit) reads it. */
export function byteSize(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^((?:\d+)?\.?\d+)\s*(b|kb|mb|gb)?$/i.exec(value.trim());
  if (!match) throw new Error(`not a byte size: ${value}`);
  return Math.floor(Number(match[1]) * BYTE_UNITS[(match[2] ?? 'b').toLowerCase()]);
}

/** Errors shaped like body-parser's, so toAppError() answers them alike (413, 400). */
const bodyError = (type: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { type, ...extra });

/**
 * Reads a UTF-8 JSON body within `limit` bytes, parsed the way express.json({ strict: true }) does:
 * an empty body is `{}`, anything but an object or array is malformed. As body-parser does, the
 * rest of a refused body is read off before the answer, so the connection stays usable.
 */
function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    let failure: Error | undefined =
      declared !== undefined && declared > limit
        ? bodyError('entity.too.large', 'request entity too large', { limit, length: declared })
        : undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      if (failure) return;
      received += chunk.length;
      if (received > limit) {
        failure = bodyError('entity.too.large', 'request entity too large', { limit, length: received });
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (failure) return reject(failure);
      const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      try {
        resolve(parseStrictJson(raw.toString('utf8')));
      } catch (err) {
        reject(bodyError('entity.parse.failed', (err as Error).message));
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(bodyError('request.aborted', err.message));
    };
    const onAborted = () => {
      cleanup();
      reject(bodyError('request.aborted', 'request aborted'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

function parseStrictJson(text: string): unknown {
  // iconv-lite, which body-parser decodes with, drops a byte order mark.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return {};
  if (body[0] !== '{' && body[0] !== '[') {
    const first = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d]|$)/.exec(body)?.[1] ?? '';
    if (first !== '{' && first !== '[') throw strictViolation(body, first);
  }
  return JSON.parse(body);
}

/** body-parser's message for JSON that is not an object or array: V8's, as if the offending part were malformed. */
function strictViolation(body: string, first: string): SyntaxError {
  const index = body.indexOf(first);
  const partial = index !== -1 ? body.substring(0, index) + '#'.repeat(body.length - index) : '';
  try {
    JSON.parse(partial);
    return new SyntaxError('strict violation');
  } catch (err) {
    return new SyntaxError((err as Error).message.replace(/#+/g, (marks) => body.substring(index, index + marks.length)));
  }
}
