/**
 * The kit's per-instance services: built once per running subgraph, handed to routes, background work
 * and resolvers, and closed only after the HTTP server and the background work have stopped.
 */
import { parse } from 'graphql';
import { testSecret } from '../../tests/support/testDatabase.js';
import { startTestDbProxy, type TestDbProxy } from '../../tests/support/testDbProxy.js';
import { signedIdentityHeaders } from './testing.js';
import { startSubgraph, type SubgraphBaseConfig, type SubgraphContext, type SubgraphDefinition } from './index.js';

let proxy: TestDbProxy;
const IDENTITY_SECRET = testSecret();

beforeAll(async () => {
  proxy = await startTestDbProxy(['kit']);
}, 60_000);

afterAll(async () => {
  await proxy?.close();
});

function config(): SubgraphBaseConfig {
  return {
    service: 'kit',
    port: 0,
    host: '127.0.0.1',
    dbProxyUrl: proxy.url,
    dbCredential: proxy.credentials.kit,
    internalToken: testSecret(),
    identitySigningSecret: IDENTITY_SECRET,
    identityMaxAgeMs: 60_000,
    logLevel: 'silent',
    production: false,
  };
}

/** A counter per instance, with a close() that records what could still be reached at that moment. */
function createCounter(name: string, events: string[], url: () => string) {
  let count = 0;
  return {
    name,
    next: () => ++count,
    async close() {
      const reachable = await fetch(`${url()}/health`).then(
        () => true,
        () => false,
      );
      events.push(`${name} closed (server ${reachable ? 'still up' : 'down'})`);
    },
  };
}

type Services = { counter: ReturnType<typeof createCounter>; label: string };

function definition(name: string, events: string[], url: () => string): SubgraphDefinition<undefined, SubgraphBaseConfig, Services> {
  return {
    name,
    typeDefs: parse('type Query { next: String! }'),
    resolvers: {
      Query: {
        next: (_: unknown, __: unknown, ctx: SubgraphContext<undefined, Services>) =>
          `${ctx.services.label}:${ctx.services.counter.next()}`,
      },
    },
    services: () => {
      events.push('services built');
      return { counter: createCounter(name, events, url), label: name };
    },
    routes: (router, deps) => {
      router.get('/next', (_req, res) => {
        res.json({ value: `${deps.services.label}:${deps.services.counter.next()}` });
      });
    },
    background: async (deps) => {
      events.push(`background started with ${deps.services.label}`);
      return () => {
        events.push('background stopped');
      };
    },
  };
}

async function next(graphqlUrl: string): Promise<string> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedIdentityHeaders({}, IDENTITY_SECRET) },
    body: JSON.stringify({ query: '{ next }' }),
  });
  return ((await response.json()) as { data: { next: string } }).data.next;
}

it('builds services once per instance, shares them with routes and resolvers, and closes them last', async () => {
  const eventsA: string[] = [];
  const eventsB: string[] = [];
  let urlA = '';
  let urlB = '';
  const a = await startSubgraph(definition('a', eventsA, () => urlA), config());
  urlA = a.url;
  const b = await startSubgraph(definition('b', eventsB, () => urlB), config());
  urlB = b.url;
  try {
    // One instance's requests share its services; another instance has its own.
    expect(await next(a.graphqlUrl)).toBe('a:1');
    expect(await next(a.graphqlUrl)).toBe('a:2');
    expect(((await (await fetch(`${a.url}/next`)).json()) as { value: string }).value).toBe('a:3');
    expect(await next(b.graphqlUrl)).toBe('b:1');
    expect(a.deps.services.counter).not.toBe(b.deps.services.counter);
  } finally {
    await a.close();
    await b.close();
  }
  expect(eventsA).toEqual([
    'services built',
    'background started with a',
    'background stopped',
    'a closed (server down)',
  ]);
  expect(eventsB.at(-1)).toBe('b closed (server down)');
});

it('gives definitions without services undefined', async () => {
  let seen: unknown = 'not called';
  const running = await startSubgraph(
    {
      name: 'plain',
      typeDefs: parse('type Query { ok: Boolean! }'),
      resolvers: { Query: { ok: () => true } },
      routes: (_router, deps) => {
        seen = deps.services;
      },
    },
    config(),
  );
  await running.close();
  expect(seen).toBeUndefined();
});
