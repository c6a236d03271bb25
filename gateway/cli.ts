/**
 * `npm run gateway -- --supergraph supergraph.graphql --port 4000`: the gateway on its own, in front
 * of any supergraph (flags in gateway/cliOptions.ts, environment in gateway/config.ts). Prints one
 * `Gateway ready at <url>` line on stdout once it serves; logs are JSON lines.
 */
import { CommanderError } from 'commander';
import { closeOnSignals } from '../lib/lifecycle.js';
import { createLogger } from '../lib/logger.js';
import { parseGatewayArgs } from './cliOptions.js';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './server.js';

try {
  const config = loadGatewayConfig(undefined, parseGatewayArgs(process.argv));
  const logger = createLogger('gateway', config.logLevel);
  const gateway = await startGateway(config, { logger });
  closeOnSignals(gateway.close, logger);
  const source = config.supergraphPath ?? `${config.supergraphConfig} (composed)`;
  const subgraphs = gateway.subgraphs.map((s) => s.name).join(', ');
  process.stdout.write(
    `Gateway ready at ${gateway.graphqlUrl}\n` +
      `  supergraph ${source}, subgraphs: ${subgraphs}; hot reload ${config.supergraphWatch ? 'on' : 'off'}\n`,
  );
} catch (err) {
  // Commander has already printed its message (or the help).
  if (err instanceof CommanderError) process.exit(err.exitCode);
  // Configuration and composition errors are written for people: print the message, not a stack.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
