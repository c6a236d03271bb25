import { ConfigError } from '../../../lib/config.js';
import { loadGatewayConfig } from '../../config.js';
import { bucketWindow, parseLimitSpec, utcDay } from './limits.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadGatewayConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('usage plans and limits from the environment', () => {
  it('reads USAGE_PLANS into plans by name, each a bucket with an optional daily quota', () => {
    const config = loadGatewayConfig({
      USAGE_PLANS: 'free=rate:5/s,burst:10,quota:1000/day; partner = rate:3000/min, burst:100 ;',
      RATE_LIMIT_USER: 'rate:2/s,burst:4',
      RATE_LIMIT_ANONYMOUS: 'rate:1/s',
    });
    expect(config.rateLimit.plans).toEqual({
      free: { name: 'free', ratePerSecond: 5, burst: 10, rateText: '5/s', quotaPerDay: 1000 },
      partner: { name: 'partner', ratePerSecond: 50, burst: 100, rateText: '3000/min' },
    });
    expect(config.rateLimit.user).toEqual({ ratePerSecond: 2, burst: 4, rateText: '2/s' });
    // The burst defaults to one second of the rate.
    expect(config.rateLimit.anonymous).toEqual({ ratePerSecond: 1, burst: 1, rateText: '1/s' });
    expect(Object.isFrozen(config.rateLimit.plans)).toBe(true);
    expect(Object.isFrozen(config.rateLimit.plans.free)).toBe(true);
  });

  it('turns throttling off with RATE_LIMIT=false', () => {
    expect(loadGatewayConfig({ RATE_LIMIT: 'false' }).rateLimit.enabled).toBe(false);
  });

  it('reports every problem of every plan and limit at once, naming the variable and the plan', () => {
    const problems = problemsOf({
      USAGE_PLANS:
        'free=rate:5/s,burst:10,quota:1000/week;partner=burst:10;gold=rate:fast;silver=rate:50/s,burst:10;free=rate:1/s;=rate:1/s;bad name=rate:1/s;x=rate:1/s,colour:blue',
      RATE_LIMIT_USER: 'rate:0/s,burst:-1',
      RATE_LIMIT_ANONYMOUS: 'rate:1/s,quota:5/day',
      RATE_LIMIT_KEY_PREFIX: 'has space',
      REDIS_URL: 'http://localhost:6379',
      GATEWAY_TRUST_PROXY: 'loopback, 10.0.0.0/33, proxy.local',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'USAGE_PLANS: free: quota "1000/week" is not a positive whole number per day (e.g. 1000/day)',
        'USAGE_PLANS: partner: rate is required, e.g. rate:10/s',
        'USAGE_PLANS: gold: rate "fast" is not a positive number per s, min or h (e.g. 10/s, 300/min)',
        'USAGE_PLANS: silver: burst (10) must be at least the rate per second (50): limits are counted in whole seconds',
        'USAGE_PLANS: free is listed twice',
        'USAGE_PLANS: "=rate:1/s" is not of the form plan=rate:5/s,burst:10,quota:1000/day',
        'USAGE_PLANS: plan name "bad name" may use letters, digits, _ . - only',
        'USAGE_PLANS: x: unknown setting "colour" (expected rate, burst, quota)',
        'RATE_LIMIT_USER: rate "0/s" is not a positive number per s, min or h (e.g. 10/s, 300/min)',
        'RATE_LIMIT_USER: burst "-1" is not a positive whole number',
        'RATE_LIMIT_ANONYMOUS: quota applies to usage plans (USAGE_PLANS) only',
        'RATE_LIMIT_KEY_PREFIX: may use letters, digits and : . _ - only',
        'REDIS_URL: must be a redis:// or rediss:// URL',
        expect.stringMatching(/^GATEWAY_TRUST_PROXY: "10\.0\.0\.0\/33" is not /),
        expect.stringMatching(/^GATEWAY_TRUST_PROXY: "proxy\.local" is not /),
      ]),
    );
    expect(problems).toHaveLength(15);
  });

  it('reads GATEWAY_TRUST_PROXY as express `trust proxy`: off, all, hops, or addresses', () => {
    expect(loadGatewayConfig({}).trustProxy).toBe(false);
    expect(loadGatewayConfig({ GATEWAY_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadGatewayConfig({ GATEWAY_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadGatewayConfig({ GATEWAY_TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
  });

  it('reads REDIS_URL', () => {
    expect(loadGatewayConfig({ REDIS_URL: 'redis://:secret@redis:6379/0' }).redisUrl).toBe('redis://:secret@redis:6379/0');
  });
});

describe('parseLimitSpec', () => {
  it('accepts rates per second, minute and hour', () => {
    expect(parseLimitSpec('rate:2.5/s,burst:5', { allowQuota: false }).limit).toMatchObject({ ratePerSecond: 2.5, burst: 5 });
    expect(parseLimitSpec('rate:120/min,burst:2', { allowQuota: false }).limit).toMatchObject({ ratePerSecond: 2 });
    expect(parseLimitSpec('RATE: 36/h', { allowQuota: false }).limit).toMatchObject({ ratePerSecond: 0.01, burst: 1 });
  });

  it('refuses a setting given twice and an entry without a value', () => {
    expect(parseLimitSpec('rate:1/s,rate:2/s,burst', { allowQuota: false }).problems).toEqual([
      'rate is given twice',
      '"burst" is not of the form name:value (rate, burst)',
    ]);
  });
});

describe('bucketWindow', () => {
  it('holds the burst in a window of whole seconds that keeps the sustained rate at or below the rate', () => {
    expect(bucketWindow({ ratePerSecond: 5, burst: 10, rateText: '5/s' })).toEqual({ points: 10, durationSeconds: 2 });
    expect(bucketWindow({ ratePerSecond: 10, burst: 15, rateText: '10/s' })).toEqual({ points: 15, durationSeconds: 2 });
    expect(bucketWindow({ ratePerSecond: 20, burst: 20, rateText: '20/s' })).toEqual({ points: 20, durationSeconds: 1 });
    expect(bucketWindow({ ratePerSecond: 1 / 60, burst: 5, rateText: '1/min' })).toEqual({ points: 5, durationSeconds: 300 });
  });
});

describe('utcDay', () => {
  it('names the UTC day and the seconds until the next 00:00 UTC', () => {
    expect(utcDay(new Date('2025-03-31T23:59:30.200Z'))).toEqual({
      day: '2025-03-31',
      secondsLeft: 30,
      resetsAt: new Date('2025-04-01T00:00:00.000Z'),
    });
    expect(utcDay(new Date('2025-01-01T00:00:00.000Z')).secondsLeft).toBe(86_400);
  });
});
