/**
 * A connection proxy for one test file: on a free port, over a fresh test database (PGlite template
 * copies, or prefixed databases at TEST_DATABASE_URL), with a random credential for each service.
 */
import { loadDbProxyConfig } from '../../db-proxy/config.js';
import { startDbProxy, type RunningDbProxy } from '../../db-proxy/server.js';
import { createTestDatabase, testSecret, type TestDatabase } from './testDatabase.js';

export interface TestDbProxy extends RunningDbProxy {
  database: TestDatabase;
  /** Each service's credential at the proxy. */
  credentials: Record<string, string>;
  /** Stops the proxy, then drops its databases. */
  close(): Promise<void>;
}

export async function startTestDbProxy(services: string[], env: Record<string, string> = {}): Promise<TestDbProxy> {
  const database = createTestDatabase(services);
  const credentials = Object.fromEntries(services.map((service) => [service, testSecret()]));
  let proxy: RunningDbProxy;
  try {
    proxy = await startDbProxy(
      loadDbProxyConfig({
        DB_PROXY_PORT: '0',
        DB_PROXY_HOST: '127.0.0.1',
        DB_PROXY_CREDENTIALS: services.map((service) => `${service}=${credentials[service]}`).join(','),
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        ...database.env,
        ...env,
      }),
    );
  } catch (err) {
    await database.dispose();
    throw err;
  }
  return {
    ...proxy,
    database,
    credentials,
    async close() {
      await proxy.close();
      await database.dispose();
    },
  };
}
