/**
 * The OpenAPI 3.1 document of the gateway's REST routes (GET /api/openapi.json), built from the
 * route table so the paths are the ones actually served. Routes to services this platform does not
 * describe are listed as pass-through paths.
 */
import type { RestRoute } from './useRestRoutes.js';

export type OpenApiDocument = Record<string, unknown> & { openapi: string; paths: Record<string, unknown> };

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });

const COMMON_ERRORS = {
  '400': errorResponse('Invalid input: the message names every problem (BAD_USER_INPUT)'),
  '401': errorResponse('A credential was sent but is not valid, or the route needs a signed-in caller (UNAUTHENTICATED)'),
  '429': errorResponse('Too many requests (RATE_LIMITED); see Retry-After and RateLimit-* headers'),
  '502': errorResponse('The owning service is unreachable or failed (DOWNSTREAM_SERVICE_ERROR)'),
  '504': errorResponse('The owning service did not answer in time (GATEWAY_TIMEOUT)'),
};

const SCHEMAS = {
  Money: {
    type: 'object',
    description: 'An amount in integer cents of an ISO 4217 currency; never floating point.',
    required: ['amountCents', 'currency', 'formatted'],
    properties: {
      amountCents: { type: 'integer', examples: [1999] },
      currency: { type: 'string', pattern: '^[A-Z]{3}$', examples: ['USD'] },
      formatted: { type: 'string', examples: ['$19.99'] },
    },
  },
  Product: {
    type: 'object',
    required: ['id', 'sku', 'name', 'description', 'category', 'price', 'stock', 'createdAt', 'updatedAt'],
    properties: {
      id: { type: 'string', examples: ['prod_0001'] },
      sku: { type: 'string' },
      name: { type: 'string' },
      description: { type: 'string' },
      category: { type: 'string' },
      price: ref('Money'),
      stock: { type: 'integer', minimum: 0 },
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
    },
  },
  ProductPage: {
    type: 'object',
    required: ['items', 'totalCount', 'pageInfo'],
    properties: {
      items: { type: 'array', items: ref('Product') },
      totalCount: { type: 'integer' },
      pageInfo: {
        type: 'object',
        required: ['hasNextPage', 'endCursor'],
        properties: {
          hasNextPage: { type: 'boolean' },
          endCursor: { type: ['string', 'null'], description: 'Pass as `after` for the next page.' },
        },
      },
    },
  },
  SearchResults: {
    type: 'object',
    required: ['totalCount', 'hits'],
    properties: {
      totalCount: { type: 'integer' },
      hits: {
        type: 'array',
        items: {
          type: 'object',
          required: ['score', 'highlight', 'productId'],
          properties: {
            score: { type: 'number' },
            highlight: { type: 'string', description: 'HTML-escaped text with the matched words in <mark> tags.' },
            productId: { type: 'string' },
          },
        },
      },
    },
  },
  OrderStatus: { type: 'string', enum: ['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'] },
  OrderItem: {
    type: 'object',
    required: ['productId', 'quantity', 'unitPrice', 'lineTotal'],
    properties: {
      productId: { type: 'string' },
      quantity: { type: 'integer', minimum: 1 },
      unitPrice: ref('Money'),
      lineTotal: ref('Money'),
    },
  },
  Order: {
    type: 'object',
    required: ['id', 'customerId', 'status', 'items', 'total', 'createdAt', 'updatedAt'],
    properties: {
      id: { type: 'string' },
      customerId: { type: 'string' },
      status: ref('OrderStatus'),
      items: { type: 'array', items: ref('OrderItem') },
      total: ref('Money'),
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
    },
  },
  PlaceOrderRequest: {
    type: 'object',
    required: ['items'],
    additionalProperties: false,
    properties: {
      items: {
        type: 'array',
        minItems: 1,
        maxItems: 50,
        items: {
          type: 'object',
          required: ['productId', 'quantity'],
          additionalProperties: false,
          properties: { productId: { type: 'string' }, quantity: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
      },
      idempotencyKey: {
        type: 'string',
        minLength: 1,
        maxLength: 128,
        description: 'Required here or as the Idempotency-Key header: a retry with the same key returns the same order.',
      },
    },
  },
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', examples: ['BAD_USER_INPUT', 'UNAUTHENTICATED', 'NOT_FOUND', 'DOWNSTREAM_SERVICE_ERROR'] },
          message: { type: 'string' },
          details: { type: 'object', additionalProperties: true },
        },
      },
    },
  },
};

type PathBuilder = (prefix: string) => Record<string, unknown>;

const idParameter = (description: string) => ({ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description });

/** The REST API of each service this platform has, by service name. */
const SERVICE_PATHS: Record<string, PathBuilder> = {
  products: (prefix) => ({
    [prefix]: {
      get: {
        operationId: 'listProducts',
        summary: 'List products in id order, a page at a time',
        tags: ['products'],
        parameters: [
          { name: 'first', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
          { name: 'after', in: 'query', schema: { type: 'string' }, description: 'The endCursor of the previous page.' },
          { name: 'category', in: 'query', schema: { type: 'string' } },
        ],
        responses: { '200': { description: 'A page of products', content: json(ref('ProductPage')) }, ...COMMON_ERRORS },
      },
    },
    [`${prefix}/{id}`]: {
      get: {
        operationId: 'getProduct',
        summary: 'One product by id',
        tags: ['products'],
        parameters: [idParameter('The product id, e.g. prod_0001')],
        responses: {
          '200': { description: 'The product', content: json(ref('Product')) },
          '404': errorResponse('No product with this id (NOT_FOUND)'),
          ...COMMON_ERRORS,
        },
      },
    },
  }),
  search: (prefix) => ({
    [prefix]: {
      get: {
        operationId: 'search',
        summary: 'Full-text search of the catalog, best matches first',
        tags: ['search'],
        parameters: [
          { name: 'q', in: 'query', required: true, schema: { type: 'string', minLength: 1, maxLength: 200 } },
          { name: 'first', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 50, default: 10 } },
          { name: 'category', in: 'query', schema: { type: 'string' } },
        ],
        responses: { '200': { description: 'Search results', content: json(ref('SearchResults')) }, ...COMMON_ERRORS },
      },
    },
  }),
  orders: (prefix) => ({
    [prefix]: {
      post: {
        operationId: 'placeOrder',
        summary: 'Place an order (signed-in callers); idempotent on its key',
        tags: ['orders'],
        security: [{ bearerAuth: [] }],
        parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 128 } }],
        requestBody: { required: true, content: json(ref('PlaceOrderRequest')) },
        responses: {
          '201': {
            description: 'The order (the same one again for a retry with the same key)',
            headers: { Location: { schema: { type: 'string' } } },
            content: json(ref('Order')),
          },
          '409': errorResponse('A concurrent attempt with the same key is still in flight (CONFLICT)'),
          ...COMMON_ERRORS,
        },
      },
    },
    [`${prefix}/{id}`]: {
      get: {
        operationId: 'getOrder',
        summary: 'One of your orders (any order with the scope orders:admin)',
        tags: ['orders'],
        security: [{ bearerAuth: [] }],
        parameters: [idParameter('The order id')],
        responses: {
          '200': { description: 'The order', content: json(ref('Order')) },
          '404': errorResponse('No such order, or not yours (NOT_FOUND)'),
          ...COMMON_ERRORS,
        },
      },
    },
  }),
};

export function buildOpenApiDocument(routes: readonly RestRoute[]): OpenApiDocument {
  const paths: Record<string, unknown> = {};
  for (const route of routes) {
    const describe = SERVICE_PATHS[route.service];
    if (describe) Object.assign(paths, describe(route.path));
    else {
      paths[`${route.path}/{path}`] = {
        description: `Passed through to the ${route.service} service's REST API`,
        parameters: [{ name: 'path', in: 'path', required: true, schema: { type: 'string' } }],
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Platform REST API',
      version: '1.0.0',
      description:
        'REST routes served straight by the owning services through the gateway, with the same authentication, ' +
        'throttling and error format as /graphql. Errors are `{ "error": { "code", "message", "details" } }`.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'products', description: 'The catalog (products service)' },
      { name: 'search', description: 'Full-text search (search service)' },
      { name: 'orders', description: 'Orders of the signed-in customer (orders service)' },
    ].filter((tag) => routes.some((route) => route.service === tag.name)),
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
  };
}
