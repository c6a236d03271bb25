/**
 * The JSON client between our services, against a real HTTP server that answers as told: a call
 * that gets no answer in time is cut off, only calls marked `retry` are retried, and failures
 * become the registry's errors.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from './errors.js';
import { createJsonHttpClient } from './jsonHttpClient.js';
import { failure as expectFailure } from '../tests/support/failure.js';

type Behaviour = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let url: string;
let behaviour: Behaviour;
let calls = 0;
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      calls++;
      behaviour(req, res, body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  for (const res of hanging.splice(0)) res.destroy();
  calls = 0;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const never: Behaviour = (_req, res) => void hanging.push(res);

const failure = (promise: Promise<unknown>) => expectFailure<AppError>(promise);

describe('createJsonHttpClient', () => {
  it('sends JSON with the headers and request id, and reads the JSON answer', async () => {
    behaviour = (req, res, body) =>
      json(res, 200, { body: JSON.parse(body), auth: req.headers.authorization, id: req.headers['x-request-id'], type: req.headers['content-type'] });
    const client = createJsonHttpClient({ baseUrl: `${url}/prefix/`, target: 'echo', headers: { authorization: 'Bearer t' } });
    try {
      expect(await client.post('/v1/query', { sql: 'SELECT 1' }, { requestId: 'r-1' })).toEqual({
        body: { sql: 'SELECT 1' },
        auth: 'Bearer t',
        id: 'r-1',
        type: 'application/json',
      });
    } finally {
      await client.close();
    }
  });

  it('GATEWAY_TIMEOUT when the answer does not come in time', async () => {
    behaviour = never;
    const client = createJsonHttpClient({ baseUrl: url, target: 'slow', timeoutMs: 150 });
    try {
      const err = await failure(client.post('/x', {}));
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'GATEWAY_TIMEOUT', message: 'slow did not answer within 150 ms' });
    } finally {
      await client.close();
    }
  });

  it('retries 503 only for calls marked retry, and turns the error body into the AppError', async () => {
    behaviour = (_req, res) => json(res, 503, { error: { code: 'POOL_EXHAUSTED', message: 'busy', details: { retryable: true } } });
    const client = createJsonHttpClient({ baseUrl: url, target: 'db-proxy', maxAttempts: 3 });
    try {
      const once = await failure(client.post('/write', {}));
      expect(once).toMatchObject({ code: 'POOL_EXHAUSTED', message: 'busy', details: { retryable: true } });
      expect(calls).toBe(1);
      calls = 0;
      expect((await failure(client.post('/read', {}, { retry: true }))).code).toBe('POOL_EXHAUSTED');
      expect(calls).toBe(3);
    } finally {
      await client.close();
    }
  });

  it('DOWNSTREAM_SERVICE_ERROR for a body that is not JSON and for a service that is not there', async () => {
    behaviour = (_req, res) => res.end('<html>');
    const client = createJsonHttpClient({ baseUrl: url, target: 'html' });
    const gone = createJsonHttpClient({ baseUrl: 'http://127.0.0.1:1', target: 'gone', maxAttempts: 2 });
    try {
      expect(await failure(client.get('/'))).toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', message: 'html answered with a body that is not JSON' });
      const unreachable = await failure(gone.get('/', { retry: true }));
      expect(unreachable).toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', details: { target: 'gone', transient: true } });
    } finally {
      await client.close();
      await gone.close();
    }
  });
});
