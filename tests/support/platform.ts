/**
 * The whole platform for integration tests: every service on a free port, real HTTP between them,
 * on PGlite (a template copy) or on the real PostgreSQL at TEST_DATABASE_URL.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { startPlatform, type Env, type RunningPlatform } from '../../platform/startPlatform.js';
import { envPrefix } from '../../subgraphs/kit/index.js';
import { bearer } from '../../gateway/testing/testTokens.js';
import { createTestDatabase, testSecret, type TestDatabase } from './testDatabase.js';

/** The test platform's token secret (JWT_SECRET) and identity signing secret, one per test file. */
export const TEST_JWT_SECRET = testSecret();
export const TEST_IDENTITY_SIGNING_SECRET = testSecret();

export interface TestPlatform extends RunningPlatform {
  database: TestDatabase;
  /** POST a GraphQL operation to the gateway. */
  graphql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: { data: T; errors?: any } }>;
}

/** The subgraphs supergraph.yaml lists, so one added with `npm run subgraph:new` runs on a free port in tests too. */
export function listedSubgraphs(): string[] {
  const config = parse(readFileSync(new URL('../../supergraph.yaml', import.meta.url), 'utf8')) as {
    subgraphs?: Record<string, unknown>;
  } | null;
  return Object.keys(config?.subgraphs ?? {});
}

export function testPlatformEnv(database: TestDatabase, extra: Env = {}, subgraphs: string[] = listedSubgraphs()): Env {
  const perSubgraph = Object.fromEntries(
    subgraphs.flatMap((name) => [
      [`${envPrefix(name)}_PORT`, '0'],
      [`${envPrefix(name)}_HOST`, '127.0.0.1'],
      [`${envPrefix(name)}_DB_CREDENTIAL`, testSecret()],
    ]),
  );
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PATH: process.env.PATH,
    GATEWAY_PORT: '0',
    DB_PROXY_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    DB_PROXY_HOST: '127.0.0.1',
    ...perSubgraph,
    INTERNAL_SERVICE_TOKEN: testSecret(),
    JWT_SECRET: TEST_JWT_SECRET,
    IDENTITY_SIGNING_SECRET: TEST_IDENTITY_SIGNING_SECRET,
    SEARCH_SYNC_INTERVAL_MS: '200',
    // Suites fire requests faster than any client would; throttling has its own suite (gateway/features/rateLimit/rateLimit.int.test.ts).
    RATE_LIMIT: 'false',
    ...database.env,
    ...extra,
  };
}

export async function startTestPlatform(extra: Env = {}): Promise<TestPlatform> {
  const database = createTestDatabase(listedSubgraphs());
  let platform: RunningPlatform;
  try {
    platform = await startPlatform({ env: testPlatformEnv(database, extra) });
  } catch (err) {
    await database.dispose();
    throw err;
  }
  const close = async () => {
    await platform.close();
    await database.dispose();
  };
  return Object.assign(Object.create(platform) as RunningPlatform, {
    database,
    close,
    async graphql(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
      const response = await fetch(`${platform.gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as any };
    },
  }) as TestPlatform;
}

/**
 * Waits until the connection proxy has had no request for two 250 ms windows in a row: the search
 * index's first sync pass runs in the background after start (the databases run in threads of their
 * own, so it no longer finishes before a suite begins), and suites that count proxy requests must
 * not count it.
 */
export async function waitForQuietProxy(platform: RunningPlatform): Promise<void> {
  for (let quiet = 0; quiet < 2; ) {
    platform.dbProxy.resetStats();
    await new Promise((resolve) => setTimeout(resolve, 250));
    quiet = platform.dbProxy.stats().requests === 0 ? quiet + 1 : 0;
  }
}

/**
 * The Authorization header of a signed-in customer: an HS256 token (valid for an hour) for the test
 * platform's JWT_SECRET and the default issuer and audience, verified by the gateway like any other.
 */
export function as(subject: string, ...scopes: string[]): Record<string, string> {
  return bearer(subject, scopes, TEST_JWT_SECRET);
}
