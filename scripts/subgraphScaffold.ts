/**
 * The pieces of `npm run subgraph:new`, as functions from file contents to file contents, so each can
 * be checked on its own: name rules, the next free port, template rendering, and the edits to
 * supergraph.yaml, docker-compose.yml, .env.example and package.json. YAML is edited through the
 * `yaml` Document API, which keeps comments, anchors and layout as they are.
 */
import { Kind, parse, type ObjectTypeDefinitionNode, type ObjectTypeExtensionNode } from 'graphql';
import { isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap, type Document, type Pair } from 'yaml';
import { devSecret } from '../lib/config.js';
import { envPrefix } from '../subgraphs/kit/config.js';

export const NAME_PATTERN = /^[a-z][a-z0-9]*$/;
/** Database names get a prefix on PostgreSQL (DB_NAME_PREFIX, up to 40) and must stay within 63 characters. */
export const NAME_MAX_LENGTH = 23;
/** Ports of the platform's own services, never given to a subgraph. */
export const PLATFORM_PORTS = [4000, 4010];
export const FIRST_SUBGRAPH_PORT = 4001;

/**
 * Names that would be confusing or clash with something of the platform: its folders and services,
 * GraphQL's root types, and JavaScript's reserved words.
 */
export const RESERVED_NAMES = new Set([
  // platform folders, services and infrastructure
  'kit', 'lib', 'platform', 'scripts', 'templates', 'tests', 'test', 'bench', 'dist', 'gateway', 'proxy', 'dbproxy',
  'db', 'postgres', 'postgresql', 'pglite', 'redis', 'node', 'internal', 'health', 'ready', 'metrics', 'api', 'ws',
  'docs', 'graphql', 'supergraph', 'subgraph', 'subgraphs', 'service', 'services',
  // GraphQL root types, and the catalog type every new subgraph extends
  'query', 'mutation', 'subscription', 'schema', 'product',
  // JavaScript reserved words
  'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else',
  'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'implements', 'import', 'in',
  'instanceof', 'interface', 'let', 'new', 'null', 'package', 'private', 'protected', 'public', 'return', 'static',
  'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield',
  'arguments', 'eval', 'undefined', 'constructor', 'prototype',
]);

/** Everything the templates need to know about the new subgraph. */
export interface SubgraphNames {
  /** reviews */
  name: string;
  /** Reviews */
  Name: string;
  /** REVIEWS */
  NAME: string;
  port: number;
}

export function namesOf(name: string, port: number): SubgraphNames {
  return { name, Name: name[0].toUpperCase() + name.slice(1), NAME: envPrefix(name), port };
}

/** The problem with a name's form, or undefined. Whether it is taken is checked against the repository. */
export function nameFormProblem(name: string): string | undefined {
  if (!NAME_PATTERN.test(name)) {
    return `"${name}" is not a valid subgraph name: use lower-case letters and digits, starting with a letter (e.g. reviews)`;
  }
  if (name.length > NAME_MAX_LENGTH) return `"${name}" is too long: at most ${NAME_MAX_LENGTH} characters`;
  if (RESERVED_NAMES.has(name)) return `"${name}" is reserved; choose another name`;
  return undefined;
}

/** The port of an http(s) URL, explicit or implied; undefined for anything else. */
export function portOfUrl(url: string): number | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    return Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  } catch {
    return undefined;
  }
}

/** The first port from 4001 up that no subgraph routes to and the platform does not use. */
export function nextFreePort(usedPorts: Iterable<number>): number {
  const used = new Set([...usedPorts, ...PLATFORM_PORTS]);
  let port = FIRST_SUBGRAPH_PORT;
  while (used.has(port)) port++;
  return port;
}

const PLACEHOLDER = /__(name|Name|NAME|port)__/g;

/** Replaces __name__, __Name__, __NAME__ and __port__ (in file names and contents). */
export function renderTemplate(text: string, names: SubgraphNames): string {
  return text.replace(PLACEHOLDER, (_match, key: keyof SubgraphNames) => String(names[key]));
}

/** A template file name without its .tmpl suffix, placeholders filled in. */
export function outputFileName(templateFile: string, names: SubgraphNames): string {
  return renderTemplate(templateFile.replace(/\.tmpl$/, ''), names);
}

/** The names the new subgraph adds to the graph. */
export function graphNamesOf(names: SubgraphNames) {
  return {
    entryType: `${names.Name}Entry`,
    productFields: [names.name, `${names.name}Count`],
    queryField: `${names.name}Entry`,
    mutationField: `add${names.Name}Entry`,
  };
}

/**
 * What in the current supergraph the new subgraph's names would collide with (a type of the same
 * name, a field Product, Query or Mutation already has), worded for the person choosing the name.
 */
export function graphCollisions(supergraphSdl: string, names: SubgraphNames): string[] {
  const types = new Map<string, Set<string>>();
  for (const definition of parse(supergraphSdl).definitions) {
    if (!('name' in definition) || !definition.name) continue;
    const fields = types.get(definition.name.value) ?? new Set<string>();
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION) {
      for (const field of (definition as ObjectTypeDefinitionNode | ObjectTypeExtensionNode).fields ?? []) {
        fields.add(field.name.value);
      }
    }
    types.set(definition.name.value, fields);
  }
  const graph = graphNamesOf(names);
  const problems: string[] = [];
  if (types.has(graph.entryType)) problems.push(`the graph already has a type ${graph.entryType}`);
  for (const field of graph.productFields) {
    if (types.get('Product')?.has(field)) problems.push(`Product already has a field ${field}`);
  }
  if (types.get('Query')?.has(graph.queryField)) problems.push(`Query already has a field ${graph.queryField}`);
  if (types.get('Mutation')?.has(graph.mutationField)) problems.push(`Mutation already has a field ${graph.mutationField}`);
  return problems;
}

/** Output options that write a parsed file back exactly as it was, apart from the edits. */
const YAML_OUTPUT = { lineWidth: 0, flowCollectionPadding: false } as const;

export function parseYamlDocument(text: string, file: string): Document {
  const document = parseDocument(text, { merge: true });
  if (document.errors.length) throw new Error(`${file}: ${document.errors[0].message.split('\n')[0]}`);
  return document;
}

/** Subgraph names and routing URLs of a rover-format supergraph.yaml. */
export function supergraphEntries(text: string): { name: string; routingUrl?: string }[] {
  const subgraphs = parseYamlDocument(text, 'supergraph.yaml').get('subgraphs');
  if (!isMap(subgraphs)) return [];
  return subgraphs.items.map((pair) => {
    const entry = pair.value;
    const url = isMap(entry) ? entry.get('routing_url') : undefined;
    return { name: String(isScalar(pair.key) ? pair.key.value : pair.key), ...(typeof url === 'string' ? { routingUrl: url } : {}) };
  });
}

/** supergraph.yaml with the new subgraph appended (routing_url and schema.file). */
export function addToSupergraphYaml(text: string, names: SubgraphNames): string {
  const document = parseYamlDocument(text, 'supergraph.yaml');
  const subgraphs = document.get('subgraphs');
  if (!isMap(subgraphs)) throw new Error('supergraph.yaml: has no subgraphs mapping');
  subgraphs.add(
    document.createPair(names.name, {
      routing_url: `http://localhost:${names.port}/graphql`,
      schema: { file: `./subgraphs/${names.name}/schema.graphql` },
    }),
  );
  return document.toString(YAML_OUTPUT);
}

/** The service names of a docker-compose.yml. */
export function composeServiceNames(text: string): string[] {
  const services = parseYamlDocument(text, 'docker-compose.yml').get('services');
  return isMap(services) ? services.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key)) : [];
}

/** A docker-compose service's `environment` mapping, when it has one. */
function environmentOf(service: unknown): YAMLMap | undefined {
  const environment = isMap(service) ? service.get('environment') : undefined;
  return isMap(environment) ? environment : undefined;
}

/** A subgraph's container: its command runs dist/subgraphs/<name>/main.js (or, older files, SERVICE=subgraphs/<name>). */
function isSubgraphContainer(service: unknown): boolean {
  if (String(environmentOf(service)?.get('SERVICE') ?? '').startsWith('subgraphs/')) return true;
  const command = isMap(service) ? service.get('command') : undefined;
  return isSeq(command) && command.items.some((item) => /^dist\/subgraphs\//.test(String(isScalar(item) ? item.value : item)));
}

/** The command of a subgraph's container, as the others have it. */
function subgraphCommand(document: Document, name: string) {
  const command = document.createNode(['node', `dist/subgraphs/${name}/main.js`]);
  command.flow = true;
  for (const item of command.items) (item as Scalar).type = Scalar.QUOTE_DOUBLE;
  return command;
}

/** Appends `,entry` to a comma-separated list value, keeping the scalar's style. */
function appendToList(map: YAMLMap, key: string, entry: string): boolean {
  const node = map.get(key, true);
  if (!isScalar(node) || typeof node.value !== 'string') return false;
  node.value = node.value ? `${node.value},${entry}` : entry;
  return true;
}

/**
 * docker-compose.yml with a container for the new subgraph, shaped like the existing subgraph
 * containers (a copy of the first one, so it shares their anchors), its credential in the proxy's
 * DB_PROXY_CREDENTIALS, and its URL in the gateway's SUBGRAPH_URLS and depends_on. Returns what it
 * changed, for the command's output.
 */
export function addToDockerCompose(text: string, names: SubgraphNames): { text: string; changes: string[] } {
  const document = parseYamlDocument(text, 'docker-compose.yml');
  const services = document.get('services');
  if (!isMap(services)) throw new Error('docker-compose.yml: has no services mapping');
  const { name, NAME, port } = names;
  const credentialVar = `${NAME}_DB_CREDENTIAL`;
  const credential = `\${${credentialVar}:-compose-${name}-credential}`;
  const changes: string[] = [];

  const items = services.items as Pair<unknown, unknown>[];
  const subgraphIndexes = items.flatMap((pair, index) => (isSubgraphContainer(pair.value) ? [index] : []));
  let container: YAMLMap;
  if (subgraphIndexes.length) {
    const model = items[subgraphIndexes[0]];
    const modelName = String(isScalar(model.key) ? model.key.value : model.key);
    container = (model.value as YAMLMap).clone(document.schema) as YAMLMap;
    const environment = environmentOf(container)!;
    // The model's own variables go; the shared ones come through the merge key.
    const modelPrefix = `${envPrefix(modelName)}_`;
    for (const pair of [...environment.items]) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      if (key.startsWith(modelPrefix)) environment.delete(key);
    }
    if (environment.has('SERVICE')) environment.set('SERVICE', `subgraphs/${name}`);
    if (container.has('command')) container.set('command', subgraphCommand(document, name));
    environment.set('HEALTH_PORT', String(port));
  } else {
    container = new YAMLMap();
    const environment = new YAMLMap();
    environment.set('NODE_ENV', 'production');
    environment.set('HEALTH_PORT', String(port));
    environment.set('DB_PROXY_URL', 'http://db-proxy:4010');
    container.set('build', '.');
    container.set('command', subgraphCommand(document, name));
    container.set('environment', environment);
  }
  const environment = environmentOf(container)!;
  environment.set(`${NAME}_PORT`, String(port));
  environment.set(credentialVar, credential);
  for (const pair of environment.items) {
    if (isScalar(pair.value) && /^\d+$/.test(String(pair.value.value))) pair.value.type = Scalar.QUOTE_DOUBLE;
  }
  // It needs only the proxy; the gateway waits for it.
  const dependsOn = document.createNode({ 'db-proxy': { condition: 'service_healthy' } });
  container.set('depends_on', dependsOn);
  const expose = document.createNode([String(port)]);
  expose.flow = true;
  for (const item of expose.items) (item as Scalar).type = Scalar.QUOTE_DOUBLE;
  container.set('expose', expose);
  container.delete('ports');

  const key = new Scalar(name);
  key.spaceBefore = true;
  const insertAt = subgraphIndexes.length ? subgraphIndexes[subgraphIndexes.length - 1] + 1 : items.length;
  items.splice(insertAt, 0, document.createPair(key, container) as Pair<unknown, unknown>);
  changes.push(`service ${name}`);

  // Shared settings may live in top-level extension fields (`x-gateway: &gateway`, merged into each
  // gateway replica): edit them there, once, rather than in every service that merges them.
  const extensions = (isMap(document.contents) ? (document.contents.items as Pair<unknown, unknown>[]) : []).filter((pair) =>
    String(isScalar(pair.key) ? pair.key.value : pair.key).startsWith('x-'),
  );
  for (const pair of [...items, ...extensions]) {
    const environment = environmentOf(pair.value);
    if (!environment) continue;
    const serviceName = String(isScalar(pair.key) ? pair.key.value : pair.key);
    if (appendToList(environment, 'DB_PROXY_CREDENTIALS', `${name}=${credential}`)) {
      changes.push(`${serviceName}'s DB_PROXY_CREDENTIALS`);
    }
    if (appendToList(environment, 'SUBGRAPH_URLS', `${name}=http://${name}:${port}/graphql`)) {
      changes.push(`${serviceName}'s SUBGRAPH_URLS`);
      const waitsFor = (pair.value as YAMLMap).get('depends_on');
      if (isMap(waitsFor)) {
        waitsFor.set(name, document.createNode({ condition: 'service_healthy' }));
        changes.push(`${serviceName}'s depends_on`);
      }
    }
  }
  return { text: document.toString(YAML_OUTPUT), changes };
}

/** The variables the new subgraph reads, as .env.example documents them. */
export function envExampleBlock(names: SubgraphNames): string[] {
  return [
    `# ${names.name} subgraph (subgraphs/${names.name}/config.ts)`,
    `${names.NAME}_PORT=${names.port}`,
    `${names.NAME}_HOST=0.0.0.0`,
    `${names.NAME}_DB_CREDENTIAL=${devSecret(`${names.name}-db`)}`,
  ];
}

/**
 * .env.example with the new subgraph's variables at the end of the subgraphs section (before the
 * connection proxy's, or at the end), and its entries added to the commented DB_PROXY_CREDENTIALS and
 * SUBGRAPH_URLS examples.
 */
export function addToEnvExample(text: string, names: SubgraphNames): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (/^#\s*DB_PROXY_CREDENTIALS=/.test(lines[i])) lines[i] += `,${names.name}=...`;
    if (/^#\s*SUBGRAPH_URLS=/.test(lines[i])) lines[i] += `,${names.name}=http://${names.name}:${names.port}/graphql`;
  }
  let insertAt = lines.findIndex((line) => /^# -+ connection proxy/.test(line));
  if (insertAt === -1) insertAt = lines.length;
  // Keep the blank line that separates sections after the new block.
  while (insertAt > 0 && lines[insertAt - 1].trim() === '') insertAt--;
  lines.splice(insertAt, 0, ...envExampleBlock(names));
  return lines.join('\n');
}

/** package.json with a `start:<name>` script after the other start scripts, formatted as npm writes it. */
export function addStartScript(text: string, names: SubgraphNames): string {
  const manifest = JSON.parse(text) as { scripts?: Record<string, string> };
  const scripts = Object.entries(manifest.scripts ?? {});
  const script: [string, string] = [`start:${names.name}`, `tsx subgraphs/${names.name}/main.ts`];
  let insertAt = scripts.length;
  scripts.forEach(([key], index) => {
    if (key.startsWith('start:')) insertAt = index + 1;
  });
  scripts.splice(insertAt, 0, script);
  manifest.scripts = Object.fromEntries(scripts);
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** A YAML file parsed and written back unchanged: equal to the input when edits keep the layout. */
export function roundTrip(text: string, file: string): string {
  return parseYamlDocument(text, file).toString(YAML_OUTPUT);
}
