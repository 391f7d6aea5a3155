/**
 * @tsgrad/gpu — a gpu.js backend for tsgrad's elementwise ops and reductions.
 *
 * `import '@tsgrad/gpu'` registers a backend named 'gpu'; select it with
 * `setBackend('gpu')` or TSGRAD_BACKEND=gpu. The gpu.js mode comes from
 * `setGpuMode()` / TSGRAD_GPU_MODE (headlessgl, webgl2, webgl, webasm, auto);
 * `backendInfo()` reports the one that runs. See the package README.
 */
import { getBackendByName, listBackends, registerBackend } from '@tsgrad/tensor';
import { GpuBackend } from './gpu-backend.js';
import type { RequestedMode } from './modes.js';

export { GpuBackend, GpuStorage, DEFAULT_MIN_ELEMENTS, MAX_ELEMENTS, type GpuBackendOptions, type GpuStats } from './gpu-backend.js';
export { GPU_MODES, chooseMode, modeAvailability, type GpuMode, type RequestedMode, type ModeAvailability, type ModeChoice } from './modes.js';
export type { MemoryStats } from './memory.js';

// A second copy of this module (two bundles, a re-import) reuses the first registration.
const existing = listBackends().includes('gpu') ? getBackendByName('gpu') : null;

/** The registered 'gpu' backend (its mode is resolved on first use). */
export const gpu: GpuBackend = (existing as GpuBackend | null) ?? new GpuBackend();
if (!existing) registerBackend(gpu);

/**
 * Chooses the gpu.js mode of the 'gpu' backend before it starts (like
 * TSGRAD_GPU_MODE). A mode that cannot run here makes `setBackend('gpu')` throw,
 * saying why; 'auto' prefers a real GL context.
 */
export function setGpuMode(mode: RequestedMode): void {
  gpu.setMode(mode);
}

/** The 'gpu' backend's transfer, kernel and memory counters. */
export function gpuStats() {
  return gpu.stats();
}
