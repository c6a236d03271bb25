// `npm start`: platform/main.ts on plain Node, run from the transpiled tree of the repository
// (platform/loader/tree.mjs explains why and how it stays current).
import { fileURLToPath } from 'node:url';
import { runFromTree } from './loader/tree.mjs';

await runFromTree(fileURLToPath(new URL('..', import.meta.url)), 'platform/main.ts');
