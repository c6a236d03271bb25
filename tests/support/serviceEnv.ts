/**
 * The environment variables each service's configuration modules read, taken from their zod schemas'
 * keys (`NAME: z...`, `[`${P}_PORT`]`), so deployment files can be checked against the code itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type ServiceName = 'gateway' | 'db-proxy' | 'products' | 'orders' | 'search';

const KEY = /(?:^|[\s{,])([A-Z][A-Z0-9_]{2,}):/gm;
const SUBGRAPH_KEY = /\[`\$\{P\}_([A-Z0-9_]+)`\]:/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : sourceFiles(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [file] : [];
  });
}

const namesIn = (files: string[], prefix?: string): Set<string> => {
  const names = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(KEY)) names.add(match[1]);
    if (prefix) for (const match of text.matchAll(SUBGRAPH_KEY)) names.add(`${prefix}_${match[1]}`);
  }
  return names;
};

/** The variables `service` reads (the gateway's config is spread over its features' *Config modules). */
export function variablesRead(service: ServiceName): Set<string> {
  switch (service) {
    case 'gateway':
      return namesIn(sourceFiles('gateway').filter((f) => /config\.ts$/i.test(f) || /Config\.ts$/.test(f) || f.includes('subgraphResilience')));
    case 'db-proxy':
      return namesIn(['db-proxy/config.ts']);
    default:
      return namesIn(['subgraphs/kit/config.ts', `subgraphs/${service}/config.ts`], service.toUpperCase());
  }
}

/** Variables holding secrets: they come from a Secret, never a plain value. */
export const isSecretVariable = (name: string): boolean =>
  /(_SECRET|_TOKEN|_CREDENTIAL|_CREDENTIALS|_PASSWORD)$/.test(name) || name === 'DATABASE_URL' || name === 'API_KEYS';
