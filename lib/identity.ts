/**
 * The caller's identity as it travels from the gateway to the subgraphs. For now the gateway forwards
 * the caller's own headers; the front-door issue replaces their source with verified tokens and signs
 * them, without changing what subgraphs read.
 */
export const IDENTITY_HEADERS = { subject: 'x-user-id', scopes: 'x-user-scopes' } as const;

export interface Identity {
  /** The authenticated subject (customer id), absent for anonymous callers. */
  subject?: string;
  scopes: string[];
  /** Set when a machine client authenticated with an API key: its id and usage plan. */
  apiKey?: { id: string; plan: string };
}

const SUBJECT_PATTERN = /^[A-Za-z0-9@._:|-]{1,128}$/;

/** Reads identity headers; a malformed subject is treated as anonymous rather than trusted. */
export function identityFromHeaders(headers: Record<string, string | string[] | undefined>): Identity {
  const rawSubject = headers[IDENTITY_HEADERS.subject];
  const rawScopes = headers[IDENTITY_HEADERS.scopes];
  const subject = typeof rawSubject === 'string' && SUBJECT_PATTERN.test(rawSubject) ? rawSubject : undefined;
  const scopes =
    typeof rawScopes === 'string'
      ? rawScopes
          .split(/[\s,]+/)
          .map((s) => s.trim())
          .filter((s) => /^[A-Za-z0-9:._-]{1,64}$/.test(s))
      : [];
  return { subject, scopes };
}

export function identityToHeaders(identity: Identity): Record<string, string> {
  const headers: Record<string, string> = {};
  if (identity.subject) headers[IDENTITY_HEADERS.subject] = identity.subject;
  if (identity.scopes.length) headers[IDENTITY_HEADERS.scopes] = identity.scopes.join(' ');
  return headers;
}
