/*
 * Synchronous access to Node's built-in modules without a static `node:` import, so
 * the package still bundles for browsers (where every helper here returns null).
 * `process.getBuiltinModule` exists from Node 20.16 (the repo needs >= 20.19).
 */

type GetBuiltin = (id: string) => unknown;

function getBuiltin(): GetBuiltin | null {
  const p = (globalThis as { process?: { getBuiltinModule?: GetBuiltin; versions?: { node?: string } } }).process;
  return p?.versions?.node && typeof p.getBuiltinModule === 'function' ? p.getBuiltinModule.bind(p) : null;
}

export const isNode = getBuiltin() !== null;

type Require = ((id: string) => unknown) & { resolve(id: string): string };

/**
 * `require` resolving from this package, or from the package `from` when given (for
 * the optional `gl` addon, which gpu.js loads); null outside Node.
 */
export function nodeRequire(from?: string): Require | null {
  const get = getBuiltin();
  if (!get) return null;
  const mod = get('node:module') as { createRequire(from: string): Require };
  const own = mod.createRequire(import.meta.url);
  return from ? mod.createRequire(own.resolve(from)) : own;
}

export function env(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.[name];
}
