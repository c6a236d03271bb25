import { maskErrorForProduction } from './errorMasking.js';

describe('maskErrorForProduction', () => {
  it('keeps intended errors, without stack traces', () => {
    const masked = maskErrorForProduction({
      message: 'Not enough stock for prod_0001',
      path: ['placeOrder'],
      extensions: { code: 'BAD_USER_INPUT', stacktrace: ['Error: at x'] },
    });
    expect(masked).toEqual({ message: 'Not enough stock for prod_0001', path: ['placeOrder'], extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('hides everything else behind a generic error, keeping the subgraph name', () => {
    const masked = maskErrorForProduction({
      message: 'relation "orders" does not exist at 10.0.0.5:5432',
      path: ['order'],
      extensions: { code: 'SOMETHING_INTERNAL', serviceName: 'orders', stacktrace: ['x'] },
    });
    expect(masked).toEqual({
      message: 'Internal server error',
      path: ['order'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'orders' },
    });
    expect(maskErrorForProduction({ message: 'TypeError: x is undefined' }).message).toBe('Internal server error');
  });
});
