/**
 * Environment parsing shared by every service's config.ts: a zod schema over process.env, every
 * problem reported at once, the result frozen. A service's config.ts is the only reader of process.env.
 */
import { z } from 'zod';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(service: string, problems: string[]) {
    super(`${service}: invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function parseEnv<S extends z.ZodType>(
  service: string,
  schema: S,
  env: Record<string, string | undefined> = process.env,
): Readonly<z.infer<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(environment)';
      return `${key}: ${issue.message}`;
    });
    throw new ConfigError(service, problems);
  }
  return Object.freeze(result.data) as Readonly<z.infer<S>>;
}

/** Common field shapes, so every service reads ports and durations the same way. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  host: (fallback = '0.0.0.0') => z.string().min(1).default(fallback),
  url: () => z.string().url(),
  /** OTEL_EXPORTER_OTLP_ENDPOINT: an http(s) URL, or unset (tracing off). */
  otlpEndpoint: () =>
    z
      .string()
      .regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL (the OTLP/HTTP collector, e.g. http://127.0.0.1:4318)')
      .optional(),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
};

/**
 * Well-known development secrets, so `npm start` works with no set-up. Every config that uses one
 * refuses it when NODE_ENV=production.
 */
export function devSecret(purpose: string): string {
  return `dev-only-${purpose}-secret-change-me`;
}

export function isDevSecret(value: string): boolean {
  return value.startsWith('dev-only-') && value.endsWith('-secret-change-me');
}
