/**
 * GraphQL metrics and spans of the gateway: every operation is timed into
 * gateway_graphql_request_duration_seconds{operation, outcome}, and, when tracing, gets `parse` and
 * `validate` spans under its request's server span (the `plan` span comes from the plan executor, the
 * subgraph fetch spans from the data sources).
 */
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { GatewayContext } from '../../context.js';
import type { GatewayMetrics } from '../../metrics.js';
import { markError, type Tracing } from '../../../lib/tracing.js';
import { seriesOf } from '../../../lib/metrics.js';
import type { GatewayFeature } from '../feature.js';

export interface ObservabilityOptions {
  metrics: Pick<GatewayMetrics, 'graphqlRequests' | 'operationLabel'>;
  /** Spans for parse and validate; without it, none. */
  tracing?: Tracing;
}

export function useObservability(options: ObservabilityOptions): GatewayFeature {
  const { metrics, tracing } = options;
  const series = seriesOf(metrics.graphqlRequests);
  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart({ contextValue }): Promise<GraphQLRequestListener<GatewayContext>> {
      const started = process.hrtime.bigint();
      const listener: GraphQLRequestListener<GatewayContext> = {
        async willSendResponse({ response, operationName, request }) {
          const failed = response.body.kind === 'single' && (response.body.singleResult.errors?.length ?? 0) > 0;
          series(metrics.operationLabel(operationName ?? request.operationName), failed ? 'error' : 'success').observe(
            Number(process.hrtime.bigint() - started) / 1e9,
          );
        },
      };
      const parent = contextValue.traceContext;
      if (tracing && parent) {
        listener.parsingDidStart = async () => {
          const span = tracing.startSpan('parse', undefined, parent);
          return async (err) => {
            if (err) markError(span, err);
            span.end();
          };
        };
        listener.validationDidStart = async () => {
          const span = tracing.startSpan('validate', undefined, parent);
          return async (errors) => {
            if (errors?.length) markError(span, errors[0]);
            span.end();
          };
        };
      }
      return listener;
    },
  };
  return { name: 'observability', plugins: [plugin] };
}
