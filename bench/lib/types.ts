/**
 * The shapes every benchmark file agrees on. A *library* is a way of writing the
 * workload (tsgrad, tfjs, jax-js, a plain loop); a *column* is a library on one
 * backend (tfjs on cpu and on wasm share one implementation). That split is what
 * lets a `tsgrad-gpu` column reuse the tsgrad implementations unchanged.
 */

/** The implementation families a workload can provide. */
export type LibraryId = 'tsgrad' | 'tfjs' | 'jax' | 'plain';

/** Host copies of a workload's results, used for the cross-library correctness check. */
export type Outputs = readonly ArrayLike<number>[];

/**
 * One prepared workload for one column: inputs already live in the library's own
 * memory, so `run` times only the work.
 */
export interface Impl {
  /**
   * One timed iteration. With `readback` it must return host arrays of every result
   * (for lazy libraries this is also what forces the computation); without, it must
   * still leave every result computed (jax-js awaits `blockUntilReady`) and may
   * return nothing.
   */
  run(readback: boolean): Outputs | undefined | Promise<Outputs | undefined>;
  /** Frees library memory (tfjs tensors, jax-js arrays); throws on a detected leak. */
  dispose?(): void;
}

/** Builds an `Impl` on the column's (already active) backend. */
export type ImplFactory = () => Impl | Promise<Impl>;

export interface Workload {
  /** Stable key used in results/latest.json and by `--only`, e.g. `matmul/512-nt`. */
  id: string;
  /** Row label in the table. */
  title: string;
  group: string;
  /** Floating point operations per iteration, when GFLOP/s is meaningful. */
  flops?: number;
  /** Tolerance of the correctness check: max |a − ref| / max |ref| per output (default 1e-3). */
  rtol?: number;
  /**
   * How many first iterations the correctness check compares (default 1). Stateful
   * workloads (a training step) use 2, so the second loss checks the first update.
   */
  checkRuns?: number;
  /** Implementations by library; a missing one prints "n/a". */
  impls: Partial<Record<LibraryId, ImplFactory>>;
  /** Why a library has no implementation (shown in the notes), keyed by library. */
  naReason?: Partial<Record<LibraryId, string>>;
}

export interface Column {
  /** Column key, e.g. `tfjs-wasm`. */
  id: string;
  library: LibraryId;
  /** Human description of the backend actually in use (filled in by `activate`). */
  describe(): string;
  /** One-time initialisation; returns false (with a reason) when unavailable. */
  init(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Makes this column's backend current before its implementations are built and run. */
  activate(): Promise<void>;
}
