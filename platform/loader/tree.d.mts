/** Types of tree.mjs (plain JavaScript: it runs before any TypeScript can). */
export function treeDir(root: string): string;
export function outputName(relative: string): string;
export function prepareTree(root: string, onBuilt?: (transpiled: number) => void): Promise<string>;
export function runFromTree(root: string, entry: string): Promise<void>;
export function loadCompiler(): Promise<void>;
export function transpileInto(root: string, out: string, relative: string): Promise<void>;
