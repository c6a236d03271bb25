/**
 * GET /docs: static documentation served by the gateway, generated from what it serves: the GraphQL
 * schema reference from the current supergraph's API schema, the REST reference from the OpenAPI
 * document, and a getting-started page. Pages are plain HTML with inline styles and no external
 * assets; they are built on first request and again after a supergraph hot reload (keyed by the
 * supergraph's hash), never per request.
 */
import express, { type Request, type Response } from 'express';
import type { Logger } from '../../../lib/logger.js';
import { gettingStartedBody } from './gettingStarted.js';
import { page, type Html } from './html.js';
import { restReferenceBody } from './restReference.js';
import { apiSchemaOf, schemaReferenceBody } from './schemaReference.js';
import { html } from './html.js';
import type { OpenApiDocument } from '../restRoutes/openapi.js';
import type { GatewayFeature } from '../feature.js';

export const DOCS_PATH = '/docs';

export interface DocsOptions {
  /** The supergraph being served now: its SDL and hash (changes with hot reload). */
  supergraph: () => { sdl: string; hash: string };
  /** The REST routes' OpenAPI document; without one the REST page says there are none. */
  openApiDocument?: OpenApiDocument;
  logger: Logger;
}

interface Pages {
  hash: string;
  byPath: Map<string, string>;
}

// The pages load nothing from anywhere: no scripts, no images, only their own inline styles.
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

export function useDocs(options: DocsOptions): GatewayFeature {
  let pages: Pages | undefined;

  const build = (baseUrl: string): Pages => {
    const { sdl, hash } = options.supergraph();
    const byPath = new Map<string, string>();
    const add = (path: string, title: string, body: Html, generatedFor?: string) =>
      byPath.set(path, page({ title, current: path, body, generatedFor }));
    add(
      DOCS_PATH,
      'Overview',
      html`<p>This platform serves one GraphQL graph made of several services, and REST routes straight to the service
that owns the data. Start here:</p><ul>
<li><a href="${DOCS_PATH}/getting-started">Getting started</a>: a token and your first requests</li>
<li><a href="${DOCS_PATH}/schema">GraphQL schema reference</a>: every type and field</li>
<li><a href="${DOCS_PATH}/rest">REST API reference</a>: routes, parameters and errors</li>
<li><a href="/graphql">GraphQL IDE</a> (in a browser)</li></ul>`,
    );
    add(`${DOCS_PATH}/getting-started`, 'Getting started', gettingStartedBody(baseUrl));
    add(`${DOCS_PATH}/schema`, 'GraphQL schema reference', schemaReferenceBody(apiSchemaOf(sdl)), hash);
    add(
      `${DOCS_PATH}/rest`,
      'REST API reference',
      options.openApiDocument ? restReferenceBody(options.openApiDocument) : html`<p>No REST routes are configured.</p>`,
    );
    options.logger.debug({ supergraph: hash }, 'documentation pages built');
    return { hash, byPath };
  };

  const serve = (req: Request, res: Response) => {
    const path = req.path.replace(/\/+$/, '') || DOCS_PATH;
    const hash = options.supergraph().hash;
    if (!pages || pages.hash !== hash) pages = build(`${req.protocol}://${req.get('host') ?? 'localhost:4000'}`);
    const body = pages.byPath.get(path);
    if (!body) {
      res.status(404).type('text/plain').send(`No documentation page at ${path}; start at ${DOCS_PATH}`);
      return;
    }
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.type('html').send(body);
  };

  const router = express.Router();
  router.get([DOCS_PATH, `${DOCS_PATH}/*rest`], serve);
  return { name: 'docs', routes: router };
}
