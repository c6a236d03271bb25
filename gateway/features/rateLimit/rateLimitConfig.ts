/**
 * The throttling part of the gateway's environment schema (spread into config.ts's), and the config
 * it becomes. Every entry of every variable is checked, so all problems show at once.
 */
import { z } from 'zod';
import { env } from '../../../lib/config.js';
import { tokenBucketSchema, usagePlansSchema, type RateLimitConfig } from './limits.js';
import { trustProxySchema } from './trustProxy.js';

export const rateLimitEnv = {
  RATE_LIMIT: env.bool(true),
  USAGE_PLANS: usagePlansSchema,
  RATE_LIMIT_USER: tokenBucketSchema('rate:20/s,burst:40'),
  RATE_LIMIT_ANONYMOUS: tokenBucketSchema('rate:10/s,burst:20'),
  RATE_LIMIT_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:._-]{1,100}$/, 'may use letters, digits and : . _ - only')
    .default('gateway:ratelimit'),
  GATEWAY_TRUST_PROXY: trustProxySchema,
};

type RateLimitEnvValues = { [K in keyof typeof rateLimitEnv]: z.output<(typeof rateLimitEnv)[K]> };

export function rateLimitConfig(values: RateLimitEnvValues): Readonly<RateLimitConfig> {
  return Object.freeze({
    enabled: values.RATE_LIMIT,
    plans: values.USAGE_PLANS,
    user: values.RATE_LIMIT_USER,
    anonymous: values.RATE_LIMIT_ANONYMOUS,
    keyPrefix: values.RATE_LIMIT_KEY_PREFIX,
  });
}
