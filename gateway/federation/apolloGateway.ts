/**
 * @apollo/gateway, loaded without what it requires for Apollo's own usage telemetry until that is
 * used. Its utilities/opentelemetry.js requires, at its top, four cloud resource detectors (with
 * Google's and Azure's HTTP clients), a metrics SDK and an OTLP exporter: over 700 files, which it
 * uses only when a gateway is constructed with that telemetry on (APOLLO_TELEMETRY=true). Loading them
 * took about a second of `npm start` on a busy machine, more than the rest of @apollo/gateway.
 *
 * Import ApolloGateway from here, not from '@apollo/gateway' (types may come from either).
 */
import { createRequire } from 'node:module';
import { deferModules } from '../../lib/deferredModules.js';

const require = createRequire(import.meta.url);

/** What Apollo's telemetry module requires and reads only inside createDataCollectionExporter(). */
export const DEFERRED_TELEMETRY_MODULES = [
  '@opentelemetry/resource-detector-alibaba-cloud',
  '@opentelemetry/resource-detector-aws',
  '@opentelemetry/resource-detector-gcp',
  '@opentelemetry/resource-detector-azure',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/exporter-metrics-otlp-http',
  'node-cpu-count',
] as const;

/** The module that requires them, whose resolution they are deferred for. */
export const APOLLO_TELEMETRY_MODULE = require.resolve('@apollo/gateway/dist/utilities/opentelemetry.js');

deferModules(APOLLO_TELEMETRY_MODULE, DEFERRED_TELEMETRY_MODULES);

export const { ApolloGateway } = require('@apollo/gateway') as typeof import('@apollo/gateway');
export type ApolloGateway = import('@apollo/gateway').ApolloGateway;
