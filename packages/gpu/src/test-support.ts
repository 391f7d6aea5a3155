/*
 * Helpers for the gpu parity tests: run the same computation on the CPU reference
 * and on the gpu backend, compare with float32 tolerances, and pin the mode.
 */
import { expect } from 'vitest';
import { getBackend, setBackend, tensor, type Tensor } from '@tsgrad/tensor';
import { mulberry32 } from '@tsgrad/testing';
import { gpu } from './index.js';
import type { GpuMode } from './modes.js';
import { env } from './node-builtins.js';

/** Runs fn with `name` as the active backend. */
export function withBackend<T>(name: string, fn: () => T): T {
  const before = getBackend().name;
  setBackend(name);
  try {
    return fn();
  } finally {
    setBackend(before);
  }
}

/**
 * Selects the gpu backend with every op on the gpu (no small-size CPU dispatch) and
 * returns the mode that runs — the one TSGRAD_GPU_MODE asked for, when set.
 */
export function useGpu(): GpuMode {
  gpu.minElements = 0;
  setBackend('gpu');
  const mode = gpu.mode;
  const asked = env('TSGRAD_GPU_MODE');
  if (asked && asked !== 'auto') expect(mode).toBe(asked);
  return mode;
}

export interface ValueSpec {
  lo?: number;
  hi?: number;
  /** Fraction of entries replaced by 0, ±Inf, NaN, ±1 (default 0). */
  special?: number;
  /** Round to integers (exercises ties in max/argmax and comparisons). */
  integers?: boolean;
}

const SPECIALS = [0, -0, 1, -1, Infinity, -Infinity, NaN];

export function values(n: number, seed: number, spec: ValueSpec = {}): Float32Array {
  const r = mulberry32(seed);
  const lo = spec.lo ?? -3;
  const hi = spec.hi ?? 3;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = lo + (hi - lo) * r();
    if (spec.integers) v = Math.round(v);
    if (spec.special && r() < spec.special) v = SPECIALS[Math.floor(r() * SPECIALS.length)]!;
    out[i] = v;
  }
  return out;
}

/** The same data as a CPU tensor and a gpu tensor (leaves; optionally requiring grad). */
export function pair(shape: readonly number[], data: Float32Array, requiresGrad = false): { cpu: Tensor; gpu: Tensor } {
  const make = () => {
    const t = tensor(data.slice()).reshape([...shape]).detach();
    return requiresGrad ? t.requiresGrad_() : t;
  };
  return { cpu: withBackend('cpu', make), gpu: withBackend('gpu', make) };
}

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** float32 elementwise: a few ulps (GL transcendental functions are not correctly rounded). */
export const ELEMENTWISE: Tolerance = { rtol: 2e-6, atol: 1e-6 };
/** Reductions of ~1000 terms accumulate rounding in float32. */
export const REDUCTION: Tolerance = { rtol: 1e-4, atol: 1e-5 };

function fmt(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

/** Asserts a gpu result matches the CPU reference: shape, dtype, NaN/Inf placement and values. */
export function expectClose(got: Tensor, want: Tensor, tol: Tolerance = ELEMENTWISE, label = ''): void {
  expect(got.shape, `${label} shape`).toEqual(want.shape);
  expect(got.dtype, `${label} dtype`).toBe(want.dtype);
  const g = got.dataSync();
  const w = want.dataSync();
  const rtol = tol.rtol ?? 2e-6;
  const atol = tol.atol ?? 1e-6;
  for (let i = 0; i < w.length; i++) {
    const a = g[i]!;
    const b = w[i]!;
    if (Number.isNaN(b) || Number.isNaN(a)) {
      if (!(Number.isNaN(a) && Number.isNaN(b))) throw new Error(`${label} element ${i}: gpu ${fmt(a)} vs cpu ${fmt(b)}`);
      continue;
    }
    if (!Number.isFinite(b) || !Number.isFinite(a)) {
      if (a !== b) throw new Error(`${label} element ${i}: gpu ${fmt(a)} vs cpu ${fmt(b)}`);
      continue;
    }
    if (Math.abs(a - b) > atol + rtol * Math.abs(b)) {
      throw new Error(`${label} element ${i}: gpu ${fmt(a)} vs cpu ${fmt(b)} (|diff| ${Math.abs(a - b)} > ${atol} + ${rtol}·|cpu|)`);
    }
  }
}
