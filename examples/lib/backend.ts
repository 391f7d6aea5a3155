/**
 * --backend: `auto` (the default) keeps the backend @tsgrad/tensor picks by itself —
 * TSGRAD_BACKEND when set, else WebAssembly SIMD where it runs, else the JS reference —
 * and reports which one that was and why. `wasm` and `cpu` are built into
 * @tsgrad/tensor (`cpu` is the plain-JS float64-capable reference); `gpu` lives in the
 * optional package @tsgrad/gpu, which registers itself when imported. A missing (or
 * broken) package is reported in one line with exit code 2, never silently replaced.
 */
import { backendInfo, setBackend } from '@tsgrad/tensor';
import { UsageError } from './cli.js';
import type { BackendName } from './common-flags.js';

export const GPU_PACKAGE = '@tsgrad/gpu';

// A variable specifier keeps TypeScript from requiring the optional package.
const importGpuPackage = (): Promise<unknown> => {
  const specifier: string = GPU_PACKAGE;
  return import(specifier);
};

async function loadGpuPackage(flag: string, importGpu: () => Promise<unknown>): Promise<void> {
  try {
    await importGpu();
  } catch (err) {
    const e = err as Error & { code?: string };
    const notFound = (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && String(e.message).includes(GPU_PACKAGE);
    if (notFound) {
      throw new UsageError(`${flag}: the gpu backend is not installed (package ${GPU_PACKAGE} not found); install it or use --backend cpu`);
    }
    const reason = String(e?.message ?? err).split('\n')[0];
    throw new UsageError(`${flag}: the gpu backend (${GPU_PACKAGE}) could not be loaded: ${reason}; use --backend cpu`);
  }
}

/**
 * Selects the backend and returns what runs, with why it was chosen, e.g.
 * `wasm (mode=wasm-simd, …, reason=default: WebAssembly SIMD is available)` or
 * `cpu (mode=js, threads=1, reason=setBackend('cpu'))`.
 */
export async function selectBackend(name: BackendName, importGpu: () => Promise<unknown> = importGpuPackage): Promise<string> {
  if (name === 'auto') {
    const env = typeof process !== 'undefined' ? process.env['TSGRAD_BACKEND'] : undefined;
    // The library reads TSGRAD_BACKEND itself; the gpu backend only exists once its package is imported.
    if (env === 'gpu') await loadGpuPackage(`--backend auto (TSGRAD_BACKEND=gpu)`, importGpu);
    try {
      return describeBackend();
    } catch (err) {
      throw new UsageError(`--backend auto${env ? ` (TSGRAD_BACKEND=${env})` : ''}: ${String((err as Error).message).split('\n')[0]}`);
    }
  }
  if (name === 'gpu') await loadGpuPackage('--backend gpu', importGpu);
  try {
    setBackend(name);
  } catch (err) {
    throw new UsageError(`--backend ${name}: ${String((err as Error).message).split('\n')[0]}`);
  }
  return describeBackend();
}

/** The name of the backend that runs now (`wasm`, `cpu`, `gpu`): what `--backend auto` resolved to. */
export function activeBackendName(): string {
  return backendInfo().backend;
}

function describeBackend(): string {
  const info = backendInfo();
  const details = Object.entries(info).filter(([k]) => k !== 'backend').map(([k, v]) => `${k}=${String(v)}`);
  return details.length ? `${info.backend} (${details.join(', ')})` : info.backend;
}
