import { createApiKeyVerifier, hashApiKey, newApiKey, parseApiKeyEntries } from './apiKeys.js';

describe('API keys', () => {
  it('makes a key and an entry that accepts exactly that key', () => {
    const { key, entry } = newApiKey('reporting', 'partner', ['orders:admin', 'products:write']);
    expect(key).toMatch(/^reporting\.[A-Za-z0-9_-]{32}$/);
    expect(entry).toBe(`reporting:${hashApiKey(key)}:partner:orders:admin products:write`);
    const { entries, problems } = parseApiKeyEntries(entry);
    expect(problems).toEqual([]);
    const verifier = createApiKeyVerifier(entries);
    expect(verifier.verify(key)).toEqual({
      subject: 'apikey:reporting',
      scopes: ['orders:admin', 'products:write'],
      apiKey: { id: 'reporting', plan: 'partner' },
    });
    expect(verifier.verify(`${key}x`)).toBeUndefined();
    expect(verifier.verify(key.replace('reporting', 'other'))).toBeUndefined();
    expect(verifier.verify('no-dot-at-all')).toBeUndefined();
  });

  it('reads entries separated by commas or lines, with comments and no scopes', () => {
    const a = newApiKey('a', 'free');
    const b = newApiKey('b', 'partner', ['products:write']);
    const { entries, problems } = parseApiKeyEntries(`# keys\n${a.entry}\n\n${b.entry},`);
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.id, e.plan, e.scopes])).toEqual([
      ['a', 'free', []],
      ['b', 'partner', ['products:write']],
    ]);
  });

  it('names every bad entry', () => {
    const hash = 'a'.repeat(64);
    const { problems } = parseApiKeyEntries(`bad id:${hash}:free,k1:xyz:free,k2:${hash}:,k3:${hash}:free:bad"scope,k4:${hash}:free,k4:${hash}:free`);
    expect(problems).toEqual([
      expect.stringContaining('the id must be'),
      'API key "k1": the hash must be 64 hex digits (SHA-256 of the key)',
      'API key "k2": the plan must be 1-64 of A-Z a-z 0-9 . _ -',
      'API key "k3": invalid scope "bad"scope"',
      'API key "k4" is listed twice',
    ]);
  });
});
