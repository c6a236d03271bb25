import { CommanderError } from 'commander';
import { ConfigError } from '../lib/config.js';
import { parseGatewayArgs } from './cliOptions.js';
import { loadGatewayConfig } from './config.js';

const argv = (...args: string[]) => ['node', 'gateway/cli.ts', ...args];
const quiet = { writeOut: () => {}, writeErr: () => {} };

function configOf(args: string[], env: Record<string, string> = {}) {
  return loadGatewayConfig(env, parseGatewayArgs(argv(...args), quiet));
}

describe('gateway command line', () => {
  it('turns each flag into the setting of its environment variable', () => {
    const config = configOf([
      '--supergraph', 'other/supergraph.graphql',
      '--port', '4100',
      '--host', '127.0.0.1',
      '--subgraph-urls', 'a=http://a:1/graphql,b=http://b:2/graphql',
      '--no-watch',
    ]);
    expect(config).toMatchObject({
      supergraphPath: 'other/supergraph.graphql',
      port: 4100,
      host: '127.0.0.1',
      subgraphUrls: { a: 'http://a:1/graphql', b: 'http://b:2/graphql' },
      supergraphWatch: false,
    });
  });

  it('lets flags win over the environment and keeps the rest of the environment', () => {
    const env = {
      GATEWAY_PORT: '5000',
      GATEWAY_HOST: '10.0.0.1',
      SUPERGRAPH_POLL_MS: '750',
      NODE_ENV: 'production',
      IDENTITY_SIGNING_SECRET: 'a-real-production-secret',
      INTERNAL_SERVICE_TOKEN: 'a-real-internal-service-token',
    };
    expect(configOf(['-p', '0', '--watch'], env)).toMatchObject({
      port: 0,
      host: '10.0.0.1',
      supergraphPollMs: 750,
      supergraphWatch: true,
      production: true,
    });
    expect(configOf([], env)).toMatchObject({ port: 5000, supergraphWatch: false });
  });

  it('composes the --config yaml even when SUPERGRAPH_PATH is set', () => {
    const config = configOf(['--config', 'team/supergraph.yaml'], { SUPERGRAPH_PATH: 'supergraph.graphql' });
    expect(config.supergraphPath).toBeUndefined();
    expect(config.supergraphConfig).toBe('team/supergraph.yaml');
  });

  it('reports bad values under the flag that gave them, all at once', () => {
    let error: unknown;
    try {
      configOf(['--port', 'eighty', '--subgraph-urls', 'products'], { SUBGRAPH_TIMEOUT_MS: '0' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^--port: /),
        '--subgraph-urls: "products" is not of the form name=url',
        expect.stringMatching(/^SUBGRAPH_TIMEOUT_MS: /),
      ]),
    );
  });

  it('refuses --supergraph with --config, unknown flags and stray arguments', () => {
    const errors: string[] = [];
    const parse = (...args: string[]) => {
      try {
        parseGatewayArgs(argv(...args), { writeOut: () => {}, writeErr: (text) => errors.push(text) });
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(parse('--supergraph', 'a.graphql', '--config', 'b.yaml')).toBeInstanceOf(CommanderError);
    expect(errors.join('')).toMatch(/--supergraph <file>' cannot be used with option '-c, --config <file>'/);
    expect(parse('--supergrahp', 'a.graphql')).toMatchObject({ code: 'commander.unknownOption', exitCode: 1 });
    expect(parse('supergraph.graphql')).toMatchObject({ code: 'commander.excessArguments', exitCode: 1 });
  });

  it('shows help naming the environment variables', () => {
    let help = '';
    let error: unknown;
    try {
      parseGatewayArgs(argv('--help'), { writeOut: (text) => (help += text), writeErr: () => {} });
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ exitCode: 0 });
    for (const name of ['SUPERGRAPH_PATH', 'SUPERGRAPH_CONFIG', 'GATEWAY_PORT', 'GATEWAY_HOST', 'SUBGRAPH_URLS', 'SUPERGRAPH_WATCH']) {
      expect(help).toContain(name);
    }
  });
});
