/**
 * `npm run compose`: composes supergraph.yaml (rover format) into a supergraph SDL file, offline
 * except for `schema.subgraph_url` entries, which are introspected from the running subgraph.
 * Exit code 1 when the config is invalid, a subgraph cannot be introspected, or the subgraphs do not
 * compose.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { CompositionError, SupergraphConfigError, composeSupergraphConfig, formatProblem } from './compose.js';
import { isHttpUrl } from './urls.js';

async function runComposeCli(argv: string[] = process.argv): Promise<number> {
  const program = new Command()
    .name('compose')
    .description('Compose a rover-format supergraph config into a supergraph SDL, offline')
    .option('-c, --config <file>', 'supergraph config (rover format)', 'supergraph.yaml')
    .option('-o, --out <file>', 'where to write the supergraph SDL', 'supergraph.graphql')
    .option('--introspection-timeout <ms>', 'how long to wait for a schema.subgraph_url subgraph', parseMilliseconds, 10_000)
    .showHelpAfterError();
  program.parse(argv);
  const { config, out, introspectionTimeout } = program.opts<{ config: string; out: string; introspectionTimeout: number }>();

  console.log(`Reading ${config}`);
  try {
    const composed = await composeSupergraphConfig(config, { introspectionTimeoutMs: introspectionTimeout });
    for (const subgraph of composed.config.subgraphs) {
      const routingUrl = composed.subgraphs.find((s) => s.name === subgraph.name)?.routingUrl;
      const source = isHttpUrl(subgraph.sourceName) ? `introspected ${subgraph.sourceName}` : subgraph.sourceName;
      console.log(`  subgraph ${subgraph.name}: ${source} -> ${routingUrl}`);
    }
    console.log(`Composing ${composed.subgraphs.length} subgraphs (federation_version ${composed.config.federationVersion})`);
    for (const hint of composed.hints) console.warn(`warning: ${formatProblem(hint)}`);
    const outPath = path.resolve(out);
    await mkdir(path.dirname(outPath), { recursive: true });
    await writeFile(outPath, composed.supergraphSdl);
    const hints = composed.hints.length ? ` with ${composed.hints.length} hint(s)` : '';
    console.log(`Wrote ${out} (${Buffer.byteLength(composed.supergraphSdl)} bytes)${hints}`);
    return 0;
  } catch (err) {
    if (err instanceof SupergraphConfigError || err instanceof CompositionError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
}

function parseMilliseconds(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) throw new InvalidArgumentError('must be a whole number of milliseconds above 0');
  return ms;
}

runComposeCli().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
