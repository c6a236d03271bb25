/**
 * `npm run check -- <subgraph>`: rover's `subgraph check`, offline. Composes the subgraph's changed
 * schema (by default its schema as supergraph.yaml lists it, so a developer edits the file and runs
 * the check) with the other subgraphs and compares the API schema with the current supergraph's.
 *
 * Exit codes: 0 passed (no composition errors, no breaking changes), 1 failed, 2 the check could not
 * run (bad arguments, config, or supergraph file). Progress goes to stderr; the report to stdout.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { SupergraphConfigError, loadSupergraphConfig } from './compose.js';
import {
  InvalidSupergraphError,
  checkSubgraphSchema,
  exitCodeOf,
  formatSchemaCheckReport,
  type SchemaCheckReport,
} from './schemaCheck.js';

interface CheckOptions {
  schema?: string;
  config: string;
  supergraph: string;
  json: boolean;
  introspectionTimeout: number;
}

/** Why the check could not run; the CLI prints it and exits 2. */
class CheckSetupError extends Error {
  readonly problems: string[];
  constructor(message: string, problems: string[] = []) {
    super(problems.length ? `${message}\n  - ${problems.join('\n  - ')}` : message);
    this.problems = problems;
  }
}

async function runCheckCli(argv: string[] = process.argv): Promise<number> {
  const program = new Command()
    .name('check')
    .description(
      "Check a subgraph's changed schema: compose it with the other subgraphs and report composition errors and " +
        'breaking changes for clients against the current supergraph',
    )
    .argument('<subgraph>', 'name of the subgraph in the supergraph config (a new name checks a new subgraph)')
    .option('-s, --schema <file>', "the changed subgraph SDL ('-' reads stdin) (default: the subgraph's schema in the config)")
    .option('-c, --config <file>', 'supergraph config (rover format)', 'supergraph.yaml')
    .option('--supergraph <file>', 'the supergraph clients use now, to compare against', 'supergraph.graphql')
    .option('--json', 'print a machine-readable report', false)
    .option('--introspection-timeout <ms>', 'how long to wait for a schema.subgraph_url subgraph', parseMilliseconds, 10_000)
    .showHelpAfterError()
    .exitOverride();
  try {
    program.parse(argv);
  } catch (err) {
    // Commander has printed the message (or the help) already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const subgraph = program.args[0];
  const options = program.opts<CheckOptions>();

  try {
    const report = await check(subgraph, options);
    console.log(options.json ? JSON.stringify(report, null, 2) : formatSchemaCheckReport(report));
    return exitCodeOf(report);
  } catch (err) {
    if (!(err instanceof CheckSetupError || err instanceof SupergraphConfigError || err instanceof InvalidSupergraphError)) {
      throw err;
    }
    if (options.json) {
      const problems = 'problems' in err ? err.problems : [];
      console.log(JSON.stringify({ status: 'error', error: { message: err.message, problems } }, null, 2));
    } else {
      console.error(`error: ${err.message}`);
    }
    return 2;
  }
}

async function check(subgraph: string, options: CheckOptions): Promise<SchemaCheckReport> {
  const progress = (line: string) => console.error(line);

  const currentSupergraphSdl = await readText(
    options.supergraph,
    'supergraph',
    'the check compares against the supergraph clients use now; run `npm run compose` or pass --supergraph',
  );
  const proposed =
    options.schema === undefined
      ? undefined
      : options.schema === '-'
        ? { sdl: await readStdin(), sourceName: '<stdin>' }
        : { sdl: await readText(options.schema, 'schema file'), sourceName: displayPath(options.schema) };

  progress(`Reading ${options.config}`);
  const config = await loadSupergraphConfig(options.config, {
    introspectionTimeoutMs: options.introspectionTimeout,
    schemaOverrides: proposed ? { [subgraph]: proposed } : undefined,
  });
  const listed = config.subgraphs.find((s) => s.name === subgraph);
  if (!listed && !proposed) {
    throw new CheckSetupError(
      `subgraph "${subgraph}" is not in ${options.config} (it lists ${config.subgraphs.map((s) => s.name).join(', ')}); ` +
        'to check a new subgraph, give its schema with --schema',
    );
  }
  if (!listed && !/^[A-Za-z][A-Za-z0-9_-]*$/.test(subgraph)) {
    throw new CheckSetupError(
      `"${subgraph}" cannot name a new subgraph: use a letter, then letters, digits, _ or - (e.g. reviews)`,
    );
  }
  const changed = proposed ?? { sdl: listed!.sdl, sourceName: listed!.sourceName };

  const others = config.subgraphs.filter((s) => s.name !== subgraph).map((s) => s.name);
  progress(`Composing ${subgraph} (${changed.sourceName}) with ${others.length ? others.join(', ') : 'no other subgraphs'}`);
  progress(`Comparing the API schema with ${displayPath(options.supergraph)}`);
  return checkSubgraphSchema({
    subgraph,
    proposed: changed,
    subgraphs: config.subgraphs,
    federationVersion: config.federationVersion,
    currentSupergraphSdl,
    currentSupergraphName: displayPath(options.supergraph),
  });
}

async function readText(file: string, what: string, hint?: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT' ? 'not found' : e.code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${e.message})`;
    throw new CheckSetupError(`${what} ${displayPath(file)} ${why}${hint && e.code === 'ENOENT' ? `: ${hint}` : ''}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseMilliseconds(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) throw new InvalidArgumentError('must be a whole number of milliseconds above 0');
  return ms;
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), path.resolve(file));
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : path.resolve(file);
}

runCheckCli().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  },
);
