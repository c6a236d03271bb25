/**
 * The browser IDE: a GET of the GraphQL endpoint from a browser (Accept prefers text/html) gets a
 * self-contained GraphiQL page (GraphQL Yoga's build, scripts and workers inlined, so it works with
 * no internet access). Everything else, including GET ?query= from scripts, goes on to the GraphQL
 * server. The page is ~9 MB: it is rendered and gzipped once, on first use, and served with an ETag.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { IncomingMessage } from 'node:http';
import accepts from 'accepts';
import { HANDLED, type FrontDoorHook, type GatewayFeature } from '../feature.js';

export interface GraphiQLFeatureOptions {
  /** Where the IDE sends its operations (same origin). @default '/graphql' */
  endpoint?: string;
  /** @default 'GraphQL IDE' */
  title?: string;
}

interface RenderedPage {
  html: Buffer;
  gzipped: Buffer;
  etag: string;
}

// The page only talks to its own origin; the policy makes a stray external request fail visibly.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'self'",
].join('; ');

const RESPONSE_TYPES = ['application/graphql-response+json', 'application/json', 'text/html'];

export function useGraphiQL(options: GraphiQLFeatureOptions = {}): GatewayFeature & { onGraphQLRequest: FrontDoorHook } {
  const endpoint = options.endpoint ?? '/graphql';
  const title = options.title ?? 'GraphQL IDE';
  let page: Promise<RenderedPage> | undefined;

  const render = async (): Promise<RenderedPage> => {
    // Loaded on first use: the module is as large as the page, and many gateways never serve it.
    const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
    const html = Buffer.from(
      renderGraphiQL({
        endpoint,
        title,
        method: 'POST',
        defaultQuery: defaultQuery(),
      }),
    );
    const gzipped = await promisify(gzip)(html);
    const etag = `"${createHash('sha256').update(html).digest('base64url').slice(0, 27)}"`;
    return { html, gzipped, etag };
  };

  const serveIde: FrontDoorHook = async (req, res) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !prefersHtml(req)) return;
    page ??= render().catch((err: unknown) => {
      page = undefined;
      throw err;
    });
    const { html, gzipped, etag } = await page;
    res.setHeader('Vary', 'Accept, Accept-Encoding');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', etag);
    if (req.headers['if-none-match'] === etag) {
      res.statusCode = 304;
      res.end();
      return HANDLED;
    }
    const useGzip = accepts(req).encoding('gzip', 'identity') === 'gzip';
    const body = useGzip ? gzipped : html;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (useGzip) res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Content-Length', String(body.length));
    res.statusCode = 200;
    res.end(req.method === 'HEAD' ? undefined : body);
    return HANDLED;
  };

  return { name: 'graphiql', onGraphQLRequest: serveIde };
}

/** A browser navigation prefers text/html; GraphQL clients and curl (Accept: *\/*) do not. */
function prefersHtml(req: IncomingMessage): boolean {
  return accepts(req).type(RESPONSE_TYPES) === 'text/html';
}

function defaultQuery(): string {
  return [
    '# Write a query and run it with Ctrl+Enter (or the run button).',
    '# To call as a user, get a token (npm run token -- --sub alice --scope orders:write),',
    '# open "Headers" below and send:',
    '#   {"Authorization": "Bearer <the token>"}',
    '',
    'query {',
    '  __typename',
    '}',
    '',
  ].join('\n');
}
