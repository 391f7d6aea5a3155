/**
 * The performance targets tsgrad is held to (DESIGN.md, principle 9). Each target
 * names the tsgrad column it is evaluated on: the JS-backend targets on `tsgrad-cpu`,
 * the WebAssembly-backend targets on `tsgrad-wasm`. Goals are stated as issued; a
 * miss is reported with the speed-up still needed, never hidden by a looser goal.
 */
import { gflops, medianOf, ratio, type RowResult, type TargetResult } from './results.js';

type Evaluation = Omit<TargetResult, 'target' | 'workload' | 'column'>;

interface TargetSpec {
  name: string;
  /** The tsgrad column whose timings the target is about. */
  column: string;
  /**
   * The workload ids it applies to, or a predicate over the rows of a run (for
   * "every row where the peer has a cell" targets, which must follow the workload list).
   */
  workloads: readonly string[] | ((row: RowResult) => boolean);
  evaluate(row: RowResult, column: string): Evaluation;
}

function verdict(value: number | null, goal: number, higherIsBetter: boolean) {
  if (value === null) return { pass: null, speedupNeeded: null };
  const pass = higherIsBetter ? value >= goal : value <= goal;
  const speedupNeeded = pass ? 1 : higherIsBetter ? goal / value : value / goal;
  return { pass, speedupNeeded };
}

const withinOfPlain = (limit: number) => (row: RowResult, column: string): Evaluation => {
  const t = medianOf(row, column);
  const p = medianOf(row, 'plain');
  const value = t === null || p === null ? null : t / p;
  return { metric: `${column}/plain`, value, goal: `≤ ${limit}×`, ...verdict(value, limit, false) };
};

/** Peer time ÷ this column's time ≥ factor, i.e. this column takes ≤ 1/factor of the peer's time. */
const fasterThan = (peer: string, factor: number) => (row: RowResult, column: string): Evaluation => {
  const value = ratio(row, peer, column);
  return { metric: `${peer}/${column}`, value, goal: `≥ ${factor}×`, ...verdict(value, factor, true) };
};

const atLeastGflops = (goal: number) => (row: RowResult, column: string): Evaluation => {
  const value = gflops(row, column);
  return { metric: 'GFLOP/s', value, goal: `≥ ${goal}`, ...verdict(value, goal, true) };
};

/**
 * Rows where `peer` has a cell: it was run and has an implementation. A peer that
 * errored or whose column was unavailable still counts (the target shows "not
 * measured"), so a broken comparison is visible rather than silently dropped.
 */
const peerHasCell = (peer: string) => (row: RowResult): boolean => {
  const c = row.cells[peer];
  return c !== undefined && c.status !== 'n/a';
};

const MATMUL_512 = ['matmul/512-nn', 'matmul/512-tn', 'matmul/512-nt'] as const;

export const TARGETS: readonly TargetSpec[] = [
  // JS reference backend.
  {
    name: 'cpu: elementwise & reductions within 1.25× of hand-written loops',
    column: 'tsgrad-cpu',
    workloads: [
      'elementwise/add', 'elementwise/mul', 'elementwise/exp', 'elementwise/sigmoid', 'elementwise/broadcast-add',
      'reduce/sum', 'reduce/max', 'reduce/logsumexp',
    ],
    evaluate: withinOfPlain(1.25),
  },
  {
    name: 'cpu: MLP train step ≥ 3× faster than tfjs-cpu',
    column: 'tsgrad-cpu',
    workloads: ['mlp/train-step'],
    evaluate: fasterThan('tfjs-cpu', 3),
  },
  {
    name: 'cpu: softmax-CE fwd+bwd ≥ 5× faster than tfjs-cpu',
    column: 'tsgrad-cpu',
    workloads: ['cross-entropy/fwd-bwd'],
    evaluate: fasterThan('tfjs-cpu', 5),
  },
  {
    name: 'cpu: matmul ≥ 2 GFLOP/s in all three layouts',
    column: 'tsgrad-cpu',
    workloads: MATMUL_512,
    evaluate: atLeastGflops(2),
  },
  // WebAssembly backend.
  {
    name: 'wasm: faster than tfjs-wasm on every row',
    column: 'tsgrad-wasm',
    workloads: peerHasCell('tfjs-wasm'),
    evaluate: fasterThan('tfjs-wasm', 1),
  },
  {
    name: 'wasm: faster than jax-js on every row',
    column: 'tsgrad-wasm',
    workloads: peerHasCell('jax-js'),
    evaluate: fasterThan('jax-js', 1),
  },
  {
    name: 'wasm: matmul ≥ 30 GFLOP/s in all three layouts',
    column: 'tsgrad-wasm',
    workloads: MATMUL_512,
    evaluate: atLeastGflops(30),
  },
  {
    // ≤ 0.8× jax-js' time ⇔ jax-js ÷ tsgrad-wasm ≥ 1/0.8 = 1.25.
    name: "wasm: MLP train step in ≤ 0.8× jax-js' time",
    column: 'tsgrad-wasm',
    workloads: ['mlp/train-step'],
    evaluate: fasterThan('jax-js', 1.25),
  },
  {
    // ≤ 0.5× jax-js' time ⇔ jax-js ÷ tsgrad-wasm ≥ 2.
    name: "wasm: softmax focal & Dual Focal fwd+bwd [512,1000] in ≤ 0.5× jax-js' time",
    column: 'tsgrad-wasm',
    workloads: ['nn-losses/softmax-focal-2d', 'nn-losses/dual-focal-2d'],
    evaluate: fasterThan('jax-js', 2),
  },
];

/**
 * Targets for the workloads present in `rows` (a filtered run checks only its own),
 * skipping targets whose tsgrad column was not part of the run (`--columns`).
 */
export function evaluateTargets(rows: readonly RowResult[], columns: readonly string[]): TargetResult[] {
  const out: TargetResult[] = [];
  for (const t of TARGETS) {
    if (!columns.includes(t.column)) continue;
    const selected = typeof t.workloads === 'function'
      ? rows.filter(t.workloads)
      : t.workloads.flatMap((id) => rows.filter((r) => r.id === id));
    for (const row of selected) {
      out.push({ target: t.name, workload: row.id, column: t.column, ...t.evaluate(row, t.column) });
    }
  }
  return out;
}
