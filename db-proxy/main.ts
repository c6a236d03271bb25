/** The connection proxy on its own: `npx tsx db-proxy/main.ts` (configuration in config.ts). */
import { ConfigError } from '../lib/config.js';
import { closeOnSignals } from '../lib/lifecycle.js';
import { createLogger } from '../lib/logger.js';
import { loadDbProxyConfig, type DbProxyConfig } from './config.js';
import { startDbProxy } from './server.js';

function configOrExit(): Readonly<DbProxyConfig> {
  try {
    return loadDbProxyConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

const config = configOrExit();
const logger = createLogger('db-proxy', config.logLevel);
const proxy = await startDbProxy(config, { logger }).catch((err: unknown) => {
  logger.fatal({ err }, err instanceof Error ? err.message : 'db-proxy could not start');
  process.exit(1);
});
closeOnSignals(() => proxy.close(), logger);
