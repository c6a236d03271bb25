/**
 * API keys for machine clients, each bound to a usage plan (the throttling feature reads the plan).
 * A key is `<id>.<secret>`; the gateway stores only the SHA-256 of the whole key, looks the entry
 * up by id and compares digests in constant time. Configured as entries `id:sha256hex:plan:scopes`
 * (scopes space-separated, may be empty), separated by commas or newlines (API_KEYS, API_KEYS_FILE).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Identity } from '../../../lib/identity.js';
import { isValidScope } from '../../../lib/signedIdentity.js';

export interface ApiKeyEntry {
  id: string;
  /** SHA-256 of the whole key `<id>.<secret>`, lower-case hex. */
  sha256: string;
  plan: string;
  scopes: string[];
}

export const API_KEY_HEADER = 'x-api-key';
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const PLAN_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** Reads entries; every problem is returned (by entry), so configuration reports them all at once. */
export function parseApiKeyEntries(text: string): { entries: ApiKeyEntry[]; problems: string[] } {
  const entries: ApiKeyEntry[] = [];
  const problems: string[] = [];
  const lines = text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  for (const line of lines) {
    const [id = '', sha256 = '', plan = '', ...rest] = line.split(':');
    const scopes = rest.join(':').split(/\s+/).filter(Boolean);
    const label = ID_PATTERN.test(id) ? `API key "${id}"` : `API key entry "${line.slice(0, 40)}"`;
    if (!ID_PATTERN.test(id)) problems.push(`${label}: the id must be 1-64 of A-Z a-z 0-9 _ - (form id:sha256hex:plan:scopes)`);
    else if (!HASH_PATTERN.test(sha256.toLowerCase())) problems.push(`${label}: the hash must be 64 hex digits (SHA-256 of the key)`);
    else if (!PLAN_PATTERN.test(plan)) problems.push(`${label}: the plan must be 1-64 of A-Z a-z 0-9 . _ -`);
    else if (scopes.some((s) => !isValidScope(s))) problems.push(`${label}: invalid scope "${scopes.find((s) => !isValidScope(s))}"`);
    else if (entries.some((e) => e.id === id)) problems.push(`${label} is listed twice`);
    else entries.push({ id, sha256: sha256.toLowerCase(), plan, scopes });
  }
  return { entries, problems };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new random key and the configuration entry that accepts it. */
export function newApiKey(id: string, plan: string, scopes: readonly string[] = []): { key: string; entry: string } {
  if (!ID_PATTERN.test(id)) throw new Error('the key id must be 1-64 of A-Z a-z 0-9 _ -');
  if (!PLAN_PATTERN.test(plan)) throw new Error('the plan must be 1-64 of A-Z a-z 0-9 . _ -');
  const bad = scopes.find((s) => !isValidScope(s));
  if (bad) throw new Error(`invalid scope "${bad}"`);
  const key = `${id}.${randomBytes(24).toString('base64url')}`;
  return { key, entry: `${id}:${hashApiKey(key)}:${plan}:${scopes.join(' ')}` };
}

export interface ApiKeyVerifier {
  /** The identity of a configured key, or undefined for any key that is not one. */
  verify(key: string): Identity | undefined;
}

export function createApiKeyVerifier(entries: readonly ApiKeyEntry[]): ApiKeyVerifier {
  const byId = new Map(entries.map((e) => [e.id, { ...e, digest: Buffer.from(e.sha256, 'hex') }]));
  return {
    verify(key) {
      const dot = key.indexOf('.');
      const entry = dot > 0 ? byId.get(key.slice(0, dot)) : undefined;
      // Hash even when the id is unknown, so both cases take the same time.
      const digest = createHash('sha256').update(key).digest();
      const expected = entry?.digest ?? Buffer.alloc(32);
      if (!timingSafeEqual(digest, expected) || !entry) return undefined;
      return { subject: `apikey:${entry.id}`, scopes: [...entry.scopes], apiKey: { id: entry.id, plan: entry.plan } };
    },
  };
}
