// Registered by tree.mjs once the platform has started: a relative import from a module of the tree
// that names a file the tree does not have yet (a subgraph added to supergraph.yaml while the
// platform runs, with its own files) is transpiled into the tree first, from the source beside it in
// the repository. Everything else goes on to Node untouched.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadCompiler, outputName, transpileInto } from './tree.mjs';

let root;
let out;
let outUrl;

export async function initialize(data) {
  ({ root, out } = data);
  outUrl = pathToFileURL(out).href + '/';
  await loadCompiler();
}

export async function resolve(specifier, context, nextResolve) {
  if (outUrl && context.parentURL?.startsWith(outUrl) && /^\.{1,2}\//.test(specifier)) {
    const target = new URL(specifier, context.parentURL);
    if (target.href.startsWith(outUrl) && !existsSync(target)) {
      const relative = path.relative(out, fileURLToPath(target)).split(path.sep).join('/');
      const source = [relative.replace(/\.js$/, '.ts'), relative].find(
        (candidate) => outputName(candidate) === relative && existsSync(path.join(root, candidate)),
      );
      if (source) await transpileInto(root, out, source);
    }
  }
  return nextResolve(specifier, context);
}
