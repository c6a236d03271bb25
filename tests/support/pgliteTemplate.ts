/**
 * A fresh PGlite cluster takes seconds to initialise, reopening a data directory a fraction of a
 * second. Tests therefore initialise one empty cluster per PGlite version (in globalSetup) and give
 * every database of every test its own copy of it.
 */
// Jest loads a globalSetup module without its module mapping, so this file imports nothing of ours
// and is itself the integration projects' globalSetup (default export below).
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function pgliteVersion(): string {
  // The package does not export its package.json, and this module runs both as ESM and as a
  // globalSetup; Jest runs from the project root, so read it from there.
  const file = join(process.cwd(), 'node_modules', '@electric-sql', 'pglite', 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'unknown';
}

export function templateDir(): string {
  return join(tmpdir(), `federated-platform-pglite-template-${pgliteVersion()}`);
}

/** Creates the empty template cluster once; safe when several processes race to do it. */
export async function ensurePgliteTemplate(): Promise<string> {
  const dir = templateDir();
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({ dataDir: building });
  await db.query('SELECT 1');
  await db.close();
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another process finished first
  }
  return dir;
}

/** Gives each named database under dataDir its own copy of the template. */
export function seedDataDir(dataDir: string, databases: string[]): void {
  const template = templateDir();
  if (!existsSync(join(template, 'PG_VERSION'))) return; // no template: the driver initialises fresh
  mkdirSync(dataDir, { recursive: true });
  for (const name of databases) {
    const target = join(dataDir, name);
    if (!existsSync(target)) cpSync(template, target, { recursive: true });
  }
}

/** Jest globalSetup of the integration and browser projects. */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  const started = Date.now();
  await ensurePgliteTemplate();
  const ms = Date.now() - started;
  if (ms > 1_000) process.stdout.write(`\nprepared the PGlite template cluster in ${ms} ms\n`);
}
