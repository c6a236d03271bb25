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

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const listenersBeforeStart = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));

try {
  const platform = await startPlatform({ onStep: log });
  // Each Apollo Server (gateway, subgraphs) stops itself on SIGINT/SIGTERM and then sends the signal
  // again to end the process, which killed it before the databases were closed (PGlite then ran crash
  // recovery at the next start). The platform stops every server in order itself: its handler goes
  // in first (so there is never a moment without one), then theirs come out.
  const serverListeners = SIGNALS.map((signal) => ({
    signal,
    listeners: process.listeners(signal).filter((listener) => !listenersBeforeStart.get(signal)!.includes(listener)),
  }));
  closeOnSignals(() => platform.close());
  for (const { signal, listeners } of serverListeners) {
    for (const listener of listeners) process.removeListener(signal, listener as (...args: unknown[]) => void);
  }
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
} catch (err) {
  log(`failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
