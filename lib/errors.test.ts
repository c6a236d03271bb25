import { AppError, appErrorFromBody, ErrorCodes } from './errors.js';

describe('error registry', () => {
  it('gives every code its HTTP status and one body shape', () => {
    const err = new AppError('POOL_EXHAUSTED', 'busy', { details: { waitedMs: 10 }, retryAfterSeconds: 1 });
    expect(err.status).toBe(503);
    expect(err.toBody()).toEqual({ error: { code: 'POOL_EXHAUSTED', message: 'busy', details: { waitedMs: 10 } } });
    expect(ErrorCodes.UNAUTHENTICATED).toBe(401);
  });

  it('reads a body from another service back, and falls back on unknown shapes', () => {
    expect(appErrorFromBody(409, { error: { code: 'CONFLICT', message: 'dup' } }, 'x').code).toBe('CONFLICT');
    const unknown = appErrorFromBody(502, '<html>', 'bad gateway');
    expect(unknown.code).toBe('DOWNSTREAM_SERVICE_ERROR');
    expect(unknown.message).toBe('bad gateway');
  });
});
