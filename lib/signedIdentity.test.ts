import { SIGNED_IDENTITY_HEADERS as H, signIdentityHeaders, verifyIdentityHeaders } from './signedIdentity.js';

const secret = 'a-secret-of-the-gateway-and-subgraphs';
const now = 1_800_000_000_000;
const identity = { subject: 'auth0|alice', scopes: ['orders:write', 'products:write'], apiKey: { id: 'reporting', plan: 'partner' } };

describe('signed identity headers', () => {
  it('round-trips subject, scopes and API key for the same request id', () => {
    const headers = signIdentityHeaders(identity, { secret, requestId: 'req-1', now });
    expect(verifyIdentityHeaders(headers, { secret, requestId: 'req-1', now: now + 1_000 })).toEqual({ ok: true, identity });
  });

  it('signs an anonymous caller too, so the subgraph still knows the gateway sent it', () => {
    const headers = signIdentityHeaders({ scopes: [] }, { secret, requestId: 'req-2', now });
    expect(Object.keys(headers).sort()).toEqual([H.signature, H.timestamp].sort());
    expect(verifyIdentityHeaders(headers, { secret, requestId: 'req-2', now })).toEqual({ ok: true, identity: { scopes: [] } });
  });

  it.each([
    ['another secret', (h: Record<string, string>) => h, { secret: 'another-secret-entirely' }, /signature is invalid/],
    ['another request id', (h: Record<string, string>) => h, { requestId: 'req-other' }, /signature is invalid/],
    ['an altered subject', (h: Record<string, string>) => ({ ...h, [H.subject]: 'mallory' }), {}, /signature is invalid/],
    ['an added scope', (h: Record<string, string>) => ({ ...h, [H.scopes]: `${h[H.scopes]} orders:admin` }), {}, /signature is invalid/],
    ['a removed API key', (h: Record<string, string>) => ({ ...h, [H.apiKeyId]: undefined as unknown as string }), {}, /signature is invalid/],
    ['no signature', (h: Record<string, string>) => ({ ...h, [H.signature]: undefined as unknown as string }), {}, /no identity signature/],
    ['a malformed timestamp', (h: Record<string, string>) => ({ ...h, [H.timestamp]: 'soon' }), {}, /timestamp is malformed/],
    ['an old signature', (h: Record<string, string>) => h, { now: now + 60_001 }, /outside the 60 s window/],
    ['a signature from the future', (h: Record<string, string>) => h, { now: now - 10_000 }, /outside the 60 s window/],
  ])('refuses %s', (_name, change, options, reason) => {
    const headers = change(signIdentityHeaders(identity, { secret, requestId: 'req-1', now }));
    const result = verifyIdentityHeaders(headers, { secret, requestId: 'req-1', now, ...options });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('honours a shorter window', () => {
    const headers = signIdentityHeaders(identity, { secret, requestId: 'r', now });
    expect(verifyIdentityHeaders(headers, { secret, requestId: 'r', now: now + 6_000, maxAgeMs: 5_000 }).ok).toBe(false);
  });

  it('leaves out values that could not travel safely in a header', () => {
    const headers = signIdentityHeaders({ subject: 'a\nb', scopes: ['ok:scope', 'bad scope'] }, { secret, requestId: 'r', now });
    expect(verifyIdentityHeaders(headers, { secret, requestId: 'r', now })).toEqual({ ok: true, identity: { scopes: ['ok:scope'] } });
  });
});
