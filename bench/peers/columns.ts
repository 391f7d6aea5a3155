/**
 * The table's columns, left to right. Each is a library on one backend; the
 * implementations live with the workloads and are picked by `library`.
 */
import { backendInfo, setBackend } from '@tsgrad/tensor';
import type { Column } from '../lib/types';
import { describeTfBackend, useTfBackend } from './tfjs';
import { describeJax, initJax } from './jax';

async function attempt(init: () => Promise<void>): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await init();
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

const tsgradCpu: Column = {
  id: 'tsgrad-cpu',
  library: 'tsgrad',
  describe: () => {
    const { backend, ...rest } = backendInfo();
    const extra = Object.entries(rest).map(([k, v]) => `${k}=${String(v)}`).join(', ');
    return `@tsgrad/tensor ${backend} backend${extra ? ` (${extra})` : ''}`;
  },
  init: () => attempt(async () => setBackend('cpu')),
  activate: async () => setBackend('cpu'),
};

const tfjsCpu: Column = {
  id: 'tfjs-cpu',
  library: 'tfjs',
  describe: () => describeTfBackend('cpu'),
  init: () => attempt(() => useTfBackend('cpu')),
  activate: () => useTfBackend('cpu'),
};

const tfjsWasm: Column = {
  id: 'tfjs-wasm',
  library: 'tfjs',
  describe: () => describeTfBackend('wasm'),
  init: () => attempt(() => useTfBackend('wasm')),
  activate: () => useTfBackend('wasm'),
};

const jaxWasm: Column = {
  id: 'jax-js',
  library: 'jax',
  describe: describeJax,
  init: () => attempt(initJax),
  activate: async () => {},
};

const plain: Column = {
  id: 'plain',
  library: 'plain',
  describe: () => 'hand-written Float32Array loops (single thread)',
  init: async () => ({ ok: true }),
  activate: async () => {},
};

// Slot for the optional @tsgrad/gpu backend: it reuses every tsgrad implementation.
// When the package exists, import it for its registration side effect and add
//   { id: 'tsgrad-gpu', library: 'tsgrad', describe: …backendInfo(),
//     init: () => attempt(async () => setBackend('gpu')), activate: async () => setBackend('gpu') }
// right after tsgrad-cpu. Ratios stay relative to tsgrad-cpu; a GPU backend whose
// kernels are asynchronous must make `dataSync()`/readback wait, which the
// `--no-readback` mode relies on too.

/** Every column in table order; the first is the one ratios are taken against. */
export const COLUMNS: readonly Column[] = [tsgradCpu, tfjsCpu, tfjsWasm, jaxWasm, plain];
export const BASELINE_COLUMN = 'tsgrad-cpu';
