/**
 * TensorFlow.js peer: the pure-JS cpu backend and the wasm backend.
 *
 * We import the union package `@tensorflow/tfjs` rather than tfjs-core +
 * tfjs-backend-cpu: in Node, tfjs-core's CommonJS bundle registers no gradients
 * (`tf.grad` fails with "gradient function not found for RealDiv"), and its
 * `register_all_gradients` module is ESM-only with directory imports Node cannot
 * load. The union bundle registers them. The wasm binaries are loaded from the
 * installed package's dist folder, so nothing is ever fetched at run time.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import { packageDir } from './versions.js';

export { tf };

export type TfBackend = 'cpu' | 'wasm';

let wasmPathsSet = false;
let quiet = false;

/** Switches tfjs' global backend and waits for it to be ready (wasm compiles asynchronously). */
export async function useTfBackend(name: TfBackend): Promise<void> {
  if (!quiet) {
    // Prod mode only silences tfjs' console warnings (the "install tfjs-node" banner).
    tf.enableProdMode();
    quiet = true;
  }
  if (name === 'wasm' && !wasmPathsSet) {
    // A trailing separator: tfjs appends the .wasm file name to this prefix.
    setWasmPaths(path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist') + path.sep);
    wasmPathsSet = true;
  }
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`tfjs: backend '${name}' failed to initialise`);
  }
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`tfjs: asked for '${name}', got '${tf.getBackend()}'`);
}

export function describeTfBackend(name: TfBackend): string {
  if (name === 'cpu') return 'tfjs cpu backend (plain JS)';
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const threads = getThreadsCount();
  return `tfjs wasm backend (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`;
}

/**
 * Wraps an implementation's dispose so that it also checks that tfjs holds no more
 * tensors than before the implementation was built: every timed iteration must
 * tidy or dispose what it creates.
 */
export function tfLeakGuard(): (free: () => void) => void {
  const before = tf.memory().numTensors;
  return (free) => {
    free();
    const after = tf.memory().numTensors;
    if (after !== before) throw new Error(`tfjs: ${after - before} tensor(s) leaked`);
  };
}
