// The baseline: plain @apollo/gateway in @apollo/server on express 5, with nothing added (no plugins,
// default data sources). Plain JavaScript, so it runs without a TypeScript loader like ours (built).
// Reads SUPERGRAPH_PATH and PORT; prints `ready <url>` once it serves.
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway } from '@apollo/gateway';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';

process.env.APOLLO_TELEMETRY_DISABLED = 'true';
const gateway = new ApolloGateway({ supergraphSdl: readFileSync(process.env.SUPERGRAPH_PATH, 'utf8') });
const server = new ApolloServer({ gateway, plugins: [ApolloServerPluginLandingPageDisabled()] });
await server.start();
const app = express();
app.use('/graphql', express.json({ limit: '2mb' }), expressMiddleware(server));
const http = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`ready http://127.0.0.1:${http.address().port}/graphql\n`);
});
process.on('SIGTERM', () => process.exit(0));
