// Some registry mirrors do not serve every platform build of packages with native binaries (swc,
// jest's resolver). npm then writes a lock without those optional entries, and `npm ci` refuses it.
// This adds an entry (version and platform only) for each missing optional platform package; npm
// skips them on other platforms and fetches them by version where they apply. Run after changing
// dependencies: npm run lockfile:complete
import { readFileSync, writeFileSync } from 'node:fs';
const file = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;
const platformOf = (name) => {
  const tail = name.split('/').pop();
  const m = tail.match(/(darwin|win32|linux|android|freebsd|openharmony|sunos|aix|wasm32)-?([a-z0-9]+)?(?:-(gnu|musl|msvc|gnueabihf|musleabihf|eabi|wasi))?$/);
  if (!m) return null;
  let [, os, cpu, abi] = m;
  if (os === 'wasm32') return { cpu: ['wasm32'] };
  const out = { os: [os], cpu: [cpu] };
  if (abi === 'gnu' || abi === 'gnueabihf') out.libc = ['glibc'];
  if (abi === 'musl' || abi === 'musleabihf') out.libc = ['musl'];
  return out;
};
let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const base = path ? `${path}/node_modules/${dep}` : `node_modules/${dep}`;
    const top = `node_modules/${dep}`;
    if (pkgs[base] || pkgs[top]) continue;
    const platform = platformOf(dep);
    if (!platform) continue;
    pkgs[top] = { version, ...(meta.dev ? { dev: true } : {}), optional: true, ...platform };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} platform entries`);
