import { ensurePgliteTemplate } from './pgliteTemplate.js';

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  const started = Date.now();
  await ensurePgliteTemplate();
  const ms = Date.now() - started;
  if (ms > 1_000) process.stdout.write(`\nprepared the PGlite template cluster in ${ms} ms\n`);
}
