import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../lib/config.js';
import { loadGatewayConfig } from '../../config.js';
import { newApiKey } from './apiKeys.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadGatewayConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('authentication configuration', () => {
  it('refuses the development secrets in production', () => {
    expect(
      problemsOf({ NODE_ENV: 'production', JWT_SECRET: 'dev-only-jwt-secret-change-me' }),
    ).toEqual([
      expect.stringMatching(/^JWT_SECRET: must be set to a real secret in production/),
      expect.stringMatching(/^IDENTITY_SIGNING_SECRET: must be set to a real secret in production/),
      expect.stringMatching(/^INTERNAL_SERVICE_TOKEN: must be set to a real secret in production/),
    ]);
  });

  it('has no shared token secret in production unless one is set', () => {
    const config = loadGatewayConfig({
      NODE_ENV: 'production',
      IDENTITY_SIGNING_SECRET: 'a-real-signing-secret',
      INTERNAL_SERVICE_TOKEN: 'a-real-internal-service-token',
      JWT_JWKS_URL: 'https://login.example.com/.well-known/jwks.json',
    });
    expect(config.authentication).toMatchObject({ jwtSecret: undefined, jwtAlgorithms: ['RS256', 'ES256'] });
  });

  it('checks the algorithm list against the keys there are, and never accepts none', () => {
    expect(problemsOf({ JWT_ALGORITHMS: 'RS256' })).toEqual([
      'JWT_ALGORITHMS: lists an asymmetric algorithm but JWT_JWKS_URL is not set',
    ]);
    expect(problemsOf({ JWT_ALGORITHMS: 'none' })).toEqual([expect.stringMatching(/^JWT_ALGORITHMS\.0: each algorithm is one of/)]);
    expect(problemsOf({ JWT_SECRET: 'short' })).toEqual([expect.stringMatching(/^JWT_SECRET: must be at least 16/)]);
  });

  it('reads API keys from API_KEYS and API_KEYS_FILE, and names a file it cannot read', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'api-keys-'));
    try {
      const file = path.join(dir, 'keys');
      await writeFile(file, `# partner keys\n${newApiKey('from-file', 'partner').entry}\n`);
      const config = loadGatewayConfig({ API_KEYS: newApiKey('from-env', 'free').entry, API_KEYS_FILE: file });
      expect(config.authentication.apiKeys.map((k) => `${k.id}/${k.plan}`)).toEqual(['from-env/free', 'from-file/partner']);
      expect(problemsOf({ API_KEYS_FILE: path.join(dir, 'missing') })).toEqual([
        `API_KEYS_FILE: cannot read ${path.join(dir, 'missing')} (ENOENT)`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
