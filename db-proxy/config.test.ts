import { ConfigError } from '../lib/config.js';
import { loadDbProxyConfig } from './config.js';

const secret = (service: string) => `${service}-secret-0123456789`;

describe('loadDbProxyConfig', () => {
  it('has defaults for everything, with development credentials for the three services', () => {
    const config = loadDbProxyConfig({});
    expect(config).toMatchObject({
      port: 4010,
      host: '0.0.0.0',
      dbNamePrefix: '',
      pgliteDataDir: '.data',
      poolMax: 10,
      poolWaitMs: 2000,
      statementTimeoutMs: 5000,
      maxRows: 10000,
      maxResultBytes: 5242880,
      maxStatements: 200,
      bodyLimit: '2mb',
      logLevel: 'info',
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(Object.keys(config.credentials)).toEqual(['products', 'orders', 'search']);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads service credentials, so a new service is one more entry', () => {
    const config = loadDbProxyConfig({
      DB_PROXY_CREDENTIALS: ` products=${secret('p')} , reviews_v2=${secret('r')}=with=equals `,
      DATABASE_URL: 'postgres://app@db:5432/postgres',
      DB_NAME_PREFIX: 'dev_',
      DB_POOL_MAX: '3',
    });
    expect(config.credentials).toEqual({ products: secret('p'), reviews_v2: `${secret('r')}=with=equals` });
    expect(config.databaseUrl).toBe('postgres://app@db:5432/postgres');
    expect(config.poolMax).toBe(3);
  });

  it('treats an empty DATABASE_URL as unset', () => {
    expect(loadDbProxyConfig({ DATABASE_URL: '' }).databaseUrl).toBeUndefined();
  });

  it('reports every problem at once', () => {
    let error: ConfigError | undefined;
    try {
      loadDbProxyConfig({
        DB_PROXY_CREDENTIALS: `Products=${secret('a')},orders=short,search,orders=${secret('b')},x=${secret('a')},y=${secret('a')}`,
        DATABASE_URL: 'mysql://nope',
        DB_POOL_MAX: '0',
        DB_PROXY_BODY_LIMIT: 'lots',
        DB_NAME_PREFIX: 'Bad-',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = error!.problems.join('\n');
    expect(text).toMatch(/service name "Products" must match/);
    expect(text).toMatch(/credential of "orders" must be at least 16 characters/);
    expect(text).toMatch(/entry "search" must have the form <service>=<secret>/);
    expect(text).toMatch(/"x" and "y" have the same credential/);
    expect(text).toMatch(/DATABASE_URL: must be a postgres/);
    expect(text).toMatch(/DB_POOL_MAX/);
    expect(text).toMatch(/DB_PROXY_BODY_LIMIT: must be a size/);
    expect(text).toMatch(/DB_NAME_PREFIX: must contain only/);
  });

  it('refuses development credentials in production', () => {
    expect(() => loadDbProxyConfig({ NODE_ENV: 'production' })).toThrow(/must be set to a real secret in production/);
  });
});
