import { memoryReplayGuard, signRequest, verifyRequest } from './signedRequest.js';

const SECRET = 'a-service-token-of-some-length';
const request = { method: 'POST', path: '/@connections/abc', body: '{"hello":1}' };

async function verify(headers: Record<string, string>, overrides: Partial<Parameters<typeof verifyRequest>[1]> = {}) {
  return verifyRequest(headers, { secret: SECRET, ...request, replayGuard: memoryReplayGuard(), ...overrides });
}

describe('signed requests between services', () => {
  test('a request signed with the shared token verifies', async () => {
    expect(await verify(signRequest({ secret: SECRET, ...request }))).toEqual({ ok: true });
  });

  test('an unsigned request is "missing"; a half-signed one is invalid', async () => {
    expect(await verify({})).toMatchObject({ ok: false, problem: 'missing' });
    const { 'x-service-nonce': _nonce, ...partial } = signRequest({ secret: SECRET, ...request });
    expect(await verify(partial)).toMatchObject({ ok: false, problem: 'invalid' });
  });

  test('another key, method, path or body does not verify', async () => {
    expect(await verify(signRequest({ secret: 'some-other-token-value', ...request }))).toMatchObject({ ok: false, reason: expect.stringContaining('does not match') });
    const headers = signRequest({ secret: SECRET, ...request });
    expect(await verify(headers, { method: 'DELETE' })).toMatchObject({ ok: false, problem: 'invalid' });
    expect(await verify(headers, { path: '/@connections/other' })).toMatchObject({ ok: false, problem: 'invalid' });
    expect(await verify(headers, { body: '{"hello":2}' })).toMatchObject({ ok: false, problem: 'invalid' });
  });

  test('a signature outside the window is refused, either side', async () => {
    const now = Date.now();
    expect(await verify(signRequest({ secret: SECRET, ...request, now: now - 31_000 }), { now })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('window'),
    });
    expect(await verify(signRequest({ secret: SECRET, ...request, now: now + 31_000 }), { now })).toMatchObject({ ok: false });
    expect(await verify(signRequest({ secret: SECRET, ...request, now: now - 29_000 }), { now })).toEqual({ ok: true });
  });

  test('the same signature is accepted once (replays refused); a fresh signature of the same request passes', async () => {
    const replayGuard = memoryReplayGuard();
    const headers = signRequest({ secret: SECRET, ...request });
    expect(await verify(headers, { replayGuard })).toEqual({ ok: true });
    expect(await verify(headers, { replayGuard })).toMatchObject({ ok: false, reason: expect.stringContaining('replayed') });
    expect(await verify(signRequest({ secret: SECRET, ...request }), { replayGuard })).toEqual({ ok: true });
  });

  test('the replay guard forgets a signature once its window is over', async () => {
    let now = 1_000;
    const guard = memoryReplayGuard(() => now);
    expect(await guard.firstUse('sig', 100)).toBe(true);
    expect(await guard.firstUse('sig', 100)).toBe(false);
    now = 1_200;
    expect(await guard.firstUse('sig', 100)).toBe(true);
  });
});
