/**
 * Callers that share one subgraph call (identical concurrent reads) each get an answer of their own:
 * the plan executor merges later answers into what it gets, so a shared object would carry one
 * caller's merges into another's response. Over real HTTP to a subgraph stand-in that answers
 * slowly enough for the calls to overlap.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSubgraphHttp, type SubgraphHttp } from './subgraphHttp.js';
import { createSubgraphResilience, DEFAULT_RESILIENCE } from './subgraphResilience.js';
import { SubgraphDataSource } from './subgraphDataSource.js';

const ANSWER = {
  data: {
    _entities: [
      { __typename: 'Product', upc: '1', reviews: [{ id: 'r1', author: { id: 'u1' } }] },
      { __typename: 'Product', upc: '2', reviews: [] },
    ],
  },
};

let server: Server;
let http: SubgraphHttp;
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(ANSWER));
      }, 150),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  http = createSubgraphHttp({ timeoutMs: 5_000 });
});

afterAll(async () => {
  await http.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function objectsOf(value: unknown, into = new Set<unknown>()): Set<unknown> {
  if (value !== null && typeof value === 'object') {
    into.add(value);
    for (const item of Object.values(value)) objectsOf(item, into);
  }
  return into;
}

it('gives each of the callers sharing one call the whole answer, with no object in common', async () => {
  const source = new SubgraphDataSource({
    name: 'reviews',
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    transport: http.post,
    policy: createSubgraphResilience({ ...DEFAULT_RESILIENCE, dedup: true }).policyFor('reviews'),
  });
  const body = JSON.stringify({ query: '{ _entities(representations: []) { __typename } }' });
  const before = requests;
  const answers = await Promise.all(Array.from({ length: 4 }, () => source.send(body, { isRead: true })));
  expect(requests - before).toBe(1);
  for (const answer of answers) expect(answer.data).toEqual(ANSWER.data);
  const seen = new Set<unknown>();
  for (const answer of answers) {
    for (const object of objectsOf(answer.data)) {
      expect(seen.has(object)).toBe(false);
      seen.add(object);
    }
  }
});
