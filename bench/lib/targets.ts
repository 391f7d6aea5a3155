/**
 * The performance targets tsgrad is held to (DESIGN.md, principle 9), evaluated on
 * the baseline column of a run.
 */
import { gflops, medianOf, ratio, type RowResult, type TargetResult } from './results';

interface TargetSpec {
  name: string;
  workloads: readonly string[];
  evaluate(row: RowResult, baseline: string): Omit<TargetResult, 'target' | 'workload'>;
}

function verdict(value: number | null, goal: number, higherIsBetter: boolean) {
  if (value === null) return { pass: null, speedupNeeded: null };
  const pass = higherIsBetter ? value >= goal : value <= goal;
  const speedupNeeded = pass ? 1 : higherIsBetter ? goal / value : value / goal;
  return { pass, speedupNeeded };
}

const withinOfPlain = (limit: number) => (row: RowResult, baseline: string) => {
  const t = medianOf(row, baseline);
  const p = medianOf(row, 'plain');
  const value = t === null || p === null ? null : t / p;
  return { metric: `${baseline}/plain`, value, goal: `≤ ${limit}×`, ...verdict(value, limit, false) };
};

const fasterThan = (column: string, factor: number) => (row: RowResult, baseline: string) => {
  const value = ratio(row, column, baseline);
  return { metric: `${column}/${baseline}`, value, goal: `≥ ${factor}×`, ...verdict(value, factor, true) };
};

const atLeastGflops = (goal: number) => (row: RowResult, baseline: string) => {
  const value = gflops(row, baseline);
  return { metric: 'GFLOP/s', value, goal: `≥ ${goal}`, ...verdict(value, goal, true) };
};

export const TARGETS: readonly TargetSpec[] = [
  {
    name: 'elementwise & reductions within 1.25× of hand-written loops',
    workloads: [
      'elementwise/add', 'elementwise/mul', 'elementwise/exp', 'elementwise/sigmoid', 'elementwise/broadcast-add',
      'reduce/sum', 'reduce/max', 'reduce/logsumexp',
    ],
    evaluate: withinOfPlain(1.25),
  },
  { name: 'MLP train step ≥ 3× faster than tfjs-cpu', workloads: ['mlp/train-step'], evaluate: fasterThan('tfjs-cpu', 3) },
  {
    name: 'softmax-CE fwd+bwd ≥ 5× faster than tfjs-cpu',
    workloads: ['cross-entropy/fwd-bwd'],
    evaluate: fasterThan('tfjs-cpu', 5),
  },
  {
    name: 'matmul ≥ 2 GFLOP/s in all three layouts',
    workloads: ['matmul/512-nn', 'matmul/512-tn', 'matmul/512-nt'],
    evaluate: atLeastGflops(2),
  },
];

/** Targets for the workloads present in `rows` (a filtered run checks only its own). */
export function evaluateTargets(rows: readonly RowResult[], baseline: string): TargetResult[] {
  const out: TargetResult[] = [];
  for (const t of TARGETS) {
    for (const id of t.workloads) {
      const row = rows.find((r) => r.id === id);
      if (!row) continue;
      out.push({ target: t.name, workload: id, ...t.evaluate(row, baseline) });
    }
  }
  return out;
}
