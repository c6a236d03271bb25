/**
 * Runs the gateway from the environment: load config, start (GATEWAY_WORKERS processes, see
 * workers.ts), close on SIGTERM/SIGINT.
 */
import { createLogger } from '../lib/logger.js';
import { loadGatewayConfig } from './config.js';
import { runGatewayProcesses } from './workers.js';

try {
  const config = loadGatewayConfig();
  const logger = createLogger('gateway', config.logLevel);
  await runGatewayProcesses({
    workers: config.workers,
    heapGrowthPercent: config.heapGrowthPercent,
    logger,
    // Loaded here, so a supervisor of several workers never loads the gateway itself.
    start: async () => (await import('./server.js')).startGateway(config, { logger }),
  });
} catch (err) {
  // Configuration and composition errors are written for people: print the message, not a stack.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
