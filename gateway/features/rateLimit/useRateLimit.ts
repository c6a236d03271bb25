/**
 * Throttling at the front door, after authentication: an API key is limited by its usage plan (token
 * bucket plus daily quota), an authenticated user by the per-user bucket, anyone else by client IP.
 * Every answer carries the RateLimit and RateLimit-Policy fields of
 * draft-ietf-httpapi-ratelimit-headers-10; a refusal is a 429 with Retry-After and code RATE_LIMITED,
 * in the registry's body shape under /api and in the GraphQL shape on /graphql.
 */
import type { ServerResponse } from 'node:http';
import { AppError } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/logger.js';
import type { RateLimitConfig } from './limits.js';
import { createRateLimiter, type Caller, type PolicyState, type RateLimiter } from './rateLimiter.js';
import type { SharedRedis } from '../../redis.js';
import type { FrontDoorRequest, GatewayFeature } from '../feature.js';

export interface RateLimitFeatureOptions {
  logger: Logger;
  /** Counters shared by every replica; absent = in-memory counters of this process. @default undefined */
  redis?: SharedRedis;
  /** The clock, for the quota's UTC day. @default () => new Date() */
  now?: () => Date;
  /** Called for each request refused with 429 (gateway_rate_limit_rejections_total). */
  onRejected?: () => void;
  /**
   * The address an anonymous caller is counted under (trustProxy.ts clientAddressResolver: the peer,
   * or whom X-Forwarded-For names through trusted proxies). @default the peer's address
   */
  clientAddress?: (req: FrontDoorRequest) => string;
}

export interface RateLimitFeature extends GatewayFeature {
  readonly limiter: RateLimiter;
}

export function useRateLimit(config: RateLimitConfig, options: RateLimitFeatureOptions): RateLimitFeature {
  const limiter = createRateLimiter(config, options);
  const { logger } = options;
  const clientAddress = options.clientAddress ?? ((req: FrontDoorRequest) => req.socket.remoteAddress ?? 'unknown');
  return {
    name: 'rate limit',
    limiter,
    async onRequest(req, res) {
      // A CORS preflight is the browser asking, not the caller calling.
      if (req.method === 'OPTIONS') return;
      let decision;
      try {
        decision = await limiter.check(callerOf(req, clientAddress));
      } catch (err) {
        // The counters failing must not take the API down with them: serve, and say so.
        logger.error({ err, reqId: req.requestId }, 'rate limits: check failed, request served unthrottled');
        return;
      }
      setRateLimitHeaders(res, decision.policies);
      if (decision.allowed) return;
      res.setHeader('Retry-After', String(decision.retryAfterSeconds));
      options.onRejected?.();
      throw new AppError('RATE_LIMITED', decision.message, {
        details: decision.details,
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    },
  };
}

/** The key a request is counted under: its API key, else its user, else its client address. */
function callerOf(req: FrontDoorRequest, clientAddress: (req: FrontDoorRequest) => string): Caller {
  const identity = req.identity;
  if (identity?.apiKey) return { kind: 'apiKey', id: identity.apiKey.id, plan: identity.apiKey.plan };
  if (identity?.subject) return { kind: 'user', id: identity.subject };
  return { kind: 'ip', id: clientAddress(req) };
}

/**
 * `RateLimit-Policy: "free";q=10;w=2, "free-daily";q=1000;w=86400` and
 * `RateLimit: "free";r=7;t=1, "free-daily";r=990;t=43000` (structured-field lists).
 */
export function setRateLimitHeaders(res: ServerResponse, policies: readonly PolicyState[]): void {
  if (!policies.length) return;
  res.setHeader('RateLimit-Policy', policies.map((p) => `"${p.name}";q=${p.quota};w=${p.windowSeconds}`).join(', '));
  res.setHeader('RateLimit', policies.map((p) => `"${p.name}";r=${p.remaining};t=${p.resetSeconds}`).join(', '));
}
