/**
 * jax-js peer on its wasm device. In Node there is no Web Worker global, so jax-js
 * runs its wasm kernels on one thread (as tsgrad and the tfjs backends do here).
 */
import * as jax from '@jax-js/jax';

export { jax };
export const np = jax.numpy;
export type JaxArray = jax.Array;

let ready: Promise<void> | null = null;

export function initJax(): Promise<void> {
  ready ??= (async () => {
    const devices = await jax.init('wasm');
    if (!devices.includes('wasm')) throw new Error(`jax-js: wasm device unavailable (got ${devices.join(', ')})`);
    jax.defaultDevice('wasm');
  })();
  return ready;
}

export function describeJax(): string {
  const threaded = typeof SharedArrayBuffer !== 'undefined' && typeof (globalThis as { Worker?: unknown }).Worker !== 'undefined';
  return `jax-js wasm device, jit-compiled (${threaded ? 'multi-threaded' : '1 thread: no Worker global in Node'})`;
}

/** A jax-js float32 array from host data. */
export function jaxArray(data: Float32Array | Int32Array, shape: readonly number[]): JaxArray {
  const dtype = data instanceof Int32Array ? np.int32 : np.float32;
  return np.array(data, { dtype, shape: [...shape] });
}
