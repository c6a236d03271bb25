/**
 * A fresh PGlite cluster takes seconds to initialise, reopening a data directory a fraction of a
 * second. Tests therefore initialise one empty cluster per PGlite version (in globalSetup) and give
 * every database of every test its own copy of it.
 */
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

function pgliteVersion(): string {
  const pkg = require('@electric-sql/pglite/package.json') as { version: string };
  return pkg.version;
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
