/**
 * Small real subgraphs for the gateway's tests: @apollo/subgraph on express 5, on a free port. Each
 * records what reached it, and can be told to drop connections or fail its health check, so tests
 * see the gateway's behaviour over real HTTP without the platform's own services.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import express from 'express';
import { parse } from 'graphql';
import { devSecret } from '../../lib/config.js';
import { listen } from '../../lib/httpServer.js';
import { verifyIdentityHeaders } from '../../lib/signedIdentity.js';

/** The key the test subgraphs verify identity headers with: the gateway's default outside production. */
export const TEST_SUBGRAPH_IDENTITY_SECRET = devSecret('identity-signing');

export interface RecordedRequest {
  headers: Record<string, string | string[] | undefined>;
  query: string;
}

export interface TestSubgraph {
  name: string;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  graphqlUrl: string;
  port: number;
  sdl: string;
  /** Every GraphQL request that reached this subgraph, oldest first. */
  requests: RecordedRequest[];
  /** Destroys the connection of the next `count` GraphQL requests before answering. */
  dropNextRequests(count: number): void;
  /** Answers the next `times` GraphQL requests with this instead of running them. @default 1 */
  answerNextWith(response: CannedResponse, times?: number): void;
  /** What GET /health answers. @default 200 */
  setHealthStatus(status: number): void;
  /** Holds every GraphQL request this long before handling it (a slow subgraph); 0 turns it off. */
  delayRequests(ms: number): void;
  close(): Promise<void>;
}

export interface StartTestSubgraphOptions {
  /** Listen on this port (to restart a subgraph where the gateway expects it). @default 0, a free one */
  port?: number;
}

export interface CannedResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface TestSubgraphDefinition {
  name: string;
  sdl: string;
  resolvers: GraphQLResolverMap<TestSubgraphContext>;
}

/** Resolvers of test subgraphs see the headers the gateway sent. */
export interface TestSubgraphContext {
  headers: IncomingHttpHeaders;
}

export async function startTestSubgraph(
  definition: TestSubgraphDefinition,
  options: StartTestSubgraphOptions = {},
): Promise<TestSubgraph> {
  const server = new ApolloServer<TestSubgraphContext>({
    schema: buildSubgraphSchema({
      typeDefs: parse(definition.sdl),
      resolvers: definition.resolvers as GraphQLResolverMap<unknown>,
    }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  await server.start();
  const requests: RecordedRequest[] = [];
  let dropCount = 0;
  let canned: CannedResponse | undefined;
  let cannedCount = 0;
  let healthStatus = 200;
  let delayMs = 0;

  const app = express();
  app.get('/health', (_req, res) => {
    res.status(healthStatus).json({ status: healthStatus === 200 ? 'ok' : 'failing' });
  });
  app.use('/graphql', express.json(), async (req, res, next) => {
    requests.push({ headers: { ...req.headers }, query: String(req.body?.query ?? '') });
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (dropCount > 0) {
      dropCount--;
      req.socket.destroy();
      return;
    }
    if (canned) {
      res.status(canned.status).type(canned.contentType).send(canned.body);
      if (--cannedCount === 0) canned = undefined;
      return;
    }
    next();
  });
  app.use(
    '/graphql',
    expressMiddleware(server, {
      context: async ({ req }) => ({ headers: req.headers }),
    }),
  );
  const http = await listen(app, options.port ?? 0, '127.0.0.1', 100);
  return {
    name: definition.name,
    url: http.url,
    graphqlUrl: `${http.url}/graphql`,
    port: http.port,
    sdl: definition.sdl,
    requests,
    dropNextRequests(count) {
      dropCount = count;
    },
    answerNextWith(response, times = 1) {
      canned = times > 0 ? response : undefined;
      cannedCount = times;
    },
    setHealthStatus(status) {
      healthStatus = status;
    },
    delayRequests(ms) {
      delayMs = ms;
    },
    async close() {
      await http.close();
      await server.stop();
    },
  };
}

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])';

export const CATALOG: TestSubgraphDefinition = {
  name: 'catalog',
  sdl: `${LINK}
type Product @key(fields: "id") {
  id: ID!
  name: String!
}
type Query {
  product(id: ID!): Product
  products: [Product!]!
}
type Mutation {
  renameProduct(id: ID!, name: String!): Product!
}
`,
  resolvers: (() => {
    const products = new Map([
      ['p1', { id: 'p1', name: 'Espresso Cup' }],
      ['p2', { id: 'p2', name: 'Milk Jug' }],
    ]);
    return {
      Query: {
        product: (_: unknown, { id }: { id: string }) => products.get(id) ?? null,
        products: () => [...products.values()],
      },
      Mutation: {
        renameProduct: (_: unknown, { id, name }: { id: string; name: string }) => {
          const product = { id, name };
          products.set(id, product);
          return product;
        },
      },
      Product: {
        __resolveReference: (ref: { id: string }) => products.get(ref.id) ?? null,
      },
    };
  })(),
};

export const INVENTORY: TestSubgraphDefinition = {
  name: 'inventory',
  sdl: `${LINK}
type Product @key(fields: "id") {
  id: ID!
  stock: Int!
}
"""What this subgraph received from the gateway, for tests: the identity only when its signature verifies."""
type Caller {
  subject: String
  scopes: String
  requestId: String
  apiKeyPlan: String
  "Why the identity headers did not verify, or null."
  signatureError: String
}
type Query {
  caller: Caller!
  "Answers after the given number of milliseconds."
  slow(ms: Int!): Int!
}
`,
  resolvers: {
    Query: {
      caller: (_: unknown, __: unknown, context: TestSubgraphContext) => {
        const requestId = typeof context.headers['x-request-id'] === 'string' ? context.headers['x-request-id'] : null;
        const verified = verifyIdentityHeaders(context.headers, {
          secret: TEST_SUBGRAPH_IDENTITY_SECRET,
          requestId: requestId ?? '',
        });
        const identity = verified.ok ? verified.identity : undefined;
        return {
          subject: identity?.subject ?? null,
          scopes: identity?.scopes.length ? identity.scopes.join(' ') : null,
          requestId,
          apiKeyPlan: identity?.apiKey?.plan ?? null,
          signatureError: verified.ok ? null : verified.reason,
        };
      },
      slow: (_: unknown, { ms }: { ms: number }) => new Promise((resolve) => setTimeout(() => resolve(ms), ms)),
    },
    Product: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id, stock: ref.id === 'p1' ? 12 : 0 }),
    },
  },
};

export interface TestSupergraph {
  catalog: TestSubgraph;
  inventory: TestSubgraph;
  /** A rover-format supergraph.yaml in a temporary directory, next to the subgraphs' schema files. */
  configPath: string;
  /** Points the gateway at the running subgraphs (the yaml's routing URLs are placeholders). */
  subgraphUrls: Record<string, string>;
  close(): Promise<void>;
}

/** Starts the catalog and inventory subgraphs and writes a supergraph.yaml that lists them. */
export async function startTestSupergraph(): Promise<TestSupergraph> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-test-'));
  const [catalog, inventory] = await Promise.all([startTestSubgraph(CATALOG), startTestSubgraph(INVENTORY)]);
  await mkdir(path.join(dir, 'schemas'));
  await writeFile(path.join(dir, 'schemas', 'catalog.graphql'), CATALOG.sdl);
  await writeFile(path.join(dir, 'schemas', 'inventory.graphql'), INVENTORY.sdl);
  const configPath = path.join(dir, 'supergraph.yaml');
  await writeFile(
    configPath,
    [
      'federation_version: =2.9.0',
      'subgraphs:',
      '  catalog:',
      '    routing_url: http://catalog.invalid/graphql',
      '    schema: { file: ./schemas/catalog.graphql }',
      '  inventory:',
      '    routing_url: http://inventory.invalid/graphql',
      '    schema: { file: ./schemas/inventory.graphql }',
      '',
    ].join('\n'),
  );
  return {
    catalog,
    inventory,
    configPath,
    subgraphUrls: { catalog: catalog.graphqlUrl, inventory: inventory.graphqlUrl },
    async close() {
      await Promise.all([catalog.close(), inventory.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

