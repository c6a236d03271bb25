/**
 * The caller's identity as the gateway hands it to a subgraph: plain headers (subject, scopes, API key
 * id and plan) plus a timestamp and an HMAC-SHA256 over all of them and the request id, keyed with
 * IDENTITY_SIGNING_SECRET, which only the gateway and the subgraphs know. A subgraph trusts the
 * headers only when the signature matches and the timestamp is recent, so a caller that reaches a
 * subgraph directly cannot claim an identity, and a captured set of headers stops working soon after.
 * One module for both sides, so the signed text cannot drift between them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Identity } from './identity.js';

export const SIGNED_IDENTITY_HEADERS = {
  subject: 'x-identity-subject',
  scopes: 'x-identity-scopes',
  apiKeyId: 'x-identity-api-key',
  apiKeyPlan: 'x-identity-plan',
  timestamp: 'x-identity-timestamp',
  signature: 'x-identity-signature',
} as const;

/** The headers that change with every call even for the same caller (left out of deduplication keys). */
export const PER_CALL_IDENTITY_HEADERS: readonly string[] = [
  SIGNED_IDENTITY_HEADERS.timestamp,
  SIGNED_IDENTITY_HEADERS.signature,
];

/** How old a signature may be when it arrives. @default 60000 */
export const DEFAULT_IDENTITY_MAX_AGE_MS = 60_000;

const SIGNATURE_VERSION = 'v1';
// Subjects and scopes never contain a newline, so the signed text below is unambiguous.
const SUBJECT_PATTERN = /^[A-Za-z0-9@._:|-]{1,128}$/;
const SCOPE_PATTERN = /^[A-Za-z0-9:._/-]{1,128}$/;
const KEY_PART_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export function isValidSubject(value: string): boolean {
  return SUBJECT_PATTERN.test(value);
}

export function isValidScope(value: string): boolean {
  return SCOPE_PATTERN.test(value);
}

export interface SignIdentityOptions {
  secret: string;
  /** The x-request-id the call carries; the signature is bound to it. */
  requestId: string;
  /** @default Date.now() */
  now?: number;
}

/** The headers that carry `identity` to a subgraph, signed. Anonymous callers get a signed empty identity. */
export function signIdentityHeaders(identity: Identity, options: SignIdentityOptions): Record<string, string> {
  const timestamp = String(options.now ?? Date.now());
  const scopes = identity.scopes.filter(isValidScope);
  const headers: Record<string, string> = {};
  if (identity.subject && isValidSubject(identity.subject)) headers[SIGNED_IDENTITY_HEADERS.subject] = identity.subject;
  if (scopes.length) headers[SIGNED_IDENTITY_HEADERS.scopes] = scopes.join(' ');
  if (identity.apiKey && KEY_PART_PATTERN.test(identity.apiKey.id) && KEY_PART_PATTERN.test(identity.apiKey.plan)) {
    headers[SIGNED_IDENTITY_HEADERS.apiKeyId] = identity.apiKey.id;
    headers[SIGNED_IDENTITY_HEADERS.apiKeyPlan] = identity.apiKey.plan;
  }
  headers[SIGNED_IDENTITY_HEADERS.timestamp] = timestamp;
  headers[SIGNED_IDENTITY_HEADERS.signature] = `${SIGNATURE_VERSION}=${mac(options.secret, signedText(headers, options.requestId))}`;
  return headers;
}

export interface VerifyIdentityOptions {
  secret: string;
  /** The x-request-id the call arrived with. */
  requestId: string;
  /** @default 60000 */
  maxAgeMs?: number;
  /** @default Date.now() */
  now?: number;
}

export type VerifiedIdentity = { ok: true; identity: Identity } | { ok: false; reason: string };

type HeaderBag = Record<string, string | string[] | undefined>;

/** Checks the signature and its age; the reason names what is wrong, for the 401 and the log line. */
export function verifyIdentityHeaders(headers: HeaderBag, options: VerifyIdentityOptions): VerifiedIdentity {
  const signature = single(headers, SIGNED_IDENTITY_HEADERS.signature);
  const timestamp = single(headers, SIGNED_IDENTITY_HEADERS.timestamp);
  if (signature === undefined || timestamp === undefined) {
    return { ok: false, reason: 'the request carries no identity signature from the gateway' };
  }
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'the identity timestamp is malformed' };
  const values: Record<string, string> = {};
  for (const name of Object.values(SIGNED_IDENTITY_HEADERS)) {
    const value = single(headers, name);
    if (value !== undefined) values[name] = value;
  }
  const expected = Buffer.from(`${SIGNATURE_VERSION}=${mac(options.secret, signedText(values, options.requestId))}`);
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'the identity signature is invalid' };
  }
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_IDENTITY_MAX_AGE_MS;
  const age = (options.now ?? Date.now()) - Number(timestamp);
  // A little slack for clocks a few seconds apart between machines.
  if (age > maxAgeMs || age < -5_000) {
    return { ok: false, reason: `the identity signature is outside the ${Math.round(maxAgeMs / 1000)} s window` };
  }
  const subject = values[SIGNED_IDENTITY_HEADERS.subject];
  const scopes = values[SIGNED_IDENTITY_HEADERS.scopes]?.split(' ').filter(Boolean) ?? [];
  const keyId = values[SIGNED_IDENTITY_HEADERS.apiKeyId];
  const plan = values[SIGNED_IDENTITY_HEADERS.apiKeyPlan];
  return {
    ok: true,
    identity: {
      ...(subject ? { subject } : {}),
      scopes,
      ...(keyId && plan ? { apiKey: { id: keyId, plan } } : {}),
    },
  };
}

function signedText(values: Record<string, string>, requestId: string): string {
  const H = SIGNED_IDENTITY_HEADERS;
  return [
    SIGNATURE_VERSION,
    values[H.timestamp] ?? '',
    requestId,
    values[H.subject] ?? '',
    values[H.scopes] ?? '',
    values[H.apiKeyId] ?? '',
    values[H.apiKeyPlan] ?? '',
  ].join('\n');
}

function mac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('base64url');
}

function single(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}
