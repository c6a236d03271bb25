/**
 * The GraphQL schema reference: every type of the supergraph's API schema (what clients can query,
 * without federation's join directives), with fields, arguments, descriptions and deprecations,
 * types linked to their sections.
 */
import { Supergraph } from '@apollo/federation-internals';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
} from 'graphql';
import { html, Html, prose } from './html.js';

/** The client-facing schema of a supergraph. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  // The gateway checked the supergraph before serving it; features it accepts need no second check here.
  return Supergraph.build(supergraphSdl, { supportedFeatures: null }).apiSchema().toGraphQLJSSchema();
}

const anchor = (name: string) => `type-${name}`;

function typeRef(type: GraphQLType): Html {
  if (isNonNullType(type)) return html`${typeRef(type.ofType)}!`;
  if (isListType(type)) return html`[${typeRef(type.ofType)}]`;
  return html`<a href="#${anchor(type.name)}">${type.name}</a>`;
}

function deprecation(item: { deprecationReason?: string | null }): Html {
  return item.deprecationReason ? html`<div class="deprecated">Deprecated: ${item.deprecationReason}</div>` : html``;
}

function defaultValue(arg: GraphQLArgument | GraphQLInputField): Html {
  return arg.defaultValue === undefined ? html`` : html` = <code>${JSON.stringify(arg.defaultValue)}</code>`;
}

function argumentList(args: readonly GraphQLArgument[]): Html {
  if (!args.length) return html``;
  return html`<ul>${args.map(
    (arg) =>
      html`<li><code>${arg.name}: ${typeRef(arg.type)}</code>${defaultValue(arg)} ${prose(arg.description)}${deprecation(arg)}</li>`,
  )}</ul>`;
}

function fieldRows(fields: readonly GraphQLField<unknown, unknown>[]): Html {
  return html`<table><thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead><tbody>${fields.map(
    (field) =>
      html`<tr id="${anchor(field.name)}-field"><td><code>${field.name}</code></td><td><code>${typeRef(field.type)}</code></td><td>${prose(
        field.description,
      )}${argumentList(field.args)}${deprecation(field)}</td></tr>`,
  )}</tbody></table>`;
}

function inputRows(fields: readonly GraphQLInputField[]): Html {
  return html`<table><thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead><tbody>${fields.map(
    (field) =>
      html`<tr><td><code>${field.name}</code></td><td><code>${typeRef(field.type)}</code>${defaultValue(field)}</td><td>${prose(
        field.description,
      )}${deprecation(field)}</td></tr>`,
  )}</tbody></table>`;
}

function kindOf(type: GraphQLNamedType): string {
  if (isObjectType(type)) return 'type';
  if (isInterfaceType(type)) return 'interface';
  if (isUnionType(type)) return 'union';
  if (isEnumType(type)) return 'enum';
  if (isInputObjectType(type)) return 'input';
  return 'scalar';
}

function typeSection(type: GraphQLNamedType): Html {
  let body: Html = html``;
  if (isObjectType(type) || isInterfaceType(type)) {
    const interfaces = type.getInterfaces();
    body = html`${
      interfaces.length ? html`<p>Implements ${interfaces.map((i, n) => html`${n ? ', ' : ''}${typeRef(i)}`)}</p>` : ''
    }${fieldRows(Object.values(type.getFields()))}`;
  } else if (isUnionType(type)) {
    body = html`<p>One of ${type.getTypes().map((t, n) => html`${n ? ', ' : ''}${typeRef(t)}`)}</p>`;
  } else if (isEnumType(type)) {
    body = html`<table><tbody>${type.getValues().map(
      (value) => html`<tr><td><code>${value.name}</code></td><td>${prose(value.description)}${deprecation(value)}</td></tr>`,
    )}</tbody></table>`;
  } else if (isInputObjectType(type)) {
    body = inputRows(Object.values(type.getFields()));
  } else if (isScalarType(type) && type.specifiedByURL) {
    body = html`<p>Specified by <code>${type.specifiedByURL}</code></p>`;
  }
  return html`<section id="${anchor(type.name)}"><h3>${type.name} <span class="kind">${kindOf(type)}</span></h3>${prose(
    type.description,
  )}${body}</section>`;
}

/** The reference's HTML body: roots first, then every other type by kind and name. */
export function schemaReferenceBody(schema: GraphQLSchema): Html {
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(
    (t): t is NonNullable<typeof t> => !!t,
  );
  const rootNames = new Set(roots.map((t) => t.name));
  const order = ['type', 'interface', 'union', 'enum', 'input', 'scalar'];
  const others = Object.values(schema.getTypeMap())
    .filter((t) => !t.name.startsWith('__') && !rootNames.has(t.name))
    .sort((a, b) => order.indexOf(kindOf(a)) - order.indexOf(kindOf(b)) || a.name.localeCompare(b.name));
  const all = [...roots, ...others];
  return html`<p>Every type clients can use through <code>POST /graphql</code>. Fields marked deprecated still work but will go away.</p>
<nav class="toc"><ul>${all.map((t) => html`<li><a href="#${anchor(t.name)}">${t.name}</a> <span class="kind">${kindOf(t)}</span></li>`)}</ul></nav>
<h2>Operations</h2>${roots.map(typeSection)}<h2>Types</h2>${others.map(typeSection)}`;
}
