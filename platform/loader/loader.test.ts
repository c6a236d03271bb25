/**
 * The loader `npm start` runs our TypeScript with (platform/loader): imports naming ./x.js load
 * ./x.ts, stack traces name the .ts file, packages load as usual, and each file is transpiled once
 * per content (the cache), again after it changed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REGISTER = fileURLToPath(new URL('./register.mjs', import.meta.url));
const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
let cache: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'platform-loader-test-'));
  cache = path.join(dir, 'cache');
  // The fixture's `yaml` import finds the repository's packages.
  await symlink(path.join(REPOSITORY, 'node_modules'), path.join(dir, 'node_modules'));
  await writeFile(
    path.join(dir, 'main.ts'),
    [
      "import { parse } from 'yaml';",
      "import { greeting, type Greeting } from './greeting.js';",
      "const loaded: Greeting = parse('who: typescript') as Greeting;",
      'console.log(greeting(loaded));',
      "console.log(new Error('where').stack?.split('\\n')[1]?.trim());",
      '',
    ].join('\n'),
  );
  await writeGreeting('hello');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const writeGreeting = (word: string) =>
  writeFile(
    path.join(dir, 'greeting.ts'),
    `export interface Greeting { who: string }\nexport const greeting = (g: Greeting): string => \`${word}, \${g.who}\`;\n`,
  );

async function start(): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--import', REGISTER, path.join(dir, 'main.ts')], {
    env: { ...process.env, PLATFORM_LOADER_CACHE: cache },
  });
  return stdout.trim().split('\n');
}

async function cached(): Promise<Map<string, number>> {
  const files = new Map<string, number>();
  for (const sub of await readdir(cache).catch(() => [])) {
    for (const file of await readdir(path.join(cache, sub))) files.set(file, (await stat(path.join(cache, sub, file))).mtimeMs);
  }
  return files;
}

it('runs TypeScript that imports ./x.js as ./x.ts, and packages as usual', async () => {
  const [greeting, where] = await start();
  expect(greeting).toBe('hello, typescript');
  // Source maps: the stack names the .ts file and its line.
  expect(where).toContain(`${path.join(dir, 'main.ts')}:5:`);
});

it('transpiles each file once, and again after it changed', async () => {
  await start();
  const first = await cached();
  expect(first.size).toBe(2);
  await start();
  expect(await cached()).toEqual(first);

  await writeGreeting('welcome');
  expect((await start())[0]).toBe('welcome, typescript');
  const after = await cached();
  expect(after.size).toBe(3);
  for (const [file, mtime] of first) expect(after.get(file)).toBe(mtime);
});
