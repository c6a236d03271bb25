import { restRoutesSchema, serviceBaseUrlOf } from './useRestRoutes.js';

describe('REST_ROUTES', () => {
  test('defaults to the platform services under /api', () => {
    expect(restRoutesSchema.parse(undefined)).toEqual([
      { service: 'products', path: '/api/products' },
      { service: 'search', path: '/api/search' },
      { service: 'orders', path: '/api/orders' },
    ]);
    expect(restRoutesSchema.parse('')).toEqual([]);
  });

  test('refuses paths outside /api (the front door would not run), overlaps and malformed entries, each named', () => {
    const result = restRoutesSchema.safeParse('products=/products,orders=/api/orders,returns=/api/orders/returns,junk,x=/api/openapi.json');
    expect(result.success).toBe(false);
    const messages = result.error!.issues.map((i) => i.message);
    expect(messages).toEqual([
      'products: "/products" must be a path under /api, such as /api/products',
      'returns: "/api/orders/returns" overlaps orders\'s "/api/orders"',
      '"junk" is not of the form service=/api/path',
      'x: "/api/openapi.json" must be a path under /api, such as /api/x',
    ]);
  });

  test('a service base URL is its routing URL without /graphql', () => {
    expect(serviceBaseUrlOf('http://products:4001/graphql')).toBe('http://products:4001');
    expect(serviceBaseUrlOf('https://edge.test/products/graphql/')).toBe('https://edge.test/products');
  });
});
