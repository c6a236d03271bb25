import { AppError } from '../lib/errors.js';
import { ConnectionGate } from './connectionGate.js';

describe('ConnectionGate', () => {
  it('lets `size` holders in and hands a released slot to the first in line', async () => {
    const gate = new ConnectionGate(2, 1_000, 'database x');
    const a = await gate.acquire();
    await gate.acquire();
    const order: string[] = [];
    const third = gate.acquire().then((release) => (order.push('third'), release));
    const fourth = gate.acquire().then((release) => (order.push('fourth'), release));
    expect(gate.queued).toBe(2);
    a();
    a(); // releasing twice frees only one slot
    (await third)();
    (await fourth)();
    expect(order).toEqual(['third', 'fourth']);
    expect(gate.inUse).toBe(1);
  });

  it('gives up after the wait with 503 POOL_EXHAUSTED and a Retry-After', async () => {
    const gate = new ConnectionGate(1, 30, 'database orders');
    const release = await gate.acquire();
    const started = Date.now();
    const err = (await gate.acquire().catch((e: unknown) => e)) as AppError;
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('POOL_EXHAUSTED');
    expect(err.status).toBe(503);
    expect(err.retryAfterSeconds).toBe(1);
    expect(err.message).toMatch(/1 connection to database orders stayed busy for 30 ms/);
    expect(gate.queued).toBe(0);
    release();
    expect(gate.inUse).toBe(0);
  });

  it('refuses holders once closed', async () => {
    const gate = new ConnectionGate(1, 1_000, 'database x');
    await gate.acquire();
    const waiting = gate.acquire().catch((e: AppError) => e.code);
    gate.close('closing');
    expect(await waiting).toBe('DB_UNAVAILABLE');
    await expect(gate.acquire()).rejects.toMatchObject({ code: 'DB_UNAVAILABLE' });
  });
});
