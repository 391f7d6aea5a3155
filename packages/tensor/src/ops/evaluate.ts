import type { Tensor } from '../tensor.js';

/**
 * Computes these tensors' values now. Backends that record elementwise work lazily
 * (the WebAssembly and gpu backends fuse chains into the kernel that consumes them)
 * otherwise compute it when a kernel or a read first needs it; call this to time
 * work honestly, or before keeping a result for long (it then holds its own memory
 * instead of its inputs'). A no-op on eager backends.
 */
export function evaluate(...tensors: Tensor[]): void {
  for (const t of tensors) t.storage.backend.evaluate?.(t);
}
