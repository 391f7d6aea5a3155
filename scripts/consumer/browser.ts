// Browser entry, CPU backends only: esbuild bundles it (minified); the page reads the
// result. Trains on the default backend (WebAssembly), then on the JS reference backend,
// whose kernels are compiled at run time and must survive the minifier's renaming.
import { setBackend } from '@tsgrad/tensor';
import { checkTrained, trainMlp } from './train-core.js';

const g = globalThis as { tsgradResult?: { ok: boolean; summary: string } };
try {
  const wasm = checkTrained(trainMlp());
  setBackend('cpu');
  g.tsgradResult = { ok: true, summary: `${wasm}; ${checkTrained(trainMlp())}` };
} catch (e) {
  g.tsgradResult = { ok: false, summary: String(e) };
}
