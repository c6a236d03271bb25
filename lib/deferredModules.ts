/**
 * CommonJS modules that a package requires when it loads but only uses later, if ever, loaded when
 * first used instead. Start-up pays for every module a package requires at its top, used or not:
 * @apollo/gateway requires Apollo's own usage telemetry (four cloud resource detectors, a metrics SDK,
 * an OTLP exporter: over 700 files), which our gateway turns off, and loading them was about a
 * second of `npm start`'s main thread (bench/startup.md).
 *
 * How: before the package loads, each deferred module's entry in Node's module cache (`require.cache`,
 * which Node documents as open to adding entries) is a stand-in whose exports are a proxy. The package's
 * `require()` returns the proxy; the first read of anything on it removes the stand-in, requires the
 * real module, and from then on the proxy forwards to it, as does every later `require()`.
 *
 * Only for modules whose exports are a plain object (not a function: the proxy cannot be called) and
 * that the requiring package does not read while it loads; either mistake costs only the saving, since
 * a read loads the real module. The tests of a deferral check both, so a new version of the package
 * that reads one at load shows up there.
 *
 * Under Jest, whose `require.cache` ignores writes, nothing is deferred and the package loads as usual.
 */
import { createRequire } from 'node:module';

/** Where a module of the cache came from, as Node's loader reads a cached entry. */
interface CacheEntry {
  id: string;
  filename: string;
  loaded: boolean;
  exports: unknown;
  children: unknown[];
  paths: string[];
}

/**
 * Defers the modules `specifiers` names, as `from` (a file of the requiring package) resolves them.
 * Returns the resolved files deferred now: none that is loaded already.
 */
export function deferModules(from: string, specifiers: readonly string[]): string[] {
  const require = createRequire(from);
  const cache = require.cache as Record<string, CacheEntry | undefined>;
  const deferred: string[] = [];
  for (const specifier of specifiers) {
    const filename = require.resolve(specifier);
    if (cache[filename]) continue;
    cache[filename] = { id: filename, filename, loaded: true, exports: lazyExports(), children: [], paths: [] };
    if (cache[filename]) deferred.push(filename);

    function lazyExports(): object {
      let real: object | undefined;
      // The proxy's own object gets the real module's properties once loaded, so that what the
      // proxy reports of its keys and descriptors agrees with its target, as proxies must.
      const target: object = {};
      const load = (): object => {
        if (!real) {
          delete cache[filename];
          real = require(specifier) as object;
          for (const key of Reflect.ownKeys(real)) {
            Object.defineProperty(target, key, Reflect.getOwnPropertyDescriptor(real, key)!);
          }
        }
        return real;
      };
      return new Proxy(target, {
        get: (_target, key) => Reflect.get(load(), key),
        set: (_target, key, value) => Reflect.set(load(), key, value),
        has: (_target, key) => Reflect.has(load(), key),
        ownKeys: () => (load(), Reflect.ownKeys(target)),
        getOwnPropertyDescriptor: (_target, key) => (load(), Reflect.getOwnPropertyDescriptor(target, key)),
        getPrototypeOf: () => Reflect.getPrototypeOf(load()),
      });
    }
  }
  return deferred;
}
