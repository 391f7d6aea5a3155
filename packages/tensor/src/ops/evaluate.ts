import type { Backend } from '../backend.js';
import type { Tensor } from '../tensor.js';

/**
 * Computes these tensors' values now. Backends that record elementwise work lazily
 * (the WebAssembly and gpu backends fuse chains into the kernel that consumes them)
 * otherwise compute it when a kernel or a read first needs it; call this to time
 * work honestly, or before keeping a result for long (it then holds its own memory
 * instead of its inputs'). A no-op on eager backends.
 */
export function evaluate(...tensors: Tensor[]): void {
  // One call per backend: a backend that queues kernels (wasm with threads) then queues
  // every tensor's kernels before it waits, instead of waiting once per tensor.
  const byBackend = new Map<Backend, Tensor[]>();
  for (const t of tensors) {
    const b = t.storage.backend;
    const list = byBackend.get(b);
    if (list) list.push(t);
    else byBackend.set(b, [t]);
  }
  for (const [b, ts] of byBackend) b.evaluate?.(...ts);
}
