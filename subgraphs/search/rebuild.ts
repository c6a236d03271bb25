/**
 * `npm run search:rebuild`: rebuilds the search index of a running platform from the products service,
 * printing progress. Reads the same environment as the search service (DB_PROXY_URL,
 * SEARCH_DB_CREDENTIAL, PRODUCTS_URL, INTERNAL_SERVICE_TOKEN).
 */
import { existsSync } from 'node:fs';
import { createDbClient, migrate } from '../kit/index.js';
import { createProductsInternalClient } from '../products/internalApi.js';
import { loadSearchConfig } from './config.js';
import { searchMigrations } from './migrations.js';
import { rebuildIndex } from './rebuildIndex.js';

if (existsSync('.env')) process.loadEnvFile('.env');

const say = (message: string) => process.stdout.write(`[search:rebuild] ${message}\n`);

async function main(): Promise<void> {
  const config = loadSearchConfig();
  const db = createDbClient({ proxyUrl: config.dbProxyUrl, credential: config.dbCredential });
  const feed = createProductsInternalClient({ baseUrl: config.productsUrl, token: config.internalToken, timeoutMs: 30_000 });
  try {
    say(`search database via ${config.dbProxyUrl}, catalog from ${config.productsUrl}`);
    await migrate(db, searchMigrations); // a no-op unless the search database is brand new
    const result = await rebuildIndex(db, feed, { onProgress: ({ indexed }) => say(`indexed ${indexed} products`) });
    say(
      `done: ${result.indexed} documents indexed, ${result.removed} stale documents removed ` +
        `in ${(result.durationMs / 1000).toFixed(1)} s`,
    );
  } finally {
    await feed.close();
    await db.close();
  }
}

try {
  await main();
} catch (err) {
  say(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
