/**
 * --backend: `cpu` is built into @tsgrad/tensor; `gpu` lives in the optional package
 * @tsgrad/gpu, which registers itself when imported. A missing package is bad input
 * (exit 2), not a crash, and is never silently replaced by the CPU.
 */
import { backendInfo, setBackend } from '@tsgrad/tensor';
import { UsageError } from './cli';
import type { BackendName } from './common-flags';

const GPU_PACKAGE = '@tsgrad/gpu';

/** Selects the backend and returns what runs (e.g. `cpu`, or `gpu (webgl)`). */
export async function selectBackend(name: BackendName): Promise<string> {
  if (name === 'gpu') {
    try {
      // A variable specifier keeps TypeScript from requiring the optional package.
      const specifier: string = GPU_PACKAGE;
      await import(specifier);
    } catch (err) {
      const e = err as Error & { code?: string };
      const missing = (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && e.message.includes(GPU_PACKAGE);
      if (missing) {
        throw new UsageError(`--backend gpu: the gpu backend is not installed (package ${GPU_PACKAGE} not found); use --backend cpu`);
      }
      throw err;
    }
  }
  setBackend(name);
  const info = backendInfo();
  const details = Object.entries(info).filter(([k]) => k !== 'backend').map(([k, v]) => `${k}=${String(v)}`);
  return details.length ? `${info.backend} (${details.join(', ')})` : info.backend;
}
