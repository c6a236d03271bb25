/**
 * The authentication part of the gateway's configuration (JWT, API keys, the identity signing
 * secret): its environment fields, merged into gateway/config.ts's schema, and the checks that need
 * several fields or NODE_ENV (development secrets are refused in production).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { devSecret, isDevSecret } from '../../../lib/config.js';
import { parseApiKeyEntries, type ApiKeyEntry } from './apiKeys.js';
import { ASYMMETRIC_ALGORITHMS, JWT_ALGORITHMS, SYMMETRIC_ALGORITHMS } from './jwt.js';

export interface AuthenticationConfig {
  /** HS256 secret (JWT_SECRET). @default a development secret outside production; none in production */
  jwtSecret?: string;
  /** JWKS of the identity provider (JWT_JWKS_URL), for RS256/ES256 tokens. */
  jwtJwksUrl?: string;
  /** @default "federated-api-platform" */
  jwtIssuer: string;
  /** @default "federated-api" */
  jwtAudience: string;
  /** @default HS256 when a secret is set, plus RS256 and ES256 when a JWKS URL is set */
  jwtAlgorithms: readonly string[];
  /** @default 30 */
  jwtClockToleranceSeconds: number;
  /** @default 30000 */
  jwtJwksCooldownMs: number;
  /** From API_KEYS and the file API_KEYS_FILE. @default [] */
  apiKeys: readonly ApiKeyEntry[];
  /** HMAC key of the identity headers sent to the subgraphs (IDENTITY_SIGNING_SECRET). */
  identitySigningSecret: string;
}

export const DEFAULT_JWT_ISSUER = 'federated-api-platform';
export const DEFAULT_JWT_AUDIENCE = 'federated-api';

export const authenticationEnv = {
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  JWT_JWKS_URL: z.string().url('must be the http(s) URL of a JWKS document').optional(),
  JWT_ISSUER: z.string().min(1).default(DEFAULT_JWT_ISSUER),
  JWT_AUDIENCE: z.string().min(1).default(DEFAULT_JWT_AUDIENCE),
  JWT_ALGORITHMS: z
    .string()
    .optional()
    .transform((v) => v?.split(',').map((a) => a.trim()).filter(Boolean))
    .pipe(
      z
        .array(
          z.string().refine((a) => JWT_ALGORITHMS.includes(a), {
            message: `each algorithm is one of ${JWT_ALGORITHMS.join(', ')} ("none" is never accepted)`,
          }),
        )
        .min(1, 'lists at least one algorithm')
        .optional(),
    ),
  JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(600).default(30),
  JWT_JWKS_COOLDOWN_MS: z.coerce.number().int().min(0).default(30_000),
  API_KEYS: z.string().default(''),
  API_KEYS_FILE: z.string().min(1).optional(),
  IDENTITY_SIGNING_SECRET: z.string().min(16, 'must be at least 16 characters').default(devSecret('identity-signing')),
};

type AuthenticationEnv = z.output<z.ZodObject<typeof authenticationEnv>>;

/** Builds the section; `problems` gets every cross-field problem, named by variable. */
export function authenticationConfig(
  values: AuthenticationEnv,
  production: boolean,
  problems: string[],
): Readonly<AuthenticationConfig> {
  const jwtSecret = values.JWT_SECRET ?? (production ? undefined : devSecret('jwt'));
  if (production && values.JWT_SECRET !== undefined && isDevSecret(values.JWT_SECRET)) {
    problems.push('JWT_SECRET: must be set to a real secret in production (or leave it unset and use JWT_JWKS_URL)');
  }
  if (production && isDevSecret(values.IDENTITY_SIGNING_SECRET)) {
    problems.push('IDENTITY_SIGNING_SECRET: must be set to a real secret in production (the same one the subgraphs have)');
  }
  const defaults = [...(jwtSecret ? ['HS256'] : []), ...(values.JWT_JWKS_URL ? ['RS256', 'ES256'] : [])];
  const jwtAlgorithms = values.JWT_ALGORITHMS ?? defaults;
  const symmetric: readonly string[] = SYMMETRIC_ALGORITHMS;
  const asymmetric: readonly string[] = ASYMMETRIC_ALGORITHMS;
  if (jwtAlgorithms.some((a) => symmetric.includes(a)) && !jwtSecret) {
    problems.push('JWT_ALGORITHMS: lists an HS* algorithm but JWT_SECRET is not set');
  }
  if (jwtAlgorithms.some((a) => asymmetric.includes(a)) && !values.JWT_JWKS_URL) {
    problems.push('JWT_ALGORITHMS: lists an asymmetric algorithm but JWT_JWKS_URL is not set');
  }

  let keysText = values.API_KEYS;
  if (values.API_KEYS_FILE) {
    try {
      keysText += `\n${readFileSync(values.API_KEYS_FILE, 'utf8')}`;
    } catch (err) {
      problems.push(`API_KEYS_FILE: cannot read ${values.API_KEYS_FILE} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  const keys = parseApiKeyEntries(keysText);
  problems.push(...keys.problems.map((p) => `API_KEYS: ${p}`));

  return Object.freeze({
    jwtSecret,
    jwtJwksUrl: values.JWT_JWKS_URL,
    jwtIssuer: values.JWT_ISSUER,
    jwtAudience: values.JWT_AUDIENCE,
    jwtAlgorithms: Object.freeze([...jwtAlgorithms]),
    jwtClockToleranceSeconds: values.JWT_CLOCK_TOLERANCE_SECONDS,
    jwtJwksCooldownMs: values.JWT_JWKS_COOLDOWN_MS,
    apiKeys: Object.freeze(keys.entries.map((e) => Object.freeze({ ...e, scopes: [...e.scopes] }))),
    identitySigningSecret: values.IDENTITY_SIGNING_SECRET,
  });
}
