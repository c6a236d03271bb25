/**
 * Who the caller is, as every service sees it: the gateway builds it from a verified bearer token
 * and/or API key (gateway/auth), and hands it to the subgraphs in signed headers
 * (lib/signedIdentity.ts), where resolvers read it as `ctx.identity`.
 */
export interface Identity {
  /** The authenticated subject (the token's `sub`, or `apikey:<id>`), absent for anonymous callers. */
  subject?: string;
  scopes: string[];
  /** Set when a machine client authenticated with an API key: its id and usage plan. */
  apiKey?: { id: string; plan: string };
}

/** A caller who sent no credential. */
export function anonymousIdentity(): Identity {
  return { scopes: [] };
}
