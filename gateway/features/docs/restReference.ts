/** The REST reference page, rendered from the OpenAPI document the gateway serves. */
import type { OpenApiDocument } from '../restRoutes/openapi.js';
import { html, Html, prose } from './html.js';

interface Operation {
  operationId?: string;
  summary?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Record<string, unknown> }[];
  requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
  security?: unknown[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function schemaName(schema: { $ref?: string } | undefined): string | undefined {
  return schema?.$ref?.split('/').pop();
}

function schemaLink(schema: { $ref?: string } | undefined): Html {
  const name = schemaName(schema);
  return name ? html`<a href="#schema-${name}">${name}</a>` : html``;
}

function operationSection(method: string, path: string, op: Operation): Html {
  const params = op.parameters ?? [];
  const body = op.requestBody?.content?.['application/json']?.schema;
  return html`<section id="op-${op.operationId ?? `${method}-${path}`}"><h3><span class="method">${method.toUpperCase()}</span> <code>${path}</code></h3>
${prose(op.summary)}${op.security?.length ? html`<p>Needs a signed-in caller: <code>Authorization: Bearer &lt;token&gt;</code>.</p>` : ''}
${
  params.length
    ? html`<table><thead><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr></thead><tbody>${params.map(
        (p) =>
          html`<tr><td><code>${p.name}</code>${p.required ? ' (required)' : ''}</td><td>${p.in}</td><td><code>${JSON.stringify(
            p.schema ?? {},
          )}</code></td><td>${prose(p.description)}</td></tr>`,
      )}</tbody></table>`
    : ''
}${body ? html`<p>Body: ${schemaLink(body)} (JSON)</p>` : ''}
<table><thead><tr><th>Status</th><th>Description</th><th>Body</th></tr></thead><tbody>${Object.entries(op.responses ?? {}).map(
    ([status, response]) =>
      html`<tr><td>${status}</td><td>${response.description ?? ''}</td><td>${schemaLink(
        response.content?.['application/json']?.schema,
      )}</td></tr>`,
  )}</tbody></table></section>`;
}

export function restReferenceBody(document: OpenApiDocument): Html {
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const operations = Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ method: m, path, op: item[m] })),
  );
  const schemas = ((document.components as { schemas?: Record<string, unknown> } | undefined)?.schemas ?? {}) as Record<
    string,
    unknown
  >;
  return html`<p>REST routes go straight to the service that owns the data, through the same authentication, throttling and
error format as GraphQL. Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI ${document.openapi}).</p>
<p>Every error is <code>{ "error": { "code": "...", "message": "...", "details": { } } }</code> with the code's HTTP status.</p>
<ul>${operations.map(
    ({ method, path, op }) =>
      html`<li><a href="#op-${op.operationId ?? `${method}-${path}`}"><span class="method">${method.toUpperCase()}</span> ${path}</a> ${
        op.summary ?? ''
      }</li>`,
  )}</ul>
<h2>Operations</h2>${operations.map(({ method, path, op }) => operationSection(method, path, op))}
<h2>Schemas</h2>${Object.entries(schemas).map(
    ([name, schema]) => html`<section id="schema-${name}"><h3>${name}</h3><pre>${JSON.stringify(schema, null, 2)}</pre></section>`,
  )}`;
}
