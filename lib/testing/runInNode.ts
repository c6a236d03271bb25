/**
 * Runs code (TypeScript imports allowed, through tsx) in a Node process of its own and returns the
 * JSON it printed last: for what a test's own process cannot show, such as Node's require.cache
 * (Jest's ignores writes) or V8's string table before anything else ran.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A file of the repository as a URL to import() from the code, quoted. */
export const repositoryModule = (relative: string): string =>
  JSON.stringify(pathToFileURL(path.join(REPOSITORY_ROOT, relative)).href);

/**
 * Runs `node --import tsx <args>` in the repository and returns the JSON it printed last; `env`
 * entries set to undefined are removed from the child's environment.
 */
export function runNodeForJson<T = unknown>(args: readonly string[], env: Record<string, string | undefined> = {}): T {
  const childEnv: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: '', ...env };
  for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
  const child = spawnSync(process.execPath, ['--import', 'tsx', ...args], {
    cwd: REPOSITORY_ROOT,
    env: childEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (child.status !== 0) throw new Error(`node ${args[0]} failed (${child.status}): ${child.stderr.slice(-3000)}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() as string) as T;
}

/** Runs ES module code (see above). */
export function runInNode<T = unknown>(code: string, env: Record<string, string | undefined> = {}): T {
  return runNodeForJson<T>(['--input-type=module', '-e', code], env);
}
