/**
 * Environment variables every subgraph reads, named after the service (PRODUCTS_PORT, ORDERS_DB_CREDENTIAL, ...)
 * so one .env file can configure the whole platform. A subgraph's own config.ts extends this schema.
 */
import { z } from 'zod';
import { devSecret, env, isDevSecret } from '../../lib/config.js';

export interface SubgraphBaseConfig {
  service: string;
  port: number;
  host: string;
  /** Where the connection proxy listens. */
  dbProxyUrl: string;
  /** This service's credential at the proxy. */
  dbCredential: string;
  /** Reads with the same text started together go to the proxy in batches of at most this many; 1: each alone (DB_READ_BATCH_MAX). @default 16 */
  dbReadBatchMax?: number;
  /** Token services present to each other's /internal routes. */
  internalToken: string;
  /** Key of the identity headers the gateway signs (IDENTITY_SIGNING_SECRET, the gateway's too). */
  identitySigningSecret: string;
  /** How old a gateway signature may be, in ms (IDENTITY_MAX_AGE_MS). @default 60000 */
  identityMaxAgeMs: number;
  logLevel: string;
  production: boolean;
  /** Estimated heap of the parsed and validated documents Apollo Server keeps (DOCUMENT_CACHE_MB). @default 16 MiB */
  documentCacheBytes?: number;
  /** OTLP/HTTP collector for traces (OTEL_EXPORTER_OTLP_ENDPOINT); tracing is off without one. */
  otlpEndpoint?: string;
}

export function envPrefix(service: string): string {
  return service.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * The schema of a subgraph's environment: the shared variables plus the subgraph's own (`extra`),
 * with well-known development secrets refused in production.
 */
export function subgraphEnvSchema<E extends z.ZodRawShape>(service: string, defaultPort: number, extra: E) {
  const P = envPrefix(service);
  return z
    .object({
      [`${P}_PORT`]: env.port(defaultPort),
      [`${P}_HOST`]: env.host(),
      [`${P}_DB_CREDENTIAL`]: z.string().min(16, 'must be at least 16 characters').default(devSecret(`${service}-db`)),
      DB_PROXY_URL: z.string().url().default('http://127.0.0.1:4010'),
      DB_READ_BATCH_MAX: env.positiveInt(16),
      INTERNAL_SERVICE_TOKEN: z.string().min(16, 'must be at least 16 characters').default(devSecret('internal')),
      IDENTITY_SIGNING_SECRET: z.string().min(16, 'must be at least 16 characters').default(devSecret('identity-signing')),
      IDENTITY_MAX_AGE_MS: env.positiveInt(60_000),
      DOCUMENT_CACHE_MB: env.positiveInt(16),
      LOG_LEVEL: env.logLevel(),
      OTEL_EXPORTER_OTLP_ENDPOINT: env.otlpEndpoint(),
      NODE_ENV: z.string().default('development'),
      ...extra,
    })
    .superRefine((value: Record<string, unknown>, ctx) => {
      if (value.NODE_ENV !== 'production') return;
      for (const key of [`${P}_DB_CREDENTIAL`, 'INTERNAL_SERVICE_TOKEN', 'IDENTITY_SIGNING_SECRET']) {
        if (isDevSecret(String(value[key]))) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'must be set to a real secret in production' });
        }
      }
    });
}

export function toBaseConfig(service: string, values: Record<string, unknown>): SubgraphBaseConfig {
  const P = envPrefix(service);
  return {
    service,
    port: values[`${P}_PORT`] as number,
    host: values[`${P}_HOST`] as string,
    dbProxyUrl: values.DB_PROXY_URL as string,
    dbCredential: values[`${P}_DB_CREDENTIAL`] as string,
    dbReadBatchMax: values.DB_READ_BATCH_MAX as number,
    internalToken: values.INTERNAL_SERVICE_TOKEN as string,
    identitySigningSecret: values.IDENTITY_SIGNING_SECRET as string,
    identityMaxAgeMs: values.IDENTITY_MAX_AGE_MS as number,
    logLevel: values.LOG_LEVEL as string,
    production: values.NODE_ENV === 'production',
    documentCacheBytes: (values.DOCUMENT_CACHE_MB as number) * 2 ** 20,
    otlpEndpoint: values.OTEL_EXPORTER_OTLP_ENDPOINT as string | undefined,
  };
}
