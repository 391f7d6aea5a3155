/**
 * Bundles the browser demo with esbuild into examples/browser/dist/ (git-ignored):
 * main.js (tsgrad, CPU and WebAssembly backends), a lazily loaded chunk with
 * @tsgrad/gpu and gpu.js, and index.html. Everything comes from this repository and
 * node_modules: no CDN, nothing downloaded.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
export const DIST = join(here, 'dist');

/** Builds the demo; returns the output directory. */
export async function buildDemo(opts: { quiet?: boolean } = {}): Promise<string> {
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  const result = await build({
    entryPoints: [join(here, 'main.ts')],
    outdir: DIST,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    // Whitespace and syntax only: the CPU backend's generated kernels (new Function) name
    // module-level helpers, which renamed identifiers would break.
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    // Development runs from sources: the same mapping as tsconfig.json's "paths".
    tsconfig: join(root, 'tsconfig.json'),
    // gpu.js's Node-only paths (headless-gl, the webgpu package) are never reached in a browser.
    external: ['gl', 'webgpu'],
    // The packages' "sideEffects" lists name their published dist/ files; bundled from
    // sources, backend registration (a side effect) must not be dropped.
    ignoreAnnotations: true,
    logLevel: opts.quiet ? 'error' : 'warning',
  });
  copyFileSync(join(here, 'index.html'), join(DIST, 'index.html'));
  if (!opts.quiet) {
    for (const [file, out] of Object.entries(result.metafile.outputs)) {
      if (file.endsWith('.js')) console.log(`  ${file.replace(`${root}/`, '')}  ${(out.bytes / 1024).toFixed(0)} KiB`);
    }
  }
  return DIST;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildDemo();
}
