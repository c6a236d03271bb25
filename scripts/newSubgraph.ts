/**
 * `npm run subgraph:new -- <name>`: scaffolds a working subgraph service from scripts/templates/subgraph
 * (schema with an entity extending Product, resolvers with batched loaders, a migration, config,
 * README and tests) and registers it everywhere the platform looks: supergraph.yaml, supergraph.graphql,
 * docker-compose.yml, .env.example and package.json. A running `npm start` starts it and the gateway
 * re-composes, without a restart.
 *
 * Everything is checked and composed in memory first; files are written only when all of it passed.
 * Exit codes: 0 created, 1 refused (name, port or composition), 2 bad usage.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import {
  CompositionError,
  SupergraphConfigError,
  composeSubgraphs,
  formatProblem,
  loadSupergraphConfig,
} from '../gateway/federation/supergraph/compose.js';
import {
  addStartScript,
  addToDockerCompose,
  addToEnvExample,
  addToSupergraphYaml,
  composeServiceNames,
  envExampleBlock,
  graphCollisions,
  graphNamesOf,
  nameFormProblem,
  namesOf,
  nextFreePort,
  outputFileName,
  PLATFORM_PORTS,
  portOfUrl,
  renderTemplate,
  supergraphEntries,
  type SubgraphNames,
} from './subgraphScaffold.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEMPLATES = fileURLToPath(new URL('./templates/subgraph/', import.meta.url));
const SUPERGRAPH_YAML = 'supergraph.yaml';
const SUPERGRAPH_SDL = 'supergraph.graphql';

/** A reason to stop before anything is written; printed without a stack. */
class Refusal extends Error {}

interface Options {
  port?: number;
  dryRun: boolean;
}

const at = (file: string) => path.join(ROOT, file);
const readText = (file: string) => readFile(at(file), 'utf8');
const say = (message: string) => process.stdout.write(`${message}\n`);

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('subgraph:new')
    .description('Create a new subgraph service and add it to the platform')
    .argument('<name>', 'the subgraph name: lower-case letters and digits, e.g. reviews')
    .option('-p, --port <port>', 'its default port (default: the next one no subgraph uses, from 4001)', parsePort)
    .option('--dry-run', 'check and show what would be done, without writing anything', false)
    .exitOverride()
    .showHelpAfterError();
  try {
    program.parse(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const [name] = program.args;
  try {
    await createSubgraph(name, program.opts<Options>());
    return 0;
  } catch (err) {
    if (err instanceof Refusal) {
      process.stderr.write(`\nsubgraph:new: ${err.message}\nNothing was written.\n`);
      return 1;
    }
    throw err;
  }
}

async function createSubgraph(name: string, options: Options): Promise<void> {
  say(`Creating the subgraph "${name}"${options.dryRun ? ' (dry run: nothing is written)' : ''}`);

  // 1. The name: its form, then everything in the repository it could clash with.
  const formProblem = nameFormProblem(name);
  if (formProblem) throw new Refusal(formProblem);
  const yamlText = await readText(SUPERGRAPH_YAML).catch(() => {
    throw new Refusal(`${SUPERGRAPH_YAML} not found in ${ROOT}`);
  });
  const entries = supergraphEntries(yamlText);
  const composeText = existsSync(at('docker-compose.yml')) ? await readText('docker-compose.yml') : undefined;
  const envText = existsSync(at('.env.example')) ? await readText('.env.example') : undefined;
  const packageText = await readText('package.json');
  const taken = [
    entries.some((e) => e.name === name) && `${SUPERGRAPH_YAML} already lists a subgraph "${name}"`,
    existsSync(at(`subgraphs/${name}`)) && `subgraphs/${name}/ already exists`,
    composeText !== undefined &&
      composeServiceNames(composeText).includes(name) &&
      `docker-compose.yml already has a service "${name}"`,
    (JSON.parse(packageText) as { scripts?: Record<string, string> }).scripts?.[`start:${name}`] !== undefined &&
      `package.json already has a script start:${name}`,
  ].filter((problem): problem is string => typeof problem === 'string');
  if (taken.length) throw new Refusal(`the name "${name}" is taken:\n  - ${taken.join('\n  - ')}`);
  const names0 = namesOf(name, 0);
  const clashingVariables = [...new Set([...(envText ?? '').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]))].filter(
    (variable) => variable.startsWith(`${names0.NAME}_`),
  );
  if (clashingVariables.length) {
    throw new Refusal(`its variables (${names0.NAME}_*) would clash with ${clashingVariables.join(', ')}; choose another name`);
  }
  say(`  name "${name}": free`);

  // 2. The port.
  const usedPorts = entries.flatMap((e) => (e.routingUrl ? [portOfUrl(e.routingUrl)] : [])).filter((p) => p !== undefined);
  let port: number;
  if (options.port !== undefined) {
    if (usedPorts.includes(options.port) || PLATFORM_PORTS.includes(options.port)) {
      throw new Refusal(`port ${options.port} is already used by another service of the platform`);
    }
    port = options.port;
    say(`  port ${port} (as given)`);
  } else {
    port = nextFreePort(usedPorts);
    say(`  port ${port} (the next one no subgraph in ${SUPERGRAPH_YAML} uses)`);
  }
  const names = namesOf(name, port);

  // 3. The files, rendered from the templates.
  const templateFiles = (await readdir(TEMPLATES)).filter((file) => file.endsWith('.tmpl')).sort();
  const files = await Promise.all(
    templateFiles.map(async (file) => ({
      file: outputFileName(file, names),
      text: renderTemplate(await readFile(path.join(TEMPLATES, file), 'utf8'), names),
    })),
  );
  const schema = files.find((f) => f.file === 'schema.graphql');
  if (!schema) throw new Error(`${TEMPLATES} has no schema.graphql.tmpl`);

  // 4. Composition with the subgraphs there are, before anything is written.
  const supergraphSdl = await composeWith(names, schema.text);

  // 5. Every file's new content.
  const edits: { file: string; text: string; what: string }[] = [
    {
      file: SUPERGRAPH_YAML,
      text: addToSupergraphYaml(yamlText, names),
      what: `${name} -> http://localhost:${port}/graphql, schema ./subgraphs/${name}/schema.graphql`,
    },
  ];
  if (composeText !== undefined) {
    const compose = addToDockerCompose(composeText, names);
    edits.push({ file: 'docker-compose.yml', text: compose.text, what: compose.changes.join(', ') });
  }
  if (envText !== undefined) {
    const variables = envExampleBlock(names)
      .filter((line) => !line.startsWith('#'))
      .map((line) => line.slice(0, line.indexOf('=')));
    edits.push({ file: '.env.example', text: addToEnvExample(envText, names), what: variables.join(', ') });
  }
  edits.push({ file: 'package.json', text: addStartScript(packageText, names), what: `script start:${name}` });
  edits.push({ file: SUPERGRAPH_SDL, text: supergraphSdl, what: `composed from ${entries.length + 1} subgraphs` });

  if (options.dryRun) {
    for (const { file } of files) say(`  would create subgraphs/${name}/${file}`);
    for (const { file, what } of edits) say(`  would update ${file} (${what})`);
    return;
  }

  // 6. Write: the folder first, so whatever watches supergraph.yaml finds the service when it changes.
  const folder = `subgraphs/${name}`;
  try {
    await mkdir(at(folder), { recursive: false });
    for (const { file, text } of files) {
      await writeFile(at(`${folder}/${file}`), text);
      say(`  created ${folder}/${file}`);
    }
  } catch (err) {
    await rm(at(folder), { recursive: true, force: true });
    throw err;
  }
  for (const { file, text, what } of edits) {
    await writeFile(at(file), text);
    say(`  updated ${file} (${what})`);
  }
  printNextSteps(names);
}

/** Composes the subgraphs of supergraph.yaml plus the new one; refuses on errors or clashing names. */
async function composeWith(names: SubgraphNames, schemaText: string): Promise<string> {
  let config;
  try {
    config = await loadSupergraphConfig(at(SUPERGRAPH_YAML));
  } catch (err) {
    if (err instanceof SupergraphConfigError) throw new Refusal(err.message);
    throw err;
  }
  try {
    const current = composeSubgraphs(config.subgraphs, { federationVersion: config.federationVersion });
    const collisions = graphCollisions(current.supergraphSdl, names);
    if (collisions.length) {
      const graph = graphNamesOf(names);
      throw new Refusal(
        `the name "${names.name}" would clash with the graph: ${collisions.join('; ')} ` +
          `(it would add ${graph.entryType}, Product.${graph.productFields.join(', Product.')}, ` +
          `Query.${graph.queryField} and Mutation.${graph.mutationField}); choose another name`,
      );
    }
    const composed = composeSubgraphs(
      [
        ...config.subgraphs,
        {
          name: names.name,
          routingUrl: `http://localhost:${names.port}/graphql`,
          sdl: schemaText,
          sourceName: `subgraphs/${names.name}/schema.graphql`,
        },
      ],
      { federationVersion: config.federationVersion },
    );
    say(`  composed it with ${config.subgraphs.map((s) => s.name).join(', ')}: ok`);
    for (const hint of composed.hints) say(`  hint: ${formatProblem(hint)}`);
    return composed.supergraphSdl;
  } catch (err) {
    if (err instanceof CompositionError) throw new Refusal(`the new subgraph does not compose with the others:\n${err.message}`);
    throw err;
  }
}

function printNextSteps({ name, Name, NAME, port }: SubgraphNames): void {
  const row = (command: string, text: string) => `  ${command.padEnd(30)} ${text}`;
  say(
    [
      '',
      `Done: the ${name} subgraph is part of the platform.`,
      '',
      row('npm start', 'runs it with the others (a running `npm start` has started it already,'),
      row('', 'and its gateway serves the new fields once it has re-composed)'),
      row(`npm run start:${name}`, `runs it alone on port ${port} (db-proxy must accept ${NAME}_DB_CREDENTIAL)`),
      row(`npm run check -- ${name}`, `after editing subgraphs/${name}/schema.graphql`),
      row(`npx jest subgraphs/${name}`, 'its tests (with NODE_OPTIONS=--experimental-vm-modules)'),
      '',
      `  Try (signed in as alice): mutation { add${Name}Entry(productId: "prod_0001", body: "Hello") { id } }`,
      `  then: { product(id: "prod_0001") { name ${name}Count ${name} { body author createdAt } } }`,
      '',
    ].join('\n'),
  );
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('must be a port number (1-65535)');
  return port;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`subgraph:new failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
