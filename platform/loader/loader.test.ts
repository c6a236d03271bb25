/**
 * The transpiled tree `npm start` runs from (platform/loader): our TypeScript runs on plain Node with
 * packages, source-mapped stack traces and files read next to a module; a file is transpiled again
 * only when it changed; a file that does not compile fails only where it is imported; and a module
 * written after start-up (a subgraph added while the platform runs) is transpiled when imported.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { prepareTree, treeDir } from './tree.mjs';

const run = promisify(execFile);
const LOADER = fileURLToPath(new URL('.', import.meta.url));
const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));

let root: string;

const MAIN = `import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { greeting, type Greeting } from './lib/greeting.js';

const who: Greeting = parse('who: typescript') as Greeting;
console.log(greeting(who));
console.log('stack', new Error('where').stack?.split('\\n')[1]?.trim());
console.log('next to me:', readFileSync(new URL('./lib/data.txt', import.meta.url), 'utf8').trim());
try {
  await import('./broken.js');
} catch (err) {
  console.log('broken:', (err as Error).message.split('\\n')[0]);
}
// Written after start-up, as npm run subgraph:new does while the platform runs (with package.json
// half written at that moment: the command rewrites it).
const { writeFileSync } = await import('node:fs');
setTimeout(() => {
  writeFileSync(new URL('./package.json', import.meta.url), '{');
  writeFileSync(new URL('./late.ts', import.meta.url), 'export const late: string = "transpiled on demand";\\n');
  import('./late.js').then((m) => console.log('late:', m.late), (err) => console.log('late failed:', err.message));
}, 0);
`;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'platform-loader-test-'));
  // The fixture's packages (yaml, esbuild) are the repository's.
  await symlink(path.join(REPOSITORY, 'node_modules'), path.join(root, 'node_modules'));
  await writeFile(path.join(root, 'tsconfig.json'), await readFile(path.join(REPOSITORY, 'tsconfig.json')));
  // The fixture has its own copy of the loader, as a copy of the repository has.
  await mkdir(path.join(root, 'loader'));
  for (const file of ['tree.mjs', 'hooks.mjs']) await copyFile(path.join(LOADER, file), path.join(root, 'loader', file));
  await writeFile(path.join(root, 'main.ts'), MAIN);
  await writeFile(path.join(root, 'package.json'), '{ "type": "module" }\n');
  await writeFile(path.join(root, 'broken.ts'), 'export const = ;\n');
  await mkdir(path.join(root, 'lib'), { recursive: true });
  await writeFile(path.join(root, 'lib', 'data.txt'), 'read from the repository\n');
  await writeGreeting('hello');
});

afterAll(async () => {
  await rm(treeDir(root), { recursive: true, force: true });
  await rm(root, { recursive: true, force: true });
});

const writeGreeting = (word: string) =>
  writeFile(
    path.join(root, 'lib', 'greeting.ts'),
    `export interface Greeting { who: string }\nexport const greeting = (g: Greeting): string => \`${word}, \${g.who}\`;\n`,
  );

async function start(): Promise<string[]> {
  await writeFile(path.join(root, 'package.json'), '{ "type": "module" }\n');
  const tree = pathToFileURL(path.join(root, 'loader', 'tree.mjs')).href;
  const script = `import(${JSON.stringify(tree)}).then((m) => m.runFromTree(${JSON.stringify(root)}, 'main.ts'))`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  return stdout.trim().split('\n');
}

it('runs TypeScript on plain Node: packages, source maps, files next to a module, late modules', async () => {
  expect(await start()).toEqual([
    'hello, typescript',
    expect.stringContaining(`${path.join(root, 'main.ts')}:7:`),
    'next to me: read from the repository',
    expect.stringMatching(/^broken: broken\.ts does not compile:/),
    'late: transpiled on demand',
  ]);
});

it('transpiles a file again only when it changed', async () => {
  await rm(path.join(root, 'late.ts'), { force: true });
  await prepareTree(root);
  const counts: number[] = [];
  await prepareTree(root, (n) => counts.push(n));
  await prepareTree(root, (n) => counts.push(n));
  await writeGreeting('welcome');
  // A new mtime for the same size still counts as a change.
  await utimes(path.join(root, 'main.ts'), new Date(), new Date(Date.now() + 5_000));
  await prepareTree(root, (n) => counts.push(n));
  expect(counts).toEqual([0, 0, 2]);
  expect((await start())[0]).toBe('welcome, typescript');
});
