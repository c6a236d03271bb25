/** The subgraph kit: everything a subgraph service needs, in one import. */
export { startSubgraph } from './createSubgraph.js';
export type {
  RunningSubgraph,
  StartSubgraphOptions,
  SubgraphContext,
  SubgraphDefinition,
  SubgraphDeps,
} from './createSubgraph.js';
export { subgraphEnvSchema, toBaseConfig, envPrefix } from './config.js';
export { defineSubgraphService, isSubgraphService } from './subgraphService.js';
export type { SubgraphEnv, SubgraphService } from './subgraphService.js';
export type { SubgraphBaseConfig } from './config.js';
export { createDbClient } from './dbClient.js';
export type { Db, DbClient, QueryResult, SqlParam, Statement } from './dbClient.js';
export { migrate } from './migrate.js';
export type { Migration } from './migrate.js';
export { keyedLoader, groupedLoader } from './loaders.js';
export { requireSubject, requireScope, hasScope } from './auth.js';
export { requireServiceToken, createServiceClient } from './serviceAuth.js';
export { loadTypeDefs } from './schemaFile.js';
export { encodeCursor, decodeCursor } from './cursor.js';
export { money, formatMoney, isKnownCurrency } from './money.js';
export type { Money } from './money.js';
export { DateTimeScalar } from './scalars.js';
export { createEventBus } from './eventBus.js';
export type { EventBus, EventBusOptions } from './eventBus.js';
export { eventStream } from './eventStream.js';
export type { SubgraphSubscriptions } from './subscriptions.js';
