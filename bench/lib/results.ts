/** What one run measured, in the form written to results/*.json. */
import type { Stats } from './timing.js';

export type CellStatus = 'ok' | 'n/a' | 'error' | 'skipped';

export interface CellCheck {
  /** The column this one was compared against. */
  against: string;
  /** max |out − ref| / max |ref|, over every output of the first iteration(s). */
  maxRelErr: number;
  ok: boolean;
}

export interface CellResult {
  status: CellStatus;
  stats?: Stats;
  /** n/a reason, skip reason or error message. */
  note?: string;
  check?: CellCheck;
}

export interface RowResult {
  id: string;
  title: string;
  group: string;
  flops?: number;
  cells: Record<string, CellResult>;
}

export interface ColumnInfo {
  id: string;
  available: boolean;
  description: string;
}

export interface RunMeta {
  date: string;
  command: string;
  mode: 'full' | 'quick';
  readback: boolean;
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  loadAverageStart: number[];
  loadAverageEnd: number[];
  versions: Record<string, string>;
  timing: Record<string, number>;
  durationS: number;
}

export interface TargetResult {
  target: string;
  workload: string;
  /** The tsgrad column the target is evaluated on, e.g. "tsgrad-wasm". */
  column: string;
  /** e.g. "tsgrad-cpu/plain", "jax-js/tsgrad-wasm", "GFLOP/s" */
  metric: string;
  value: number | null;
  goal: string;
  pass: boolean | null;
  /** How much faster the target's tsgrad column must get to meet the goal (1 = met). */
  speedupNeeded: number | null;
}

export interface BenchResults {
  meta: RunMeta;
  baseline: string;
  columns: ColumnInfo[];
  rows: RowResult[];
  targets: TargetResult[];
}

export function medianOf(row: RowResult, column: string): number | null {
  const c = row.cells[column];
  return c && c.status === 'ok' && c.stats ? c.stats.median : null;
}

/** Peer time ÷ baseline time: above 1 means the baseline (tsgrad) is faster. */
export function ratio(row: RowResult, column: string, baseline: string): number | null {
  const a = medianOf(row, column);
  const b = medianOf(row, baseline);
  return a === null || b === null || b === 0 ? null : a / b;
}

export function gflops(row: RowResult, column: string): number | null {
  const ms = medianOf(row, column);
  return row.flops === undefined || ms === null ? null : row.flops / (ms * 1e6);
}
