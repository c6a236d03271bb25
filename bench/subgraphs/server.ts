/**
 * A benchmark subgraph server: plain node:http, graphql-js execution, and every answer remembered by
 * the exact request body. Gateways send the same few bodies again and again, so after the first
 * request a subgraph only reads the body and writes stored bytes: it costs every gateway the same and
 * stays out of what is measured. Counts requests (and bodies it had to execute) for the report.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execute, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';

export interface BenchSubgraphServer {
  name: string;
  url: string;
  /** Requests answered since the last reset, how many had to be executed, and the bytes both ways. */
  stats(): { requests: number; executed: number; bytesIn: number; bytesOut: number };
  reset(): void;
  close(): Promise<void>;
}

const MEMO_LIMIT = 5_000;

export async function startBenchSubgraph(
  name: string,
  schema: GraphQLSchema,
  port = 0,
  host = '127.0.0.1',
): Promise<BenchSubgraphServer> {
  const memo = new Map<string, Buffer>();
  const documents = new Map<string, DocumentNode>();
  let requests = 0;
  let executed = 0;
  let bytesIn = 0;
  let bytesOut = 0;

  const answer = async (body: string): Promise<Buffer> => {
    const remembered = memo.get(body);
    if (remembered) return remembered;
    executed++;
    let result: unknown;
    try {
      const request = JSON.parse(body) as { query?: string; variables?: Record<string, unknown>; operationName?: string };
      let document = documents.get(String(request.query));
      if (!document) {
        document = parse(String(request.query));
        const errors = validate(schema, document);
        if (errors.length) throw errors[0];
        documents.set(String(request.query), document);
      }
      result = await execute({ schema, document, variableValues: request.variables, operationName: request.operationName });
    } catch (err) {
      result = { errors: [{ message: (err as Error).message }] };
    }
    const bytes = Buffer.from(JSON.stringify(result));
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(body, bytes);
    return bytes;
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests++;
      const body = Buffer.concat(chunks);
      bytesIn += body.length;
      void answer(body.toString('utf8')).then((bytes) => {
        bytesOut += bytes.length;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
        res.end(bytes);
      });
    });
  };

  const server: Server = createServer({ keepAliveTimeout: 60_000 }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    name,
    url: `http://${host}:${address.port}/graphql`,
    stats: () => ({ requests, executed, bytesIn, bytesOut }),
    reset() {
      requests = 0;
      executed = 0;
      bytesIn = 0;
      bytesOut = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
