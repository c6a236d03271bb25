/**
 * `npm start`: the whole platform in one process on its default ports, on embedded PGlite under
 * .data/ unless DATABASE_URL points at a PostgreSQL server. In development it keeps watching
 * supergraph.yaml and starts subgraphs added to it (`npm run subgraph:new`) without a restart.
 */
import { existsSync } from 'node:fs';
import { closeOnSignals } from '../lib/lifecycle.js';
import { devTokenHelp } from '../gateway/features/authentication/devToken.js';
import { loadGatewayConfig } from '../gateway/config.js';
import { startPlatform } from './startPlatform.js';

// A local .env (see .env.example) is read the way docker-compose reads it; real environment variables win.
if (existsSync('.env')) process.loadEnvFile('.env');

const log = (message: string) => process.stderr.write(`[platform] ${message}\n`);

try {
  const platform = await startPlatform({ onStep: log });
  const gateway = platform.gateway.url.replace('127.0.0.1', 'localhost');
  // Since the process started (performance.timeOrigin), so module loading counts too.
  const seconds = (performance.now() / 1000).toFixed(1);
  process.stderr.write(
    [
      '',
      `[platform] ready in ${seconds}s`,
      `  GraphQL endpoint + IDE   ${gateway}/graphql   (open it in a browser)`,
      `  gateway health           ${gateway}/health, ${gateway}/ready`,
      ...[...platform.subgraphs].map(([name, subgraph]) => `  ${`subgraph ${name}`.padEnd(25)}${subgraph.graphqlUrl}`),
      `  connection proxy         ${platform.dbProxy.url}`,
      '',
      '  Try it:',
      `    curl -s ${gateway}/graphql -H 'content-type: application/json' \\`,
      `      -d '{"query":"{ products(first: 3) { totalCount nodes { id name price { formatted } } } }"}'`,
      '',
      ...(await devTokenHelp(loadGatewayConfig(platform.env).authentication, gateway)),
      '',
    ].join('\n') + '\n',
  );
  closeOnSignals(() => platform.close());
} catch (err) {
  log(`failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
