import { HeaderRulesError, isProtectedHeader, parseHeaderRules, subgraphHeaderRules } from './headerRules.js';

const lookup = (headers: Record<string, string>) => (name: string) => headers[name];

describe('header rules', () => {
  const rules = parseHeaderRules(`
all:
  request:
    propagate: [Accept-Language, x-debug]
    insert: { x-platform: gateway }
  response:
    insert: { x-frame-options: DENY }
subgraphs:
  products:
    request:
      rename: { x-client-version: x-app-version }
      remove: [x-debug]
      insert: { x-platform: products-edition }
routes:
  /api/orders:
    response:
      propagate: [x-order-region]
      remove: [etag]
`);

  test('`all` applies everywhere; a specific section runs after it and can undo or override it', () => {
    const client = lookup({ 'accept-language': 'de', 'x-debug': '1', 'x-client-version': '7', cookie: 'secret' });
    expect(rules.apply({ subgraph: 'search' }, 'request', client)).toEqual({
      'accept-language': 'de',
      'x-debug': '1',
      'x-platform': 'gateway',
    });
    expect(rules.apply({ subgraph: 'products' }, 'request', client)).toEqual({
      'accept-language': 'de',
      'x-app-version': '7',
      'x-platform': 'products-edition',
    });
  });

  test('response rules start from what is passed by default', () => {
    const service = lookup({ 'x-order-region': 'eu', etag: '"1"', 'x-internal': 'no' });
    expect(rules.apply({ route: '/api/orders' }, 'response', service, { etag: '"1"', 'content-type': 'application/json' })).toEqual({
      'content-type': 'application/json',
      'x-order-region': 'eu',
      'x-frame-options': 'DENY',
    });
  });

  test('protected headers never come out, even from the base', () => {
    expect(rules.apply({ route: '/api/x' }, 'request', lookup({}), { connection: 'close', 'x-identity-subject': 'eve', accept: '*/*' })).toEqual({
      accept: '*/*',
      'x-platform': 'gateway',
    });
    expect(isProtectedHeader('X-Identity-Signature')).toBe(true);
    expect(isProtectedHeader('Transfer-Encoding')).toBe(true);
    expect(isProtectedHeader('accept-language')).toBe(false);
  });

  test('rules may not name hop-by-hop, request id or identity headers, and each problem is listed', () => {
    let error: unknown;
    try {
      parseHeaderRules(
        `all:\n  request:\n    propagate: [x-identity-subject, connection]\n    insert: { x-request-id: fixed, "bad header": x }\n  sideways: {}\n`,
        'rules.yaml',
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HeaderRulesError);
    const problems = (error as HeaderRulesError).problems.join('\n');
    expect(problems).toMatch(/all\.request\.propagate\.0: .*identity header/);
    expect(problems).toMatch(/all\.request\.propagate\.1/);
    expect(problems).toMatch(/x-request-id/);
    expect(problems).toMatch(/"bad header" is not a valid header name/);
    expect(problems).toMatch(/sideways/);
    expect((error as Error).message).toMatch(/^Header rules in rules\.yaml are invalid/);
  });

  test('values with line breaks and files that are not YAML are refused', () => {
    expect(() => parseHeaderRules('{"all":{"request":{"insert":{"x-a":"one\\r\\nx-b: two"}}}}')).toThrow(/line breaks/);
    expect(() => parseHeaderRules('all: [unclosed')).toThrow(/not valid YAML or JSON/);
    expect(() => parseHeaderRules('routes:\n  /orders: {}\n')).toThrow(/REST route path/);
  });

  test('a subgraph data source copies response headers onto the client response', () => {
    const set = new Map<string, string>();
    const forProducts = subgraphHeaderRules(parseHeaderRules('subgraphs:\n  products:\n    response:\n      rename: { x-took: x-products-took }\n'), 'products');
    forProducts.response(
      { get: (name) => (name === 'x-took' ? '12' : null) },
      { request: {}, response: { http: { headers: { get: (n) => set.get(n) ?? null, set: (n, v) => void set.set(n, v) } } } },
    );
    expect(Object.fromEntries(set)).toEqual({ 'x-products-took': '12' });
    expect(forProducts.request({ request: { http: { headers: { get: () => 'x' } } } })).toEqual({});
  });
});
