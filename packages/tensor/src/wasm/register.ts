import { getBackendByName, listBackends, registerBackend } from '../backend.js';
import { ValueError } from '../errors.js';
import { declare, validateArgs, type ArgSpec } from '../validate/checked.js';
import { fail } from '../validate/spec.js';
import { WasmBackend } from './wasm-backend.js';

// A second copy of this module (two bundles, a re-import) reuses the first registration.
const existing = listBackends().includes('wasm') ? (getBackendByName('wasm') as WasmBackend) : null;

/** The registered 'wasm' backend (started on first use). */
export const wasm: WasmBackend = existing ?? new WasmBackend();
if (!existing) registerBackend(wasm);

const TIMEOUT_EXPECTED = 'a non-negative finite number of milliseconds';
const THREADS_READY_ARGS: readonly ArgSpec[] = [
  ['timeoutMs', {
    expected: TIMEOUT_EXPECTED,
    check: (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : fail(ValueError, TIMEOUT_EXPECTED, v)),
  }],
];

/**
 * Resolves when the WebAssembly backend's worker threads are up and waiting for work
 * (true), or after `timeoutMs` (false); at once with true on one thread. Kernels never
 * wait for workers to boot — meanwhile the calling thread runs the queued kernels itself
 * when it waits for results — so this
 * is only needed where a long synchronous loop would keep them from starting: in a
 * browser Worker, nested Workers start only while its event loop runs. Bad arguments
 * throw (synchronously) before anything starts.
 * @throws ValueError if `timeoutMs` is not a non-negative finite number.
 */
export function threadsReady(timeoutMs = 10_000): Promise<boolean> {
  validateArgs('threadsReady', THREADS_READY_ARGS, [timeoutMs]);
  return wasm.threadsReady(timeoutMs);
}
declare('threadsReady', THREADS_READY_ARGS, threadsReady);
