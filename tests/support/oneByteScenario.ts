/**
 * Run as a process of its own by the tests of lib/oneByteNames.ts, so that V8's string table holds
 * nothing from other tests (whether a name enters it two-byte depends on what the process did before):
 * builds a schema the way the scenario names, with its names kept one-byte or left alone, and prints
 * how the string table holds the schema's fresh names, as JSON.
 *
 *   node --import tsx tests/support/oneByteScenario.ts <subgraph|schemaFile|compose|supergraph> <kept|alone>
 *
 * `runOneByteScenario()` spawns it and reads the answer.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runNodeForJson } from '../../lib/testing/runInNode.js';

export type Scenario = 'subgraph' | 'schemaFile' | 'compose' | 'supergraph';

export interface ScenarioResult {
  /** How the table holds the type's and the field's names. */
  type: 'one-byte' | 'two-byte';
  field: 'one-byte' | 'two-byte';
  /** How JSON written with them is held: a subgraph's answer, or an object with the names as keys. */
  json: 'one-byte' | 'two-byte';
}

const SCRIPT = fileURLToPath(import.meta.url);

export async function runOneByteScenario(scenario: Scenario, names: 'kept' | 'alone'): Promise<ScenarioResult> {
  return runNodeForJson<ScenarioResult>([SCRIPT, scenario, names]);
}

/** A Federation 2 subgraph with a directive of its own (the platform's subgraphs have @cacheControl). */
const subgraphSdl = (type: string, field: string) =>
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])\n' +
  'directive @cacheControl(maxAge: Int) on FIELD_DEFINITION | OBJECT\n' +
  `type ${type} @key(fields: "id") @cacheControl(maxAge: 30) { id: ID! ${field}: String }\ntype Query { ${field}s: [${type}!]! }\n`;

async function main(scenario: Scenario, kept: boolean): Promise<ScenarioResult> {
  const { freshName, tableCopy } = await import('../../lib/testing/stringTable.js');
  const { keepNamesOneByte, stringRepresentation } = await import('../../lib/oneByteNames.js');
  const { parse, execute } = await import('graphql');
  const type = freshName('T');
  const field = freshName('f');
  const sdl = subgraphSdl(type, field);
  let json: string | undefined;

  if (scenario === 'subgraph' || scenario === 'schemaFile') {
    const { buildSubgraphSchema } = await import('@apollo/subgraph');
    let typeDefs;
    if (scenario === 'schemaFile') {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'one-byte-'));
      const file = path.join(dir, 'schema.graphql');
      writeFileSync(file, sdl);
      const { loadTypeDefs } = await import('../../subgraphs/kit/schemaFile.js');
      // The kit's loader keeps the names; "alone" reads the file as the kit did before it.
      typeDefs = kept ? loadTypeDefs(pathToFileURL(file)) : parse(readFileSync(file, 'utf8'));
      rmSync(dir, { recursive: true, force: true });
    } else {
      if (kept) keepNamesOneByte(sdl);
      typeDefs = parse(sdl);
    }
    const schema = buildSubgraphSchema({ typeDefs, resolvers: { Query: { [`${field}s`]: () => [{ id: '1', [field]: 'one' }] } } });
    json = JSON.stringify(await execute({ schema, document: parse(`{ ${field}s { id ${field} } }`) }));
  } else {
    const { composeSubgraphs } = await import('../../gateway/federation/supergraph/compose.js');
    const { composeServices } = await import('@apollo/composition');
    if (scenario === 'compose') {
      // The gateway's composeSubgraphs keeps the names; "alone" is @apollo/composition as it comes.
      if (kept) composeSubgraphs([{ name: 'things', routingUrl: 'http://things.invalid/graphql', sourceName: 'things.graphql', sdl }]);
      else composeServices([{ name: 'things', url: 'http://things.invalid/graphql', typeDefs: parse(sdl) }]);
    } else {
      // A supergraph with fresh names, composed from placeholders (composing would enter the names itself).
      const { freshSupergraphs } = await import('../../gateway/testing/stringTable.js');
      const supergraph = freshSupergraphs(subgraphSdl('PlaceholderType', 'placeholderField'), 'http://things.invalid/graphql')({
        PlaceholderType: type,
        placeholderField: field,
      });
      const { Supergraph } = await import('@apollo/federation-internals');
      if (kept) keepNamesOneByte(supergraph);
      Supergraph.build(supergraph);
    }
  }
  json ??= JSON.stringify({ id: 1, [tableCopy(field)]: { [tableCopy(type)]: 'value' } });
  return { type: stringRepresentation(tableCopy(type)), field: stringRepresentation(tableCopy(field)), json: stringRepresentation(json) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === SCRIPT) {
  const [scenario, names] = process.argv.slice(2) as [Scenario, string];
  console.log(JSON.stringify(await main(scenario, names === 'kept')));
}
