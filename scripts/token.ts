/**
 * `npm run token -- --sub alice --scope orders:write`: prints a development token the gateway
 * accepts (HS256 with JWT_SECRET, the gateway's JWT_ISSUER and JWT_AUDIENCE), alone on stdout so
 * `TOKEN=$(npm run -s token -- --sub alice)` works; how to use it goes to stderr.
 * `npm run token -- --api-key reporting --plan free --scope products:write` prints a new API key and
 * the API_KEYS entry that accepts it instead.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../lib/config.js';
import { newApiKey } from '../gateway/features/authentication/apiKeys.js';
import { mintDevToken, parseTtl } from '../gateway/features/authentication/devToken.js';
import { loadGatewayConfig } from '../gateway/config.js';

export interface TokenCommandIo {
  env: Record<string, string | undefined>;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs the command; returns the exit code. */
export async function runTokenCommand(argv: readonly string[], io: TokenCommandIo): Promise<number> {
  const program = new Command('token')
    .description('Print a development token (or a new API key) for the gateway')
    .option('--sub <subject>', 'the token subject (the customer id)')
    .option('--scope <scopes...>', 'scopes, e.g. --scope orders:write products:write', [])
    .option('--ttl <duration>', 'lifetime: 90s, 30m, 1h, 2d', '1h')
    .option('--api-key <id>', 'print a new API key with this id and its API_KEYS entry instead of a token')
    .addOption(new Option('--plan <plan>', 'the usage plan of the new API key').default('free'))
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  const options = program.opts<{ sub?: string; scope: string[]; ttl: string; apiKey?: string; plan: string }>();
  const scopes = options.scope.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);

  try {
    if (options.apiKey !== undefined) {
      const { key, entry } = newApiKey(options.apiKey, options.plan, scopes);
      io.out(`${key}\n`);
      io.err(
        [
          '',
          'Add this entry to API_KEYS (entries separated by commas) or to the API_KEYS_FILE; only its hash is stored:',
          `  ${entry}`,
          'Then call with the header  x-api-key: <the key above>. The key is shown only now.',
          '',
        ].join('\n'),
      );
      return 0;
    }
    if (!options.sub) {
      io.err('error: --sub <subject> is required (or --api-key <id> for an API key)\n');
      return 1;
    }
    const config = loadGatewayConfig(io.env).authentication;
    if (!config.jwtSecret) {
      io.err('error: JWT_SECRET is not set; development tokens are signed with it\n');
      return 1;
    }
    const token = await mintDevToken({
      secret: config.jwtSecret,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      subject: options.sub,
      scopes,
      ttlSeconds: parseTtl(options.ttl),
    });
    io.out(`${token}\n`);
    io.err(
      [
        '',
        `A token for ${options.sub}${scopes.length ? ` with ${scopes.join(' ')}` : ''}, valid for ${options.ttl}. Send it as:`,
        `  curl -s http://localhost:4000/graphql -H 'content-type: application/json' \\`,
        `    -H 'authorization: Bearer ${token}' \\`,
        `    -d '{"query":"{ myOrders { totalCount } }"}'`,
        `In the IDE, open "Headers" and send {"Authorization": "Bearer <the token>"}.`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (err) {
    io.err(`error: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // The same .env `npm start` reads, so the token matches the running gateway's secret.
  if (existsSync('.env')) process.loadEnvFile('.env');
  process.exitCode = await runTokenCommand(process.argv.slice(2), {
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
}
