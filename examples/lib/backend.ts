/**
 * --backend: `cpu` is built into @tsgrad/tensor; `gpu` lives in the optional package
 * @tsgrad/gpu, which registers itself when imported. A missing (or broken) package is
 * reported in one line with exit code 2, never silently replaced by the CPU.
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

/** Selects the backend and returns what runs (e.g. `cpu (mode=js, threads=1)`). */
export async function selectBackend(name: BackendName, importGpu: () => Promise<unknown> = importGpuPackage): Promise<string> {
  if (name === 'gpu') {
    try {
      await importGpu();
    } catch (err) {
      const e = err as Error & { code?: string };
      const notFound = (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && String(e.message).includes(GPU_PACKAGE);
      if (notFound) {
        throw new UsageError(`--backend gpu: the gpu backend is not installed (package ${GPU_PACKAGE} not found); install it or use --backend cpu`);
      }
      const reason = String(e?.message ?? err).split('\n')[0];
      throw new UsageError(`--backend gpu: the gpu backend (${GPU_PACKAGE}) could not be loaded: ${reason}; use --backend cpu`);
    }
  }
  try {
    setBackend(name);
  } catch (err) {
    throw new UsageError(`--backend ${name}: ${String((err as Error).message).split('\n')[0]}`);
  }
  const info = backendInfo();
  const details = Object.entries(info).filter(([k]) => k !== 'backend').map(([k, v]) => `${k}=${String(v)}`);
  return details.length ? `${info.backend} (${details.join(', ')})` : info.backend;
}
