/**
 * `npm run gateway -- --supergraph supergraph.graphql --port 4000`: the gateway on its own, in front
 * of any supergraph (flags in gateway/cliOptions.ts, environment in gateway/config.ts). Prints one
 * `Gateway ready at <url>` line on stdout once it serves (every worker, with --workers); logs are
 * JSON lines.
 */
import { CommanderError } from 'commander';
import { createLogger } from '../lib/logger.js';
import { parseGatewayArgs } from './cliOptions.js';
import { loadGatewayConfig } from './config.js';
import { runGatewayProcesses } from './workers.js';

try {
  const config = loadGatewayConfig(undefined, parseGatewayArgs(process.argv));
  const logger = createLogger('gateway', config.logLevel);
  await runGatewayProcesses({
    workers: config.workers,
    heapGrowthPercent: config.heapGrowthPercent,
    logger,
    start: async () => (await import('./server.js')).startGateway(config, { logger }),
    onReady({ graphqlUrl, subgraphs }) {
      const source = config.supergraphPath ?? `${config.supergraphConfig} (composed)`;
      const workers = config.workers > 1 ? `; ${config.workers} workers` : '';
      process.stdout.write(
        `Gateway ready at ${graphqlUrl}\n` +
          `  supergraph ${source}, subgraphs: ${subgraphs.join(', ')}; hot reload ${config.supergraphWatch ? 'on' : 'off'}${workers}\n`,
      );
    },
  });
} catch (err) {
  // Commander has already printed its message (or the help).
  if (err instanceof CommanderError) process.exit(err.exitCode);
  // Configuration and composition errors are written for people: print the message, not a stack.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
