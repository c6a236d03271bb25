/**
 * Signed requests between platform services (a service calling the gateway's push API at
 * /@connections/{id}): an HMAC-SHA256, keyed with the internal service token every service already
 * shares (INTERNAL_SERVICE_TOKEN), over the method, the path with its query, a timestamp, a random
 * nonce and the SHA-256 of the body. The token itself never travels, a signature is good for one
 * path and one body only, stops working after a short window, and the verifier refuses a signature
 * it has already seen (replays). One module for both sides, so the signed text cannot drift.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNED_REQUEST_HEADERS = {
  timestamp: 'x-service-timestamp',
  nonce: 'x-service-nonce',
  signature: 'x-service-signature',
} as const;

/** How old (or how far ahead, for clock skew) a signature may be when it arrives. @default 30000 */
export const DEFAULT_SIGNED_REQUEST_MAX_AGE_MS = 30_000;

const VERSION = 'v1';
const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export interface SignRequestOptions {
  secret: string;
  method: string;
  /** The path with its query string, exactly as sent (e.g. /@connections/abc). */
  path: string;
  body?: string | Buffer;
  /** @default Date.now() */
  now?: number;
  /** @default 16 random bytes */
  nonce?: string;
}

/** The headers that sign one request. */
export function signRequest(options: SignRequestOptions): Record<string, string> {
  const timestamp = String(options.now ?? Date.now());
  const nonce = options.nonce ?? randomBytes(16).toString('base64url');
  const signature = mac(options.secret, signedText(options.method, options.path, timestamp, nonce, options.body));
  return {
    [SIGNED_REQUEST_HEADERS.timestamp]: timestamp,
    [SIGNED_REQUEST_HEADERS.nonce]: nonce,
    [SIGNED_REQUEST_HEADERS.signature]: `${VERSION}=${signature}`,
  };
}

/** Remembers signatures for the window they are valid in; `firstUse` is false for one seen before. */
export interface ReplayGuard {
  firstUse(signature: string, ttlMs: number): Promise<boolean>;
}

/** A replay guard in this process's memory (one replica; with several, use a shared one). */
export function memoryReplayGuard(now: () => number = Date.now): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    async firstUse(signature, ttlMs) {
      const at = now();
      // Expired entries go as new ones come in, so the map holds one window's signatures at most.
      for (const [key, expires] of seen) {
        if (expires > at) break;
        seen.delete(key);
      }
      if ((seen.get(signature) ?? 0) > at) return false;
      seen.delete(signature);
      seen.set(signature, at + ttlMs);
      return true;
    },
  };
}

export interface VerifyRequestOptions {
  secret: string;
  method: string;
  path: string;
  body?: string | Buffer;
  replayGuard: ReplayGuard;
  /** @default 30000 */
  maxAgeMs?: number;
  /** @default Date.now() */
  now?: number;
}

/**
 * `missing`: the request is not signed at all (401); `invalid`: it is signed, but not by a holder of
 * the key for this method, path and body, or too old, or seen before (403).
 */
export type VerifiedRequest = { ok: true } | { ok: false; problem: 'missing' | 'invalid'; reason: string };

type HeaderBag = Record<string, string | string[] | undefined>;

export async function verifyRequest(headers: HeaderBag, options: VerifyRequestOptions): Promise<VerifiedRequest> {
  const signature = single(headers, SIGNED_REQUEST_HEADERS.signature);
  const timestamp = single(headers, SIGNED_REQUEST_HEADERS.timestamp);
  const nonce = single(headers, SIGNED_REQUEST_HEADERS.nonce);
  if (signature === undefined && timestamp === undefined && nonce === undefined) {
    return { ok: false, problem: 'missing', reason: `the request is not signed (no ${SIGNED_REQUEST_HEADERS.signature} header)` };
  }
  if (signature === undefined || timestamp === undefined || nonce === undefined) {
    return {
      ok: false,
      problem: 'invalid',
      reason: `a signed request carries all of ${Object.values(SIGNED_REQUEST_HEADERS).join(', ')}`,
    };
  }
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, problem: 'invalid', reason: 'the signature timestamp is malformed' };
  if (!NONCE_PATTERN.test(nonce)) return { ok: false, problem: 'invalid', reason: 'the signature nonce is malformed' };
  const expected = Buffer.from(`${VERSION}=${mac(options.secret, signedText(options.method, options.path, timestamp, nonce, options.body))}`);
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      problem: 'invalid',
      reason: 'the signature does not match: wrong key, or signed for another method, path or body',
    };
  }
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_SIGNED_REQUEST_MAX_AGE_MS;
  const age = (options.now ?? Date.now()) - Number(timestamp);
  if (Math.abs(age) > maxAgeMs) {
    return { ok: false, problem: 'invalid', reason: `the signature is outside the ${Math.round(maxAgeMs / 1000)} s window` };
  }
  // Kept for both sides of the window, so it cannot come back while its timestamp still passes.
  if (!(await options.replayGuard.firstUse(signature, 2 * maxAgeMs))) {
    return { ok: false, problem: 'invalid', reason: 'the signature was used before (replayed request)' };
  }
  return { ok: true };
}

function signedText(method: string, path: string, timestamp: string, nonce: string, body: string | Buffer | undefined): string {
  const bodyHash = createHash('sha256').update(body ?? '').digest('hex');
  return [VERSION, method.toUpperCase(), path, timestamp, nonce, bodyHash].join('\n');
}

function mac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('base64url');
}

function single(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}
