import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The folder an installed package lives in (resolved from the repository root). */
export function packageDir(name: string): string {
  // Resolving `<name>/package.json` fails for packages whose `exports` hide it
  // (@jax-js/jax), so resolve the main entry and walk up to the manifest instead.
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === name) return dir;
    } catch {
      // no manifest here, keep walking
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`bench: cannot find the package folder of ${name}`);
    dir = up;
  }
}

/** The installed version of a package, read from its package.json. */
export function packageVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
