/**
 * The table's columns, left to right. Each is a library on one backend; the
 * implementations live with the workloads and are picked by `library`.
 */
import { backendInfo, setBackend, setNumThreads } from '@tsgrad/tensor';
import type { Column } from '../lib/types.js';
import { describeTfBackend, useTfBackend } from './tfjs.js';
import { describeJax, initJax } from './jax.js';

async function attempt(init: () => Promise<void>): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await init();
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * A tsgrad column on one of its backends. Every tsgrad column shares the tsgrad
 * implementations; `activate` selects the backend before an implementation builds its
 * tensors (tensors live on the backend active when they are created).
 */
let tsgradThreads = 1;
/** Threads of the tsgrad columns (`--threads`; 1 = single-threaded, like every peer). */
export function setTsgradThreads(n: number): void {
  tsgradThreads = n;
}

function tsgradColumn(id: string, backendName: 'wasm' | 'cpu'): Column {
  // backendInfo() describes whichever backend is active *now*; run.ts refreshes every
  // description after all columns' init(), when the last tsgrad column initialised is
  // the active one. So take the description while this column's backend is selected.
  let description = `@tsgrad/tensor ${backendName} backend`;
  const select = (): void => {
    setBackend(backendName);
    setNumThreads(tsgradThreads);
    const { backend, ...rest } = backendInfo();
    const extra = Object.entries(rest).map(([k, v]) => `${k}=${String(v)}`).join(', ');
    description = `@tsgrad/tensor ${backend} backend${extra ? ` (${extra})` : ''}`;
  };
  return {
    id,
    library: 'tsgrad',
    describe: () => description,
    init: () => attempt(async () => select()),
    activate: async () => select(),
  };
}

/** The WebAssembly SIMD backend (tsgrad's default): the baseline. */
const tsgradWasm = tsgradColumn('tsgrad-wasm', 'wasm');
/** The JS reference backend. */
const tsgradCpu = tsgradColumn('tsgrad-cpu', 'cpu');

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
// tsgradColumn('tsgrad-gpu', 'gpu') (widen its backendName type) right after
// tsgrad-cpu. Ratios stay relative to tsgrad-wasm; like the wasm backend, a gpu
// backend with lazy or asynchronous kernels must complete them in `evaluate()`,
// which the default no-readback mode relies on.

/** Every column in table order; the first is the baseline every ratio is taken against. */
export const COLUMNS: readonly Column[] = [tsgradWasm, tsgradCpu, tfjsCpu, tfjsWasm, jaxWasm, plain];
export const BASELINE_COLUMN = 'tsgrad-wasm';
