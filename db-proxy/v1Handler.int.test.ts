/**
 * The /v1 endpoints run on their own node:http handler (v1Handler.ts), not through express: these
 * cases pin down that requests are still taken, refused and answered as express did, over real HTTP.
 */
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Pool } from 'undici';
import { startTestDbProxy, type TestDbProxy } from '../tests/support/testDbProxy.js';

let proxy: TestDbProxy;
let pool: Pool;

beforeAll(async () => {
  proxy = await startTestDbProxy(['products'], { DB_PROXY_BODY_LIMIT: '8kb' });
  // One connection: a refused request must leave it usable for the next one.
  pool = new Pool(proxy.url, { connections: 1, pipelining: 1 });
}, 60_000);

afterAll(async () => {
  await pool?.close();
  await proxy?.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

async function send(
  path: string,
  body: string | Buffer | Readable | undefined,
  headers: Record<string, string> = {},
  method: 'POST' | 'GET' = 'POST',
): Promise<Answer> {
  const response = await pool.request({
    path,
    method,
    headers: { authorization: `Bearer ${proxy.credentials.products}`, 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const selectOne = JSON.stringify({ sql: 'SELECT 1 AS one' });

describe('routing as express did', () => {
  it.each(['/v1/query', '/v1/Query', '/V1/query', '/v1/query/', '/v1/query?trace=1'])('%s runs the statement', async (path) => {
    const answer = await send(path, selectOne);
    expect(answer.status).toBe(200);
    expect(answer.body.rows).toEqual([{ one: 1 }]);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('checks the credential before anything else, also on unknown paths', async () => {
    const answer = await send('/v1/nothing', selectOne, { authorization: 'Bearer not-a-credential-of-this-proxy' });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('404 in the error body shape for another method or path under /v1', async () => {
    const get = await send('/v1/query', undefined, {}, 'GET');
    expect(get.status).toBe(404);
    expect(get.body.error).toMatchObject({ code: 'NOT_FOUND', message: 'No route for GET /v1/query' });
    expect((await send('/v1', selectOne)).status).toBe(404);
  });

  it('leaves /health and other paths to the express app', async () => {
    expect((await send('/health', undefined, {}, 'GET')).body).toEqual({ status: 'ok' });
    expect((await send('/v10/query', selectOne)).status).toBe(404);
  });

  it('echoes a well-formed request id and makes one otherwise', async () => {
    expect((await send('/v1/query', selectOne, { 'x-request-id': 'fast-path-1' })).headers['x-request-id']).toBe('fast-path-1');
    expect((await send('/v1/query', selectOne, { 'x-request-id': 'bad id!' })).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('bodies', () => {
  it('takes compressed bodies, other JSON media types and charsets through express.json()', async () => {
    expect((await send('/v1/query', gzipSync(selectOne), { 'content-encoding': 'gzip' })).body.rows).toEqual([{ one: 1 }]);
    expect((await send('/v1/query', selectOne, { 'content-type': 'application/vnd.api+json' })).body.rows).toEqual([{ one: 1 }]);
    expect((await send('/v1/query', Buffer.from(selectOne, 'utf16le'), { 'content-type': 'application/json; charset=utf-16le' })).status).toBe(200);
    expect((await send('/v1/query', selectOne, { 'content-type': 'application/json; charset=UTF-8' })).status).toBe(200);
    expect((await send('/v1/query', `\ufeff${selectOne}`)).status).toBe(200);
  });

  it('415 for a body that is not JSON, in an unsupported charset or encoding', async () => {
    expect((await send('/v1/query', 'SELECT 1', { 'content-type': 'text/plain' })).status).toBe(415);
    const latin1 = await send('/v1/query', selectOne, { 'content-type': 'application/json; charset=latin1' });
    expect(latin1.status).toBe(415);
    expect(latin1.body.error.message).toMatch(/unsupported charset "LATIN1"/);
    expect((await send('/v1/query', selectOne, { 'content-encoding': 'compress' })).status).toBe(415);
  });

  it('400 Malformed JSON for broken JSON and for JSON that is not an object, {} for an empty body', async () => {
    const broken = await send('/v1/query', '{"sql": "SELECT 1",');
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toMatch(/^Malformed JSON body: /);
    const scalar = await send('/v1/query', '"SELECT 1"');
    expect(scalar.status).toBe(400);
    expect(scalar.body.error.message).toMatch(/^Malformed JSON body: .*"SELECT 1"/);
    const empty = await send('/v1/query', '');
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/^Invalid request body: sql/);
  });

  it('413 for a body over the limit, declared or streamed, and the connection still serves the next request', async () => {
    const big = JSON.stringify({ sql: 'SELECT $1::text', params: ['x'.repeat(10_000)] });
    const declared = await send('/v1/query', big);
    expect(declared.status).toBe(413);
    expect(declared.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: 'Request body is larger than the limit of 8192 bytes' });
    expect((await send('/v1/query', selectOne)).status).toBe(200);

    async function* chunked() {
      for (let i = 0; i < 10; i++) yield Buffer.from(big.slice(i * 1_001, (i + 1) * 1_001));
      yield Buffer.from(big.slice(10_010));
    }
    const streamed = await send('/v1/query', Readable.from(chunked()));
    expect(streamed.status).toBe(413);
    expect((await send('/v1/query', selectOne)).body.rows).toEqual([{ one: 1 }]);
  });

  it('counts requests and statements as before', async () => {
    proxy.resetStats();
    await send('/v1/query', selectOne);
    await send('/v1/Query', selectOne);
    await send('/v1/batch', JSON.stringify({ statements: [{ sql: 'SELECT 1' }, { sql: 'SELECT 2' }] }));
    expect(proxy.stats().byService.products).toEqual({ requests: 3, query: 1, batch: 1, transaction: 0, statements: 4 });
  });
});
