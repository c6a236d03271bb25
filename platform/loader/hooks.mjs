// Module hooks that run the repository's TypeScript on plain Node for `npm start` (register.mjs).
//
// Why not tsx: tsx hooks every CommonJS require and runs its own checks on every module, including
// the thousand-odd files of @apollo/* and the rest of node_modules; that was about 0.7 s of CPU of
// each start (docs: bench/startup.md). These hooks touch only our own .ts files, and leave
// node_modules to Node itself:
//   - resolve: `./x.js` imported from a .ts file is `./x.ts` (our imports name the .js that tsc and
//     Node's ESM expect);
//   - load: a .ts file outside node_modules is transpiled by esbuild (the compiler tsx uses, with the
//     repository's tsconfig.json), and the result is cached under node_modules/.cache, keyed by the
//     file's content, so a start only transpiles what changed.
// Type checking stays with `npm run typecheck`, as under tsx.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../../', import.meta.url);
// PLATFORM_LOADER_CACHE moves the cache (tests; a read-only node_modules).
const CACHE = `${process.env.PLATFORM_LOADER_CACHE ?? fileURLToPath(new URL('node_modules/.cache/platform-loader', ROOT))}/`;
/** Changes whenever what a cached file depends on changes: these hooks' options, or the tsconfig. */
const CACHE_SALT = `1\n${readFileSync(new URL('tsconfig.json', ROOT), 'utf8')}`;

const isTypeScript = (url) => url.startsWith('file:') && url.endsWith('.ts') && !url.includes('/node_modules/');

export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL && isTypeScript(context.parentURL) && specifier.endsWith('.js') && /^\.{1,2}\//.test(specifier)) {
    const candidate = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
    if (existsSync(candidate)) return { url: candidate.href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!isTypeScript(url)) return nextLoad(url, context);
  const source = await readFile(new URL(url), 'utf8');
  return { format: 'module', source: await transpiled(url, source), shortCircuit: true };
}

let esbuild;

async function transpiled(url, source) {
  const key = createHash('sha256').update(CACHE_SALT).update('\0').update(url).update('\0').update(source).digest('hex');
  const cached = `${CACHE}${key.slice(0, 2)}/${key}.js`;
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    // not transpiled yet
  }
  esbuild ??= await import('esbuild');
  const { code } = await esbuild.transform(source, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    tsconfigRaw: CACHE_SALT.slice(CACHE_SALT.indexOf('\n') + 1),
    sourcefile: fileURLToPath(url),
    sourcemap: 'inline',
  });
  try {
    mkdirSync(`${CACHE}${key.slice(0, 2)}`, { recursive: true });
    // Written aside and renamed, so a start running at the same time never reads half a file.
    const partial = `${cached}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, cached);
  } catch {
    // a read-only node_modules: transpile again next time
  }
  return code;
}
