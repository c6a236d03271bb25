import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CompositionError, SupergraphConfigError, composeSubgraphs, composeSupergraphConfig, formatProblem } from './compose.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])';
const ALPHA = `${LINK}
type Product @key(fields: "id") {
  id: ID!
  name: String!
}
type Query { product(id: ID!): Product }
`;
const BETA = `${LINK}
type Product @key(fields: "id") {
  id: ID!
  stock: Int!
}
type Query { inStock: [Product!]! }
`;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'compose-test-'));
  await mkdir(path.join(dir, 'schemas'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(yaml: string, schemas: Record<string, string> = {}): Promise<string> {
  for (const [file, sdl] of Object.entries(schemas)) await writeFile(path.join(dir, 'schemas', file), sdl);
  const configPath = path.join(dir, 'supergraph.yaml');
  await writeFile(configPath, yaml);
  return configPath;
}

const TWO_SUBGRAPHS = `federation_version: =2.9.0
subgraphs:
  alpha:
    routing_url: http://alpha:4001/graphql
    schema:
      file: ./schemas/alpha.graphql
  beta:
    routing_url: http://beta:4002/graphql
    schema:
      file: ./schemas/beta.graphql
`;

async function configErrorOf(configPath: string): Promise<SupergraphConfigError> {
  const error = await composeSupergraphConfig(configPath).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SupergraphConfigError);
  return error as SupergraphConfigError;
}

describe('composeSupergraphConfig', () => {
  it('composes a rover config, reading schema files relative to the yaml file', async () => {
    const configPath = await writeConfig(TWO_SUBGRAPHS, { 'alpha.graphql': ALPHA, 'beta.graphql': BETA });
    const composed = await composeSupergraphConfig(configPath);

    expect(composed.subgraphs).toEqual([
      { name: 'alpha', routingUrl: 'http://alpha:4001/graphql' },
      { name: 'beta', routingUrl: 'http://beta:4002/graphql' },
    ]);
    expect(composed.supergraphSdl).toContain('ALPHA @join__graph(name: "alpha", url: "http://alpha:4001/graphql")');
    expect(composed.supergraphSdl).toContain('BETA @join__graph(name: "beta", url: "http://beta:4002/graphql")');
    expect(composed.supergraphSdl).toMatch(/type Product[\s\S]*stock: Int!/);
    expect(composed.config.federationVersion).toBe('=2.9.0');
  });

  it('accepts inline sdl and a bare federation_version 2', async () => {
    const yaml = `federation_version: 2
subgraphs:
  alpha:
    routing_url: http://alpha/graphql
    schema:
      sdl: |
${ALPHA.split('\n').map((line) => `        ${line}`).join('\n')}
`;
    const composed = await composeSupergraphConfig(await writeConfig(yaml));
    expect(composed.config.federationVersion).toBe('2');
    expect(composed.supergraphSdl).toContain('product(id: ID!): Product');
  });

  it('says when the config file does not exist', async () => {
    const error = await configErrorOf(path.join(dir, 'missing.yaml'));
    expect(error.problems).toEqual([expect.stringMatching(/^supergraph config not found: .*missing\.yaml$/)]);
  });

  it('reports bad YAML with its position', async () => {
    const error = await configErrorOf(await writeConfig('subgraphs:\n  alpha: [unclosed\n'));
    expect(error.message).toContain('invalid supergraph config');
    expect(error.problems[0]).toMatch(/^bad YAML: .*line \d+/);
  });

  it('names a missing schema file with the subgraph it belongs to', async () => {
    const error = await configErrorOf(await writeConfig(TWO_SUBGRAPHS, { 'alpha.graphql': ALPHA }));
    expect(error.problems).toEqual([expect.stringMatching(/^subgraphs\.beta\.schema\.file: schema file not found: .*beta\.graphql$/)]);
  });

  it('refuses unknown keys, a subgraph without schema, and a bad routing_url, all at once', async () => {
    const yaml = `federation_version: =2.9.0
colour: blue
subgraphs:
  alpha:
    routing_url: http://alpha/graphql
  beta:
    routing_url: not a url
    schema: { file: ./schemas/beta.graphql, fiel: typo }
`;
    const error = await configErrorOf(await writeConfig(yaml));
    expect(error.problems).toEqual(
      expect.arrayContaining([
        'unknown key "colour"',
        'subgraphs.alpha.schema: is required, e.g. schema: { file: ./schema.graphql }',
        'subgraphs.beta.routing_url: must be an http(s) URL',
        'subgraphs.beta.schema: unknown key "fiel"',
      ]),
    );
  });

  it('refuses a subgraph_url that is not a URL and introspection_headers without one', async () => {
    const yaml = `subgraphs:
  alpha:
    routing_url: http://alpha/graphql
    schema:
      subgraph_url: alpha:4001
  beta:
    routing_url: http://beta/graphql
    schema:
      file: ./schemas/beta.graphql
      introspection_headers: { authorization: Bearer x }
`;
    const error = await configErrorOf(await writeConfig(yaml));
    expect(error.problems).toEqual([
      'subgraphs.alpha.schema.subgraph_url: must be an http(s) URL',
      'subgraphs.beta.schema.introspection_headers: only applies to schema.subgraph_url (the headers sent when introspecting a running subgraph)',
    ]);
  });

  it('refuses Federation 1 and malformed versions', async () => {
    const error = await configErrorOf(await writeConfig('federation_version: 1\nsubgraphs: {}\n'));
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^federation_version: "1" is Federation 1/),
        'subgraphs: needs at least one subgraph',
      ]),
    );
  });

  it('names the subgraph when a schema links a newer federation spec than federation_version', async () => {
    const newer = ALPHA.replace('federation/v2.9', 'federation/v2.11');
    const configPath = await writeConfig(TWO_SUBGRAPHS, { 'alpha.graphql': newer, 'beta.graphql': BETA });
    const error = await composeSupergraphConfig(configPath).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CompositionError);
    expect((error as CompositionError).problems).toEqual([
      expect.objectContaining({ subgraphs: ['alpha'], code: 'UNSUPPORTED_FEDERATION_VERSION' }),
    ]);
  });
});

describe('composeSubgraphs', () => {
  const source = (name: string, sdl: string) => ({ name, sdl, routingUrl: `http://${name}/graphql`, sourceName: `${name}.graphql` });

  it('names both subgraphs when they define the same non-shareable field differently', () => {
    const alpha = source('alpha', `${LINK}\ntype Query { a: Product }\ntype Product @key(fields: "id") {\n  id: ID!\n  name: String!\n}`);
    const beta = source('beta', `${LINK}\ntype Query { b: Product }\ntype Product @key(fields: "id") {\n  id: ID!\n  name: Int\n}`);
    let error: unknown;
    try {
      composeSubgraphs([alpha, beta]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CompositionError);
    const problems = (error as CompositionError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ subgraphs: ['alpha', 'beta'], code: 'FIELD_TYPE_MISMATCH' }),
        expect.objectContaining({ subgraphs: ['alpha', 'beta'], code: 'INVALID_FIELD_SHARING' }),
      ]),
    );
    const mismatch = problems.find((p) => p.code === 'FIELD_TYPE_MISMATCH')!;
    expect(mismatch.locations).toEqual(['alpha.graphql:5:3', 'beta.graphql:5:3']);
    expect((error as Error).message).toContain('[alpha, beta] FIELD_TYPE_MISMATCH: Type of field "Product.name" is incompatible');
  });

  it('reports a syntax error with the subgraph, file and line', () => {
    let error: unknown;
    try {
      composeSubgraphs([source('alpha', ALPHA), source('beta', `${LINK}\ntype Query {\n  b: Int\n`)]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CompositionError);
    expect(formatProblem((error as CompositionError).problems[0])).toMatch(
      /^\[beta\] INVALID_GRAPHQL: Syntax Error: .*\n {4}at beta\.graphql:4:1$/,
    );
  });

  it('strips the [subgraph] prefix composition puts on validation errors and keeps the name', () => {
    let error: unknown;
    try {
      composeSubgraphs([source('alpha', ALPHA), source('beta', `${LINK}\ntype Query { b: Int @unknownDirective }`)]);
    } catch (err) {
      error = err;
    }
    expect((error as CompositionError).problems).toEqual([
      expect.objectContaining({ subgraphs: ['beta'], message: 'Unknown directive "@unknownDirective".' }),
    ]);
  });

  it('returns hints attributed to their subgraphs', () => {
    const money = (nullable: boolean) =>
      `${LINK}\ntype Money @shareable { amount: Int!, currency: String${nullable ? '' : '!'} }`;
    const composed = composeSubgraphs([
      source('alpha', `${money(true)}\ntype Query { a: Money }`),
      source('beta', `${money(false)}\ntype Query { b: Money }`),
    ]);
    expect(composed.hints).toEqual([
      expect.objectContaining({ subgraphs: ['alpha', 'beta'], code: 'INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE' }),
    ]);
  });
});
