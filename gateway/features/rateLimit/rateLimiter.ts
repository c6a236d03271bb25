/**
 * The counters behind throttling, on rate-limiter-flexible: one token bucket per caller (see
 * bucketWindow in limits.ts for how a bucket maps onto the library's windows) and, for API keys on a
 * plan with a quota, a daily counter per key that resets at 00:00 UTC. In memory by default; with
 * Redis every replica counts in the same keys, and while Redis is away each replica falls back to
 * in-memory counters of its own (the library's insurance limiter), logging the switch both ways.
 */
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../../../lib/logger.js';
import type { SharedRedis } from '../../redis.js';
import { bucketWindow, SECONDS_PER_DAY, utcDay, type RateLimitConfig, type TokenBucketLimit } from './limits.js';

/** Who is counted: an API key (by its plan), an authenticated user, or an anonymous client IP. */
export type Caller =
  | { kind: 'apiKey'; id: string; plan: string }
  | { kind: 'user'; id: string }
  | { kind: 'ip'; id: string };

/** One policy's state after this request, in the terms of the RateLimit header fields. */
export interface PolicyState {
  /** Policy name as sent in RateLimit-Policy (`user`, `anonymous`, a plan name, `<plan>-daily`). */
  name: string;
  /** Quota units per window (q). */
  quota: number;
  /** Window in seconds (w). */
  windowSeconds: number;
  /** Units left (r). */
  remaining: number;
  /** Seconds until the window resets (t). */
  resetSeconds: number;
}

export type RateLimitDecision =
  | { allowed: true; policies: PolicyState[] }
  | {
      allowed: false;
      /** Which limit refused: the token bucket or the plan's daily quota. */
      limit: 'rate' | 'quota';
      policies: PolicyState[];
      retryAfterSeconds: number;
      message: string;
      details: Record<string, unknown>;
    };

export interface RateLimiter {
  check(caller: Caller): Promise<RateLimitDecision>;
  /** Whether counters are shared through Redis right now (false in memory mode or while Redis is away). */
  isShared(): boolean;
}

export interface CreateRateLimiterOptions {
  logger: Logger;
  redis?: SharedRedis;
  /** The clock, for the quota's UTC day. @default () => new Date() */
  now?: () => Date;
}

interface Counter {
  limiter: RateLimiterAbstract;
  points: number;
  durationSeconds: number;
}

const CALLER_TEXT = { apiKey: 'API key', user: 'user', ip: 'client address' } as const;

export function createRateLimiter(config: RateLimitConfig, options: CreateRateLimiterOptions): RateLimiter {
  const { logger, redis } = options;
  const now = options.now ?? (() => new Date());
  let local = false;
  let fallbacks = 0;

  const noteFallback = () => {
    fallbacks++;
    if (!local) {
      local = true;
      logger.warn('rate limits: redis unavailable, this replica applies local in-memory limits until it is back');
    }
  };

  const counter = (name: string, points: number, durationSeconds: number): Counter => {
    const keyPrefix = `${config.keyPrefix}:${name}`;
    if (!redis) return { limiter: new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds }), points, durationSeconds };
    const insuranceLimiter = new LocalFallbackLimiter({ keyPrefix, points, duration: durationSeconds }, noteFallback);
    const limiter = new RateLimiterRedis({
      storeClient: redis.client,
      keyPrefix,
      points,
      duration: durationSeconds,
      // Go to the local counters at once while the connection is down instead of waiting for a command to fail.
      rejectIfRedisNotReady: true,
      // The library's in-process blocking would keep refusing keys from memory; the counters stay authoritative.
      inMemoryBlockOnConsumed: 0,
      insuranceLimiter,
    });
    return { limiter, points, durationSeconds };
  };

  const bucketCounter = (name: string, limit: TokenBucketLimit): Counter => {
    const { points, durationSeconds } = bucketWindow(limit);
    return counter(`bucket:${name}`, points, durationSeconds);
  };

  const userBucket = bucketCounter('user', config.user);
  const anonymousBucket = bucketCounter('anonymous', config.anonymous);
  const planBuckets = new Map<string, Counter>();
  const planQuotas = new Map<string, Counter>();
  for (const plan of Object.values(config.plans)) {
    planBuckets.set(plan.name, bucketCounter(`plan:${plan.name}`, plan));
    if (plan.quotaPerDay) planQuotas.set(plan.name, counter(`quota:${plan.name}`, plan.quotaPerDay, SECONDS_PER_DAY));
  }
  const unknownPlansReported = new Set<string>();

  return {
    isShared: () => Boolean(redis) && !local,
    async check(caller) {
      const fallbacksBefore = fallbacks;
      const plan = caller.kind === 'apiKey' ? config.plans[caller.plan] : undefined;
      if (caller.kind === 'apiKey' && !plan && !unknownPlansReported.has(caller.plan)) {
        unknownPlansReported.add(caller.plan);
        logger.warn({ plan: caller.plan }, 'rate limits: an API key names a usage plan USAGE_PLANS does not define; it gets the per-user limits');
      }
      const [bucket, bucketName, bucketKey, bucketLimit] =
        caller.kind === 'apiKey'
          ? plan
            ? [planBuckets.get(plan.name)!, plan.name, caller.id, plan as TokenBucketLimit]
            : [userBucket, 'user', `key:${caller.id}`, config.user]
          : caller.kind === 'user'
            ? [userBucket, 'user', caller.id, config.user]
            : [anonymousBucket, 'anonymous', caller.id, config.anonymous];

      const bucketResult = await consume(bucket.limiter, bucketKey);
      const bucketState = stateOf(bucketName, bucket, bucketResult.res);
      if (!bucketResult.allowed) {
        noteSharedAgain(fallbacksBefore);
        const retryAfterSeconds = Math.max(1, bucketState.resetSeconds);
        return {
          allowed: false,
          limit: 'rate',
          policies: [bucketState],
          retryAfterSeconds,
          message:
            `Rate limit exceeded for this ${CALLER_TEXT[caller.kind]}: ${bucketLimit.burst} requests at once, ` +
            `${bucketLimit.rateText} sustained; retry after ${retryAfterSeconds}s`,
          details: {
            limit: 'rate',
            policy: bucketName,
            rate: bucketLimit.rateText,
            burst: bucketLimit.burst,
            retryAfterSeconds,
          },
        };
      }

      const quota = plan ? planQuotas.get(plan.name) : undefined;
      if (!plan || !quota || caller.kind !== 'apiKey') {
        noteSharedAgain(fallbacksBefore);
        return { allowed: true, policies: [bucketState] };
      }
      const day = utcDay(now());
      const quotaResult = await consume(quota.limiter, `${caller.id}:${day.day}`, day.secondsLeft);
      const quotaState = { ...stateOf(`${plan.name}-daily`, quota, quotaResult.res), resetSeconds: day.secondsLeft };
      noteSharedAgain(fallbacksBefore);
      if (quotaResult.allowed) return { allowed: true, policies: [bucketState, quotaState] };
      return {
        allowed: false,
        limit: 'quota',
        policies: [bucketState, quotaState],
        retryAfterSeconds: day.secondsLeft,
        message:
          `Daily quota of ${plan.quotaPerDay} requests for plan "${plan.name}" is used up; ` +
          `it resets at ${day.resetsAt.toISOString()} (in ${day.secondsLeft}s)`,
        details: {
          limit: 'quota',
          plan: plan.name,
          quota: plan.quotaPerDay,
          resetsAt: day.resetsAt.toISOString(),
          retryAfterSeconds: day.secondsLeft,
        },
      };
    },
  };

  /** A check that needed no local fallback while Redis reports ready means the counters are shared again. */
  function noteSharedAgain(fallbacksBefore: number) {
    if (local && fallbacks === fallbacksBefore && redis?.isReady()) {
      local = false;
      logger.info('rate limits: redis is back, limits are shared by all replicas again');
    }
  }
}

async function consume(
  limiter: RateLimiterAbstract,
  key: string,
  customDuration?: number,
): Promise<{ allowed: boolean; res: RateLimiterRes }> {
  try {
    const res = await limiter.consume(key, 1, customDuration === undefined ? {} : { customDuration });
    return { allowed: true, res };
  } catch (err) {
    if (err instanceof RateLimiterRes) return { allowed: false, res: err };
    throw err;
  }
}

function stateOf(name: string, counter: Counter, res: RateLimiterRes): PolicyState {
  return {
    name,
    quota: counter.points,
    windowSeconds: counter.durationSeconds,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(0, Math.ceil(res.msBeforeNext / 1000)),
  };
}

/** The in-memory counters used while Redis is away; tells the limiter each time it is used. */
class LocalFallbackLimiter extends RateLimiterMemory {
  readonly #onUse: () => void;
  constructor(opts: ConstructorParameters<typeof RateLimiterMemory>[0], onUse: () => void) {
    super(opts);
    this.#onUse = onUse;
  }
  override consume(...args: Parameters<RateLimiterMemory['consume']>): ReturnType<RateLimiterMemory['consume']> {
    this.#onUse();
    return super.consume(...args);
  }
}

