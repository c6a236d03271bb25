/**
 * The conformance suite's harness: small subgraphs of a scenario's own (@apollo/subgraph on express,
 * each on a free port), composed with @apollo/composition and served by our gateway (startGateway
 * with the composed supergraph SDL), queried over real HTTP. Each subgraph records the operations
 * the gateway sent it, so a scenario can also assert how the query was planned.
 */
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import express from 'express';
import { parse } from 'graphql';
import { loadGatewayConfig } from '../../gateway/config.js';
import { startGateway, type RunningGateway } from '../../gateway/server.js';
import { listen, type RunningServer } from '../../lib/httpServer.js';
import { createLogger } from '../../lib/logger.js';

export interface SubgraphSpec {
  /** The subgraph's SDL, usually starting with federationLink(...). */
  typeDefs: string;
  resolvers?: GraphQLResolverMap<unknown>;
}

export interface FederationOptions {
  subgraphs: Record<string, SubgraphSpec>;
}

/** An operation one subgraph received from the gateway. */
export interface SubgraphOperation {
  query: string;
  variables?: Record<string, unknown>;
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface Federation {
  /** POSTs an operation to the gateway and returns the response body, whatever the HTTP status. */
  query<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /** Like query, with the HTTP status. */
  request<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ status: number; body: GraphQLResponse<T> }>;
  /** What each subgraph received, oldest first, by subgraph name. */
  operations: Record<string, SubgraphOperation[]>;
  /** Forgets the recorded operations (call before the request a test looks at). */
  clearOperations(): void;
  supergraphSdl: string;
  gateway: RunningGateway;
  close(): Promise<void>;
}

const DEFAULT_FEDERATION_VERSION = '2.9';

/**
 * `extend schema @link(...)` importing the given federation directives, e.g.
 * federationLink('@key', '@shareable'). The version defaults to 2.9 (what the platform uses).
 */
export function federationLink(...imports: string[]): string {
  return federationLinkVersion(DEFAULT_FEDERATION_VERSION, ...imports);
}

export function federationLinkVersion(version: string, ...imports: string[]): string {
  const list = imports.map((name) => JSON.stringify(name)).join(', ');
  return `extend schema @link(url: "https://specs.apollo.dev/federation/v${version}", import: [${list}])`;
}

/** Thrown when a scenario's subgraphs do not compose, with composition's own messages. */
export class CompositionFailed extends Error {
  constructor(readonly messages: string[]) {
    super(`the scenario's subgraphs do not compose:\n${messages.join('\n')}`);
    this.name = 'CompositionFailed';
  }
}

/** Composes SDLs without starting anything (routing URLs are placeholders). */
export function composeSdl(subgraphs: Record<string, SubgraphSpec>, urls: Record<string, string> = {}): string {
  const result = composeServices(
    Object.entries(subgraphs).map(([name, spec]) => ({
      name,
      typeDefs: parse(spec.typeDefs),
      url: urls[name] ?? `http://${name}.invalid/graphql`,
    })),
  );
  if (result.errors) throw new CompositionFailed(result.errors.map((e) => e.message));
  return result.supergraphSdl;
}

/** Starts the subgraphs, composes them, and starts the gateway over the result. */
export async function startFederation(options: FederationOptions): Promise<Federation> {
  const running: RunningServer[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  const operations: Record<string, SubgraphOperation[]> = {};
  let gateway: RunningGateway | undefined;
  const close = async () => {
    await gateway?.close();
    await Promise.all(running.map((server) => server.close()));
    await Promise.all(stoppers.map((stop) => stop()));
  };
  try {
    const urls: Record<string, string> = {};
    for (const [name, spec] of Object.entries(options.subgraphs)) {
      const server = new ApolloServer({
        schema: buildSubgraphSchema({ typeDefs: parse(spec.typeDefs), resolvers: spec.resolvers ?? {} }),
        // Responses are compared exactly: no stack traces, no inline traces.
        includeStacktraceInErrorResponses: false,
        plugins: [ApolloServerPluginInlineTraceDisabled()],
      });
      await server.start();
      stoppers.push(() => server.stop());
      const received: SubgraphOperation[] = (operations[name] = []);
      const app = express();
      app.use('/graphql', express.json(), (req, _res, next) => {
        received.push({ query: String(req.body?.query ?? ''), variables: req.body?.variables });
        next();
      });
      app.use('/graphql', expressMiddleware(server));
      const http = await listen(app, 0, '127.0.0.1', 100);
      running.push(http);
      urls[name] = `${http.url}/graphql`;
    }
    const supergraphSdl = composeSdl(options.subgraphs, urls);
    const logger = createLogger('gateway', 'silent');
    const config = loadGatewayConfig({
      GATEWAY_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      // Development mode: errors pass through unmasked, with introspection (stack traces are removed below).
      NODE_ENV: 'test',
      // A conformance case is one request; a retry would only hide what the planner asked for.
      SUBGRAPH_RETRIES: '0',
      // QUERY_PLAN_EXECUTOR=apollo runs the suite on @apollo/gateway's executor, SUBGRAPH_BATCHING=false
      // without batching, for comparison.
      QUERY_PLAN_EXECUTOR: process.env.QUERY_PLAN_EXECUTOR,
      SUBGRAPH_BATCHING: process.env.SUBGRAPH_BATCHING,
    });
    gateway = await startGateway(config, { supergraphSdl, logger });
    const graphqlUrl = gateway.graphqlUrl;

    const request = async <T>(query: string, variables?: Record<string, unknown>) => {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: withoutStackTraces((await response.json()) as GraphQLResponse<T>) };
    };
    return {
      request,
      query: async <T>(query: string, variables?: Record<string, unknown>) => (await request<T>(query, variables)).body,
      operations,
      clearOperations() {
        for (const list of Object.values(operations)) list.length = 0;
      },
      supergraphSdl,
      gateway,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Development-mode errors carry the gateway's stack trace; it is left out so responses compare exactly. */
function withoutStackTraces<T>(body: GraphQLResponse<T>): GraphQLResponse<T> {
  for (const error of body.errors ?? []) {
    if (error.extensions && 'stacktrace' in error.extensions) {
      const { stacktrace: _stacktrace, ...extensions } = error.extensions;
      error.extensions = extensions;
    }
  }
  return body;
}
