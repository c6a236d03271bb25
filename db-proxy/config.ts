/**
 * The connection proxy's configuration: the only reader of process.env for db-proxy. Every problem is
 * reported at once (ConfigError), the result is frozen.
 */
import { z } from 'zod';
import { devSecret, env, isDevSecret, parseEnv } from '../lib/config.js';

/** A service name is also (part of) a database name and a directory name, so it stays plain. */
export const SERVICE_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
/** PostgreSQL truncates identifiers longer than this, which would make two services share a database. */
const MAX_DATABASE_NAME_LENGTH = 63;
const MIN_CREDENTIAL_LENGTH = 16;
const BYTE_SIZE_PATTERN = /^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i;

export const DEFAULT_SERVICES = ['products', 'orders', 'search'] as const;

export interface DbProxyConfig {
  /** @default 4010 (0 picks a free port) */
  port: number;
  /** @default '0.0.0.0' */
  host: string;
  /** Service name -> its credential. The credential alone decides which database a request reaches. */
  credentials: Readonly<Record<string, string>>;
  /** Real PostgreSQL when set; embedded PGlite otherwise. */
  databaseUrl?: string;
  /** Prepended to each service name to form its PostgreSQL database name. @default '' */
  dbNamePrefix: string;
  /** PGlite keeps each service's database in `<pgliteDataDir>/<service>`; `memory://` keeps nothing. @default '.data' */
  pgliteDataDir: string;
  /** Connections per database (PGlite is always one). @default 10 */
  poolMax: number;
  /** How long a request waits for a free connection before 503 POOL_EXHAUSTED. @default 2000 */
  poolWaitMs: number;
  /** @default 5000 */
  statementTimeoutMs: number;
  /**
   * Statements each PostgreSQL connection keeps prepared (a statement text is prepared the second
   * time it comes); 0 prepares none. PGlite ignores it. @default 100
   */
  preparedStatements: number;
  /**
   * Independent statements of an unordered batch sent together on one PostgreSQL connection, each
   * answered in turn (pipelined); 1 gives every statement a connection of its own. @default 8
   */
  pipelineDepth: number;
  /** Rows one response may carry. @default 10000 */
  maxRows: number;
  /** Bytes of row data one response may carry. @default 5242880 */
  maxResultBytes: number;
  /** Statements one batch or transaction may hold. @default 200 */
  maxStatements: number;
  /** Largest accepted request body, in express/bytes notation. @default '2mb' */
  bodyLimit: string;
  /** @default 'info' */
  logLevel: string;
  /** OTLP/HTTP collector for traces (OTEL_EXPORTER_OTLP_ENDPOINT); tracing is off without one. */
  otlpEndpoint?: string;
}

/**
 * Why `service` cannot have `secret` next to the services already `known`, or undefined when it can.
 * Used for DB_PROXY_CREDENTIALS and for services added to a running proxy.
 */
export function credentialProblem(
  service: string,
  secret: string,
  known: Readonly<Record<string, string>>,
): string | undefined {
  if (!SERVICE_NAME_PATTERN.test(service)) {
    return `service name "${service}" must match ${SERVICE_NAME_PATTERN} (lower-case letters, digits, _)`;
  }
  if (Object.prototype.hasOwnProperty.call(known, service)) return `service "${service}" is listed twice`;
  if (secret.length < MIN_CREDENTIAL_LENGTH) {
    return `the credential of "${service}" must be at least ${MIN_CREDENTIAL_LENGTH} characters`;
  }
  if (/\s/.test(secret)) return `the credential of "${service}" must not contain whitespace`;
  const owner = Object.keys(known).find((name) => known[name] === secret);
  // One credential for two services would make the database it reaches ambiguous.
  if (owner !== undefined) return `"${owner}" and "${service}" have the same credential; each service needs its own`;
  return undefined;
}

/** PostgreSQL truncates longer names, which would make two services share a database. */
export function databaseNameProblem(dbNamePrefix: string, service: string): string | undefined {
  const name = dbNamePrefix + service;
  return name.length > MAX_DATABASE_NAME_LENGTH
    ? `database name "${name}" (DB_NAME_PREFIX + service) is longer than ${MAX_DATABASE_NAME_LENGTH} characters`
    : undefined;
}

/** Parses `products=<secret>,orders=<secret>` and reports every malformed entry, not just the first. */
const credentialsField = z.string().transform((raw, ctx) => {
  const credentials: Record<string, string> = {};
  const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) problem('must list at least one service, e.g. products=<secret>,orders=<secret>');
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      problem(`entry "${entry.slice(0, 40)}" must have the form <service>=<secret>`);
      continue;
    }
    const service = entry.slice(0, eq).trim();
    const secret = entry.slice(eq + 1).trim();
    const refused = credentialProblem(service, secret, credentials);
    if (refused) problem(refused);
    else credentials[service] = secret;
  }
  return credentials;
});

/** An empty variable (DATABASE_URL= in a .env file) means "not set". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const schema = z
  .object({
    DB_PROXY_PORT: env.port(4010),
    DB_PROXY_HOST: env.host(),
    DB_PROXY_CREDENTIALS: credentialsField.prefault(
      DEFAULT_SERVICES.map((service) => `${service}=${devSecret(`${service}-db`)}`).join(','),
    ),
    DATABASE_URL: optional(
      z
        .string()
        .url()
        .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL'),
    ),
    DB_NAME_PREFIX: z
      .string()
      .regex(/^[a-z0-9_]*$/, 'must contain only lower-case letters, digits and _')
      .max(40)
      .default(''),
    PGLITE_DATA_DIR: z.string().min(1).default('.data'),
    DB_POOL_MAX: env.positiveInt(10),
    DB_POOL_WAIT_MS: z.coerce.number().int().min(0).default(2000),
    DB_STATEMENT_TIMEOUT_MS: env.positiveInt(5000),
    DB_PREPARED_STATEMENTS: z.coerce.number().int().min(0).max(10_000).default(100),
    DB_PIPELINE_DEPTH: z.coerce.number().int().min(1).max(1_000).default(8),
    DB_MAX_ROWS: env.positiveInt(10_000),
    DB_MAX_RESULT_BYTES: env.positiveInt(5_242_880),
    DB_MAX_STATEMENTS: env.positiveInt(200),
    DB_PROXY_BODY_LIMIT: z
      .string()
      .regex(BYTE_SIZE_PATTERN, 'must be a size such as 2mb, 512kb or 1048576')
      .default('2mb'),
    LOG_LEVEL: env.logLevel(),
    OTEL_EXPORTER_OTLP_ENDPOINT: env.otlpEndpoint(),
    NODE_ENV: z.string().default('development'),
  })
  .superRefine((value, ctx) => {
    for (const [service, secret] of Object.entries(value.DB_PROXY_CREDENTIALS)) {
      const tooLong = databaseNameProblem(value.DB_NAME_PREFIX, service);
      if (tooLong) ctx.addIssue({ code: 'custom', path: ['DB_PROXY_CREDENTIALS'], message: tooLong });
      if (value.NODE_ENV === 'production' && isDevSecret(secret)) {
        ctx.addIssue({
          code: 'custom',
          path: ['DB_PROXY_CREDENTIALS'],
          message: `the credential of "${service}" must be set to a real secret in production`,
        });
      }
    }
  });

export function loadDbProxyConfig(source: Record<string, string | undefined> = process.env): Readonly<DbProxyConfig> {
  const values = parseEnv('db-proxy', schema, source);
  return Object.freeze({
    port: values.DB_PROXY_PORT,
    host: values.DB_PROXY_HOST,
    credentials: Object.freeze({ ...values.DB_PROXY_CREDENTIALS }),
    databaseUrl: values.DATABASE_URL,
    dbNamePrefix: values.DB_NAME_PREFIX,
    pgliteDataDir: values.PGLITE_DATA_DIR,
    poolMax: values.DB_POOL_MAX,
    poolWaitMs: values.DB_POOL_WAIT_MS,
    statementTimeoutMs: values.DB_STATEMENT_TIMEOUT_MS,
    preparedStatements: values.DB_PREPARED_STATEMENTS,
    pipelineDepth: values.DB_PIPELINE_DEPTH,
    maxRows: values.DB_MAX_ROWS,
    maxResultBytes: values.DB_MAX_RESULT_BYTES,
    maxStatements: values.DB_MAX_STATEMENTS,
    bodyLimit: values.DB_PROXY_BODY_LIMIT,
    logLevel: values.LOG_LEVEL,
    otlpEndpoint: values.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
}
