/**
 * @apollo/gateway, loaded without what it requires for features this gateway leaves off until one is
 * used. Its utilities/opentelemetry.js requires, at its top, four cloud resource detectors (with
 * Google's and Azure's HTTP clients), a metrics SDK and an OTLP exporter: over 700 files, which it
 * uses only when a gateway is constructed with Apollo's usage telemetry on (APOLLO_TELEMETRY=true).
 * Loading them took about a second of `npm start` on a busy machine, more than the rest of
 * @apollo/gateway. Its executor requires the usage-reporting protobuf (one 369 KB file), read only to
 * build a trace of a query plan for Apollo's usage reporting, which this gateway's executor never does.
 *
 * Import ApolloGateway from here, not from '@apollo/gateway' (types may come from either).
 */
import { createRequire } from 'node:module';
import { deferModules } from '../../lib/deferredModules.js';

const require = createRequire(import.meta.url);

/**
 * By module of @apollo/gateway, what it requires at its top and reads only inside functions of a
 * feature left off here (lib/deferredModules.ts: objects only, not read while loading; the tests check both).
 */
export const DEFERRED_MODULES: Readonly<Record<string, readonly string[]>> = {
  // Read only in createDataCollectionExporter(), which the constructor calls with the telemetry on.
  '@apollo/gateway/dist/utilities/opentelemetry.js': [
    '@opentelemetry/resource-detector-alibaba-cloud',
    '@opentelemetry/resource-detector-aws',
    '@opentelemetry/resource-detector-gcp',
    '@opentelemetry/resource-detector-azure',
    '@opentelemetry/resources',
    '@opentelemetry/sdk-metrics',
    '@opentelemetry/exporter-metrics-otlp-http',
    'node-cpu-count',
  ],
  // Read only when Apollo's own executor builds a query plan trace (ftv1).
  '@apollo/gateway/dist/executeQueryPlan.js': ['@apollo/usage-reporting-protobuf'],
};

for (const [from, specifiers] of Object.entries(DEFERRED_MODULES)) deferModules(require.resolve(from), specifiers);

export const { ApolloGateway } = require('@apollo/gateway') as typeof import('@apollo/gateway');
export type ApolloGateway = import('@apollo/gateway').ApolloGateway;
