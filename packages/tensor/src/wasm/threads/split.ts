import { BackendError } from '../../errors.js';
import { envVar } from '../../memory/sync-gc.js';
import type { WasmRuntime } from '../runtime.js';
import { ARG, MAX_ARGS, MAX_TASKS } from './protocol.js';
import type { ArgKind, KernelHandle } from './pool.js';

/*
 * How a map or reduce kernel is split between threads. Those kernels walk a box of D
 * dims with one pointer per operand (arguments: the D sizes, then per operand its
 * pointer and D byte strides — see ../kernels.ts), so a sub-box along one dim is the
 * same kernel called with that dim's size replaced by the chunk's length and every
 * pointer moved by start · stride. Each element (each output of a reduction: only
 * kept dims are split) is computed by exactly the code that computes it unsplit, so
 * results do not depend on the split, and the split itself depends only on the shape.
 *
 * Threshold. Handing out a job costs the calling thread a few microseconds and a
 * sleeping worker a wake-up (tens of microseconds; less while it still spins after the
 * previous job). Measured with `npx tsx bench/threads.ts` on the 2-core development
 * machine: see the README's Threads section; below `minElements` (below) a kernel
 * runs on the calling thread.
 */

/**
 * The tuning of the split, all in elements (multiply-adds for matmul):
 *  - minElements / minMacs: below these a kernel stays on the calling thread;
 *  - taskElements: the work of one task — small enough to balance, large enough that
 *    taking a ticket is noise. Tasks are cut by the shape and this constant, never by
 *    the thread count.
 * TSGRAD_THREADS_MIN_WORK=n sets minElements = n, minMacs = 4n and taskElements =
 * clamp(n, 32, 16384): the threads test configuration uses a small n, so the suites'
 * small tensors take the parallel path too.
 */
export interface ThreadTuning {
  minElements: number;
  minMacs: number;
  taskElements: number;
}

const DEFAULT_TUNING: ThreadTuning = { minElements: 1 << 16, minMacs: 1 << 18, taskElements: 1 << 14 };
let tuning: ThreadTuning | null = null;

export function threadTuning(): ThreadTuning {
  if (tuning) return tuning;
  tuning = { ...DEFAULT_TUNING };
  const v = envVar('TSGRAD_THREADS_MIN_WORK');
  if (v !== undefined && v !== '') {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new BackendError(`TSGRAD_THREADS_MIN_WORK: expected a non-negative integer, got '${v}'`);
    tuning = { minElements: n, minMacs: 4 * n, taskElements: Math.min(DEFAULT_TUNING.taskElements, Math.max(32, n)) };
  }
  return tuning;
}

/** @internal Tests and the benchmark change the tuning; returns the previous one. */
export function setThreadTuning(next: Partial<ThreadTuning>): ThreadTuning {
  const old = threadTuning();
  tuning = { ...old, ...next };
  return old;
}

/** `chunk` grown (to a multiple of `align`) until `units` make at most MAX_TASKS tasks: still a function of the shape. */
export function fitChunk(units: number, chunk: number, align = 1): number {
  const least = Math.ceil(units / MAX_TASKS);
  return chunk >= least ? chunk : Math.ceil(least / align) * align;
}

export interface BoxSplit {
  /** Dims 0 … dims − 1 may be split (outermost first): every dim of a map, the kept dims of a reduction. */
  dims: number;
  /** A chunk of dim `alignDim` is a multiple of `alignBy` units (SIMD groups along a vectorised dim); other dims: any. */
  alignDim: number;
  alignBy: number;
}

/**
 * Calls `run(...args)` of a box kernel over `shape` with `nAcc` operands: split over
 * threads when large, else once (rt.call: on the calling thread, or queued behind the
 * kernels still waiting).
 */
export function runBox(
  rt: WasmRuntime, handle: KernelHandle, args: number[], shape: readonly number[], nAcc: number,
  split: BoxSplit,
): void {
  let total = 1;
  for (const n of shape) total *= n;
  const { minElements, taskElements } = threadTuning();
  if (total < minElements || rt.threads <= 1 || args.length > MAX_ARGS) {
    rt.call(handle, 'run', args);
    return;
  }
  const D = shape.length;
  let pick = -1, pickChunk = 0, pickTasks = 1;
  for (let d = 0; d < split.dims; d++) {
    const n = shape[d]!;
    const al = d === split.alignDim ? split.alignBy : 1;
    let chunk = Math.ceil((taskElements * n) / total);
    chunk = fitChunk(n, Math.max(al, Math.ceil(chunk / al) * al), al);
    const tasks = Math.ceil(n / chunk);
    if (tasks > pickTasks) {
      pick = d;
      pickChunk = chunk;
      pickTasks = tasks;
    }
    if (tasks >= 4) break;
  }
  if (pick < 0) {
    rt.call(handle, 'run', args);
    return;
  }
  const kinds: ArgKind[] = new Array<ArgKind>(args.length).fill(ARG.FIXED);
  const mults: number[] = new Array<number>(args.length).fill(0);
  kinds[pick] = ARG.COUNT;
  for (let k = 0; k < nAcc; k++) {
    const p = D + k * (1 + D);
    kinds[p] = ARG.OFFSET;
    mults[p] = args[p + 1 + pick]!;
  }
  rt.parallel({ kernel: handle, fn: 'run', args, kinds, mults, units: shape[pick]!, chunk: pickChunk });
}
