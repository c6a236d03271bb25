#!/usr/bin/env node
/**
 * The integration suites whose databases follow TEST_DATABASE_URL's choice: those whose static
 * imports (relative ones, followed through the whole tree) reach a module that reads
 * TEST_DATABASE_URL. CI's second pass runs only these on the real PostgreSQL; a suite that never
 * reaches one (the conformance suites on in-memory subgraphs, say) would run the same way twice.
 *
 *   node scripts/databaseSuites.mjs [--exclude <regex>]   # one path per line
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const excludeAt = process.argv.indexOf('--exclude');
const exclude = excludeAt > 0 ? new RegExp(process.argv[excludeAt + 1]) : undefined;
const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
const suites = files.filter((file) => file.endsWith('.int.test.ts') && !file.startsWith('bench/peers/'));

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
const reads = new Map();

/** Whether `file` or anything it imports reads TEST_DATABASE_URL. */
function readsDatabaseChoice(file, seen = new Set()) {
  if (reads.has(file)) return reads.get(file);
  if (seen.has(file)) return false;
  seen.add(file);
  const source = readFileSync(path.join(root, file), 'utf8');
  let result = source.includes('TEST_DATABASE_URL');
  for (const match of source.matchAll(IMPORT)) {
    if (result) break;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), (match[1] ?? match[2]).replace(/\.js$/, '.ts')));
    if (existsSync(path.join(root, target))) result = readsDatabaseChoice(target, seen);
  }
  reads.set(file, result);
  return result;
}

for (const suite of suites) {
  if (exclude?.test(suite)) continue;
  if (readsDatabaseChoice(suite)) process.stdout.write(`${suite}\n`);
}
