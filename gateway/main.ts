/** Runs the gateway: load config, start, close on SIGTERM/SIGINT. */
import { closeOnSignals } from '../lib/lifecycle.js';
import { createLogger } from '../lib/logger.js';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './server.js';

try {
  const config = loadGatewayConfig();
  const logger = createLogger('gateway', config.logLevel);
  const gateway = await startGateway(config, { logger });
  closeOnSignals(gateway.close, logger);
} catch (err) {
  // Configuration and composition errors are written for people: print the message, not a stack.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
