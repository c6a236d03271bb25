/**
 * The throttling settings and their text form: a token bucket (`rate:20/s,burst:40`) for users and
 * anonymous callers, and usage plans for API keys, each a bucket plus an optional daily quota
 * (`free=rate:5/s,burst:10,quota:1000/day;partner=rate:50/s,burst:100`), as API Gateway's usage
 * plans have. Parsed by zod transforms that report every problem of every entry at once.
 */
import { z } from 'zod';

export interface TokenBucketLimit {
  /** Tokens added per second (the sustained request rate). */
  ratePerSecond: number;
  /** Bucket capacity: how many requests may arrive at once. */
  burst: number;
  /** The rate as written, e.g. `20/s`, for messages and headers. */
  rateText: string;
}

export interface UsagePlan extends TokenBucketLimit {
  name: string;
  /** Requests per UTC day for each API key on the plan; absent = no quota. */
  quotaPerDay?: number;
}

export interface RateLimitConfig {
  /** RATE_LIMIT=false turns throttling off. @default true */
  enabled: boolean;
  /** Usage plans by name (USAGE_PLANS), for callers with an API key. @default {} */
  plans: Readonly<Record<string, Readonly<UsagePlan>>>;
  /** Per authenticated user (RATE_LIMIT_USER). @default rate:20/s,burst:40 */
  user: Readonly<TokenBucketLimit>;
  /** Per client IP for anonymous callers (RATE_LIMIT_ANONYMOUS). @default rate:10/s,burst:20 */
  anonymous: Readonly<TokenBucketLimit>;
  /** Namespace of the counters' keys (in Redis, shared by replicas that should share limits). @default gateway:ratelimit */
  keyPrefix: string;
}

const PER_SECOND: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hour: 3600,
};

const RATE_PATTERN = /^(\d+(?:\.\d+)?)\s*\/\s*([a-z]+)$/i;
const QUOTA_PATTERN = /^(\d+)\s*\/\s*day$/i;
const PLAN_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

interface ParsedSpec {
  limit?: UsagePlan;
  problems: string[];
}

/**
 * Reads `rate:5/s,burst:10[,quota:1000/day]`. The burst defaults to the rate per second (at least 1).
 * The burst must hold at least one second of the rate: the counters work in whole seconds.
 */
export function parseLimitSpec(spec: string, options: { allowQuota: boolean; name?: string }): ParsedSpec {
  const problems: string[] = [];
  const fields = new Map<string, string>();
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const colon = part.indexOf(':');
    const key = colon > 0 ? part.slice(0, colon).trim().toLowerCase() : '';
    const value = colon > 0 ? part.slice(colon + 1).trim() : '';
    if (!key || !value) {
      problems.push(`"${part}" is not of the form name:value (rate, burst${options.allowQuota ? ', quota' : ''})`);
      continue;
    }
    if (!['rate', 'burst', 'quota'].includes(key)) {
      problems.push(`unknown setting "${key}" (expected rate, burst${options.allowQuota ? ', quota' : ''})`);
      continue;
    }
    if (fields.has(key)) problems.push(`${key} is given twice`);
    fields.set(key, value);
  }

  let ratePerSecond: number | undefined;
  let rateText = '';
  const rate = fields.get('rate');
  if (rate === undefined) {
    problems.push('rate is required, e.g. rate:10/s');
  } else {
    const match = RATE_PATTERN.exec(rate);
    const unit = match ? PER_SECOND[match[2].toLowerCase()] : undefined;
    if (!match || unit === undefined || Number(match[1]) <= 0) {
      problems.push(`rate "${rate}" is not a positive number per s, min or h (e.g. 10/s, 300/min)`);
    } else {
      ratePerSecond = Number(match[1]) / unit;
      rateText = `${match[1]}/${match[2].toLowerCase()}`;
    }
  }

  let burst: number | undefined;
  const burstText = fields.get('burst');
  if (burstText !== undefined) {
    if (!/^\d+$/.test(burstText) || Number(burstText) < 1) problems.push(`burst "${burstText}" is not a positive whole number`);
    else burst = Number(burstText);
  } else if (ratePerSecond !== undefined) {
    burst = Math.max(1, Math.ceil(ratePerSecond));
  }
  if (burst !== undefined && ratePerSecond !== undefined && burst < ratePerSecond) {
    problems.push(`burst (${burst}) must be at least the rate per second (${ratePerSecond}): limits are counted in whole seconds`);
  }

  let quotaPerDay: number | undefined;
  const quota = fields.get('quota');
  if (quota !== undefined) {
    const match = QUOTA_PATTERN.exec(quota);
    if (!options.allowQuota) problems.push('quota applies to usage plans (USAGE_PLANS) only');
    else if (!match || Number(match[1]) < 1) problems.push(`quota "${quota}" is not a positive whole number per day (e.g. 1000/day)`);
    else quotaPerDay = Number(match[1]);
  }

  if (problems.length || ratePerSecond === undefined || burst === undefined) return { problems };
  return {
    problems,
    limit: { name: options.name ?? '', ratePerSecond, burst, rateText, ...(quotaPerDay ? { quotaPerDay } : {}) },
  };
}

/** A zod field for one token bucket (RATE_LIMIT_USER, RATE_LIMIT_ANONYMOUS). */
export function tokenBucketSchema(fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((raw, ctx): TokenBucketLimit => {
      const { limit, problems } = parseLimitSpec(raw, { allowQuota: false });
      for (const message of problems) ctx.addIssue({ code: 'custom', message });
      if (!limit) return z.NEVER;
      return Object.freeze({ ratePerSecond: limit.ratePerSecond, burst: limit.burst, rateText: limit.rateText });
    });
}

/** A zod field for USAGE_PLANS: `name=spec;name=spec`, every entry checked on its own. */
export const usagePlansSchema = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const plans: Record<string, Readonly<UsagePlan>> = {};
    const seen = new Set<string>();
    for (const entry of raw.split(';').map((part) => part.trim()).filter(Boolean)) {
      const eq = entry.indexOf('=');
      const name = eq > 0 ? entry.slice(0, eq).trim() : '';
      if (!name) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not of the form plan=rate:5/s,burst:10,quota:1000/day` });
        continue;
      }
      if (!PLAN_NAME_PATTERN.test(name)) {
        ctx.addIssue({ code: 'custom', message: `plan name "${name}" may use letters, digits, _ . - only` });
        continue;
      }
      const { limit, problems } = parseLimitSpec(entry.slice(eq + 1), { allowQuota: true, name });
      for (const problem of problems) ctx.addIssue({ code: 'custom', message: `${name}: ${problem}` });
      if (seen.has(name)) ctx.addIssue({ code: 'custom', message: `${name} is listed twice` });
      seen.add(name);
      if (limit) plans[name] = Object.freeze(limit);
    }
    return Object.freeze(plans);
  });

/**
 * How a bucket maps onto rate-limiter-flexible's counters (fixed windows of whole seconds): `burst`
 * requests per window of `ceil(burst / rate)` seconds. A full burst passes at once and the sustained
 * rate never exceeds `rate`; unlike a true token bucket, a drained client waits for the window's end
 * (up to burst/rate seconds) rather than 1/rate, and up to 2 x burst can pass around a window edge.
 */
export function bucketWindow(limit: TokenBucketLimit): { points: number; durationSeconds: number } {
  return { points: limit.burst, durationSeconds: Math.max(1, Math.ceil(limit.burst / limit.ratePerSecond - 1e-9)) };
}

export const SECONDS_PER_DAY = 86_400;

/** The UTC day a quota counts in (`2025-01-31`) and the seconds left until it ends. */
export function utcDay(now: Date): { day: string; secondsLeft: number; resetsAt: Date } {
  const day = now.toISOString().slice(0, 10);
  const resetsAt = new Date(`${day}T00:00:00.000Z`);
  resetsAt.setUTCDate(resetsAt.getUTCDate() + 1);
  return { day, secondsLeft: Math.max(1, Math.ceil((resetsAt.getTime() - now.getTime()) / 1000)), resetsAt };
}
