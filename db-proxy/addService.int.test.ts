/**
 * A service added to a running proxy (a subgraph added while the platform runs): its credential is
 * accepted from then on, it gets a database of its own, and nothing about the other services changes.
 */
import { seedDataDir } from '../tests/support/pgliteTemplate.js';
import { testSecret } from '../tests/support/testDatabase.js';
import { startTestDbProxy, type TestDbProxy } from '../tests/support/testDbProxy.js';

let proxy: TestDbProxy;
const betaSecret = testSecret();

beforeAll(async () => {
  proxy = await startTestDbProxy(['alpha']);
  // Like the databases the helper prepared, a copy of the template instead of a fresh cluster (seconds).
  if (proxy.database.env.PGLITE_DATA_DIR) seedDataDir(proxy.database.env.PGLITE_DATA_DIR, ['beta']);
}, 60_000);

afterAll(async () => {
  await proxy?.close();
});

async function query(secret: string, sql: string) {
  const response = await fetch(`${proxy.url}/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({ sql, params: [] }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

it('accepts a new service without a restart, on a database of its own', async () => {
  expect((await query(betaSecret, 'SELECT 1 AS one')).status).toBe(401);

  await proxy.addService('beta', betaSecret);

  expect(await query(betaSecret, 'SELECT 1 AS one')).toMatchObject({ status: 200, body: { rows: [{ one: 1 }] } });
  expect((await query(betaSecret, 'CREATE TABLE beta_only (id int)')).status).toBe(200);
  // The table exists in beta's database only.
  expect((await query(proxy.credentials.alpha, "SELECT to_regclass('beta_only') AS t")).body.rows).toEqual([{ t: null }]);
  expect((await query(betaSecret, "SELECT to_regclass('beta_only') AS t")).body.rows).toEqual([{ t: 'beta_only' }]);

  expect(Object.keys(proxy.databases).sort()).toEqual(['alpha', 'beta']);
  const ready = await fetch(`${proxy.url}/ready`);
  expect(ready.status).toBe(200);
  expect(JSON.stringify(await ready.json())).toMatch(/"beta"/);
  expect(proxy.stats().byService.beta.requests).toBeGreaterThan(0);

  // Adding it again with the same credential changes nothing.
  await expect(proxy.addService('beta', betaSecret)).resolves.toBeUndefined();
});

it('refuses what DB_PROXY_CREDENTIALS would refuse, naming the problem', async () => {
  await expect(proxy.addService('beta', testSecret())).rejects.toThrow(/already has the service "beta" with another credential/);
  await expect(proxy.addService('Gamma!', testSecret())).rejects.toThrow(/service name "Gamma!" must match/);
  await expect(proxy.addService('gamma', 'short')).rejects.toThrow(/must be at least 16 characters/);
  await expect(proxy.addService('gamma', proxy.credentials.alpha)).rejects.toThrow(/"alpha" and "gamma" have the same credential/);
  expect(Object.keys(proxy.databases).sort()).toEqual(['alpha', 'beta']);
});
