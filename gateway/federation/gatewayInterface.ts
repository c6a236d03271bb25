/**
 * What Apollo Server's `gateway` option takes (an ApolloGateway, or a wrapper around one), and the
 * executor it hands each operation to: the types the gateway's wrappers (executor, plan guards) share.
 */
import type { ApolloGateway } from '@apollo/gateway';

/** An ApolloGateway as Apollo Server uses it. */
export type GatewayLike = Pick<ApolloGateway, 'load' | 'onSchemaLoadOrUpdate' | 'stop'>;
/** Runs one operation: what `load()` returns beside the schema. */
export type GatewayExecutor = NonNullable<Awaited<ReturnType<ApolloGateway['load']>>['executor']>;
/** The request context Apollo Server gives the executor. */
export type GatewayRequestContext = Parameters<GatewayExecutor>[0];
export type GatewayExecutionResult = Awaited<ReturnType<GatewayExecutor>>;
