// The repository's TypeScript as plain JavaScript, for `npm start` (platform/start.mjs): a copy of the
// source tree under node_modules/.cache/platform-loader/<checkout>/, same layout, where every .ts file
// is a .js file (one tree per checkout, so copies of the repository sharing node_modules keep theirs). Node then loads our modules as it loads any package, with no loader in front of each one.
//
// Why not tsx: with a loader registered, every module (ours and the thousand-odd of node_modules)
// goes through hooks on a thread of their own, and tsx also hooks every CommonJS require; that was
// about a second of CPU of every start (bench/startup.md).
//
//   - A file is transpiled again when its size or mtime changed since the last start; the first
//     start transpiles all of them (esbuild, the compiler tsx uses, with the repository's
//     tsconfig.json), later ones only what changed.
//   - import.meta.url, .dirname and .filename keep naming the source file, so what a module reads
//     next to itself (schema.graphql, the PGlite worker) is read from the repository.
//   - A file that does not compile becomes a module that throws esbuild's message when imported, so
//     only what imports it fails, as under tsx.
//   - Modules imported after start-up that the tree does not have yet (a subgraph added while the
//     platform runs) are transpiled on demand by hooks.mjs.
// Type checking stays with `npm run typecheck`, as under tsx.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Bump when what the tree holds changes shape, so every file is transpiled again. */
const TREE_VERSION = 1;
/** Not sources of the running platform: other packages, outputs, data, tests, templates. */
const SKIPPED = new Set(['node_modules', 'dist', 'coverage', '.data', '.git', 'bench/peers', 'scripts/templates']);
const isSource = (name) => (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) || name.endsWith('.mjs');

const cacheDir = (root) => path.join(root, 'node_modules', '.cache', 'platform-loader');

/** Where the tree of the checkout at `root` lives. */
export function treeDir(root) {
  const id = createHash('sha256').update(realpathSync(root)).digest('hex').slice(0, 16);
  return path.join(cacheDir(root), id);
}

/** `subgraphs/kit/index.ts` -> `subgraphs/kit/index.js` (an .mjs keeps its name). */
export function outputName(relative) {
  return relative.endsWith('.ts') ? `${relative.slice(0, -3)}.js` : relative;
}

/**
 * Brings the tree of `root` up to date with the sources and returns its directory; `onBuilt` hears
 * how many files were transpiled.
 */
export async function prepareTree(root, onBuilt = () => {}) {
  const out = treeDir(root);
  const salt = saltOf(root);
  const manifestFile = path.join(out, '.manifest.json');
  let previous = {};
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    if (manifest.salt === salt) previous = manifest.files;
  } catch {
    // first start, or a tree from another version: build everything
  }
  const files = {};
  const stale = [];
  for (const relative of listSources(root)) {
    const { mtimeMs, size } = statSync(path.join(root, relative));
    files[relative] = [mtimeMs, size];
    const before = previous[relative];
    if (!before || before[0] !== mtimeMs || before[1] !== size || !existsSync(path.join(out, outputName(relative)))) {
      stale.push(relative);
    }
  }
  await Promise.all(stale.map((relative) => transpileInto(root, out, relative)));
  const removed = Object.keys(previous).filter((relative) => !(relative in files));
  for (const relative of removed) rmSync(path.join(out, outputName(relative)), { force: true });
  const packageJson = path.join(out, 'package.json');
  if (stale.length || removed.length || !existsSync(packageJson)) {
    mkdirSync(out, { recursive: true });
    // The tree's .js files are ES modules (the repository's package.json is not above them).
    writeAtomically(packageJson, '{ "type": "module" }\n');
    writeAtomically(manifestFile, JSON.stringify({ root: realpathSync(root), salt, files }));
    removeTreesOfDeletedCheckouts(root);
  }
  onBuilt(stale.length);
  return out;
}

/** Trees whose checkout is gone (temporary copies of the repository) are removed. */
function removeTreesOfDeletedCheckouts(root) {
  for (const entry of readdirSync(cacheDir(root), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const tree = path.join(cacheDir(root), entry.name);
    try {
      const { root: checkout } = JSON.parse(readFileSync(path.join(tree, '.manifest.json'), 'utf8'));
      if (typeof checkout === 'string' && !existsSync(checkout)) rmSync(tree, { recursive: true, force: true });
    } catch {
      // a tree being built right now, or not one of ours
    }
  }
}

/**
 * Runs `entry` (a path relative to `root`, e.g. platform/main.ts) from the tree, then lets hooks.mjs
 * transpile what is imported later and is not in the tree yet.
 */
export async function runFromTree(root, entry) {
  // Stack traces name the .ts file and line, as under tsx.
  process.setSourceMapsEnabled(true);
  // Node names modules by their real path; so do the hooks.
  const out = realpathSync(await prepareTree(root));
  await import(pathToFileURL(path.join(out, outputName(entry))).href);
  register('./hooks.mjs', import.meta.url, { data: { root, out } });
}

let esbuild;

/**
 * Loads the compiler (once). The hooks do so when they are registered: resolving `esbuild` reads the
 * repository's package.json, which `npm run subgraph:new` rewrites just before a new subgraph's
 * first module is imported.
 */
export async function loadCompiler() {
  esbuild ??= await import('esbuild');
}

/** Transpiles one source file of `root` into the tree `out`. */
export async function transpileInto(root, out, relative) {
  const file = path.join(root, relative);
  const source = readFileSync(file, 'utf8');
  await loadCompiler();
  let code;
  try {
    ({ code } = await esbuild.transform(source, {
      loader: relative.endsWith('.ts') ? 'ts' : 'js',
      format: 'esm',
      target: 'node20',
      tsconfigRaw: readFileSync(path.join(root, 'tsconfig.json'), 'utf8'),
      sourcefile: file,
      sourcemap: 'inline',
      define: {
        'import.meta.url': JSON.stringify(pathToFileURL(file).href),
        'import.meta.dirname': JSON.stringify(path.dirname(file)),
        'import.meta.filename': JSON.stringify(file),
      },
    }));
  } catch (err) {
    code = `throw new SyntaxError(${JSON.stringify(`${relative} does not compile:\n${err.message}`)});\n`;
  }
  const target = path.join(out, outputName(relative));
  mkdirSync(path.dirname(target), { recursive: true });
  writeAtomically(target, code);
}

/** Written aside and renamed, so a start running at the same time never reads half a file. */
function writeAtomically(file, content) {
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, content);
  renameSync(partial, file);
}

function listSources(root, dir = '') {
  const found = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = dir ? `${dir}/${entry.name}` : entry.name;
    if (SKIPPED.has(entry.name) || SKIPPED.has(relative)) continue;
    if (entry.isDirectory()) found.push(...listSources(root, relative));
    else if (entry.isFile() && isSource(entry.name)) found.push(relative);
  }
  return found;
}

function saltOf(root) {
  const version = (file) => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')).version;
    } catch {
      return 'none';
    }
  };
  return [
    TREE_VERSION,
    version(path.join(root, 'node_modules', 'esbuild', 'package.json')),
    readFileSync(path.join(root, 'tsconfig.json'), 'utf8'),
  ].join('\n');
}
