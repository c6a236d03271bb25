/**
 * The gateway's command line. Each flag stands for one environment variable and goes through the
 * same validation (gateway/config.ts): a flag wins over the variable, and a bad value is reported
 * under the flag's name.
 */
import { Command, Option } from 'commander';
import type { GatewayConfigOverrides } from './config.js';

interface GatewayFlags {
  supergraph?: string;
  config?: string;
  port?: string;
  host?: string;
  subgraphUrls?: string;
  watch?: boolean;
  workers?: string;
}

export interface GatewayCommandOptions {
  /** Where help and errors go. @default process.stdout / process.stderr */
  writeOut?: (text: string) => void;
  writeErr?: (text: string) => void;
}

/** The command, for its help text and parsing. Errors and --help throw a CommanderError (no exit). */
export function gatewayCommand(options: GatewayCommandOptions = {}): Command {
  const command = new Command()
    .name('gateway')
    .description(
      'Serve a federated GraphQL API from a supergraph: any composed Federation 1 or 2 supergraph SDL ' +
        '(from rover, npm run compose, GraphOS or another build), or a rover-format supergraph.yaml composed at start.',
    )
    .addOption(
      new Option('-s, --supergraph <file>', 'supergraph SDL to serve [SUPERGRAPH_PATH]').conflicts('config'),
    )
    .option('-c, --config <file>', 'rover-format supergraph.yaml to compose at start instead [SUPERGRAPH_CONFIG, default supergraph.yaml]')
    .option('-p, --port <port>', 'port to listen on, 0 for any free one [GATEWAY_PORT, default 4000]')
    .option('--host <host>', 'address to listen on [GATEWAY_HOST, default 0.0.0.0]')
    .option('--subgraph-urls <list>', 'routing URLs that replace the supergraph\'s: name=url,name=url [SUBGRAPH_URLS]')
    .option('--watch', 'swap to a changed supergraph without a restart [SUPERGRAPH_WATCH, default on unless NODE_ENV=production]')
    .option('--no-watch', 'serve the supergraph read at start until the gateway stops')
    .option('-w, --workers <n>', 'gateway processes sharing the port, or auto for one per core [GATEWAY_WORKERS, default 1]')
    .addHelpText(
      'after',
      [
        '',
        'Every flag has an environment variable (in brackets); the flag wins. Other settings, such as',
        'SUBGRAPH_TIMEOUT_MS, SUPERGRAPH_POLL_MS and LOG_LEVEL, are read from the environment.',
        '',
        'Examples:',
        '  npm run gateway -- --supergraph supergraph.graphql --port 4000',
        '  npm run gateway -- --config supergraph.yaml --subgraph-urls products=http://127.0.0.1:4001/graphql',
        '  SUPERGRAPH_PATH=supergraph.graphql GATEWAY_PORT=4000 npm run gateway',
      ].join('\n'),
    )
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  if (options.writeOut || options.writeErr) {
    command.configureOutput({
      ...(options.writeOut ? { writeOut: options.writeOut } : {}),
      ...(options.writeErr ? { writeErr: options.writeErr } : {}),
    });
  }
  return command;
}

/**
 * Reads the flags into configuration overrides for loadGatewayConfig. `argv` as in process.argv
 * (node and script first).
 */
export function parseGatewayArgs(argv: readonly string[], options: GatewayCommandOptions = {}): GatewayConfigOverrides {
  const command = gatewayCommand(options);
  command.parse([...argv]);
  const flags = command.opts<GatewayFlags>();
  const overrides: GatewayConfigOverrides = {};
  if (flags.supergraph !== undefined) overrides.SUPERGRAPH_PATH = { value: flags.supergraph, source: '--supergraph' };
  if (flags.config !== undefined) {
    overrides.SUPERGRAPH_CONFIG = { value: flags.config, source: '--config' };
    // SUPERGRAPH_PATH would win over the yaml; the flag says the yaml is meant.
    overrides.SUPERGRAPH_PATH = { value: undefined, source: '--config' };
  }
  if (flags.port !== undefined) overrides.GATEWAY_PORT = { value: flags.port, source: '--port' };
  if (flags.host !== undefined) overrides.GATEWAY_HOST = { value: flags.host, source: '--host' };
  if (flags.subgraphUrls !== undefined) overrides.SUBGRAPH_URLS = { value: flags.subgraphUrls, source: '--subgraph-urls' };
  if (flags.workers !== undefined) overrides.GATEWAY_WORKERS = { value: flags.workers, source: '--workers' };
  if (flags.watch !== undefined) overrides.SUPERGRAPH_WATCH = { value: String(flags.watch), source: flags.watch ? '--watch' : '--no-watch' };
  return overrides;
}
