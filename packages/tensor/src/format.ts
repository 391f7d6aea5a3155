import type { DType, TypedArray } from './dtype.js';
import { checked } from './validate/checked.js';
import { ValueError } from './errors.js';
import { fail, isTensor, type Spec } from './validate/spec.js';

/*
 * PyTorch's tensor repr (torch/_tensor_str.py) rebuilt from its rules, for String(t),
 * t.toString() and Node's util.inspect / console.log:
 *
 *   tensor([[1., 2.],
 *           [3., 4.]], requiresGrad=true)
 *
 * - values in logical (row-major) order whatever the strides, read with dataSync();
 * - past 1000 elements only the first and last 3 entries of each dim are shown, the
 *   rest as `...`;
 * - floats: all integral → `1.` style; else 4 decimals (`0.5000`); scientific
 *   (`1.0000e-05`) when the largest / smallest non-zero finite magnitude exceeds 1000,
 *   the largest exceeds 1e8 or (non-integral) the smallest is below 1e-4; all entries
 *   right-aligned to one width; rows wrapped at 80 columns. Decimals are rounded
 *   half-to-even on the exact binary value, as Python's format() does;
 * - int32 as integers, bool as `true`/`false` (JS spelling, like `requiresGrad=true`);
 * - suffixes: `dtype=…` unless float32 or bool (PyTorch hides its defaults and bool),
 *   `size=[…]` for empty tensors other than [0], then `gradFn=<MulBackward>` for an
 *   op's output or `requiresGrad=true` for a leaf.
 */

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;
const PREFIX = 'tensor(';

/** The fields of a tensor the formatter reads (a structural type: no import cycle with tensor.ts). */
export interface Formattable {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly requiresGrad: boolean;
  readonly gradFn: { readonly op: string } | null;
  dataSync(): TypedArray;
}

// ---------- exact decimal rounding (Python's format() semantics) ----------

/** |x| = digits · 10^exp exactly, for a finite non-zero double. */
function exactDecimal(x: number): { digits: bigint; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const mant = expBits === 0 ? frac : frac | (1n << 52n);
  const e2 = (expBits === 0 ? 1 : expBits) - 1075;
  if (e2 >= 0) return { digits: mant << BigInt(e2), exp: 0 };
  // m / 2^k = m·5^k / 10^k
  return { digits: mant * 5n ** BigInt(-e2), exp: e2 };
}

/** round(digits · 10^shift) to an integer, ties to even. */
function roundScaled(digits: bigint, shift: number): bigint {
  if (shift >= 0) return digits * 10n ** BigInt(shift);
  const div = 10n ** BigInt(-shift);
  const q = digits / div;
  const r2 = (digits % div) * 2n;
  if (r2 > div || (r2 === div && q % 2n === 1n)) return q + 1n;
  return q;
}

function nonFinite(x: number): string | null {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return null;
}

function signOf(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

/** Python's `'{:.pf}'.format(x)`. */
export function formatFixed(x: number, p: number): string {
  const nf = nonFinite(x);
  if (nf) return nf;
  let r = 0n;
  if (x !== 0) {
    const { digits, exp } = exactDecimal(x);
    r = roundScaled(digits, exp + p);
  }
  const s = r.toString().padStart(p + 1, '0');
  const body = p === 0 ? s : `${s.slice(0, s.length - p)}.${s.slice(s.length - p)}`;
  return signOf(x) + body;
}

/** Python's `'{:.pe}'.format(x)`: d.ddd e±XX. */
export function formatScientific(x: number, p: number): string {
  const nf = nonFinite(x);
  if (nf) return nf;
  let mant: string;
  let e10 = 0;
  if (x === 0) mant = '0'.repeat(p + 1);
  else {
    const { digits, exp } = exactDecimal(x);
    const len = digits.toString().length;
    e10 = len - 1 + exp;
    let r = roundScaled(digits, p - len + 1);
    if (r.toString().length > p + 1) {
      r /= 10n;
      e10 += 1;
    }
    mant = r.toString();
  }
  const m = p === 0 ? mant : `${mant[0]}.${mant.slice(1)}`;
  const ae = Math.abs(e10);
  return `${signOf(x)}${m}e${e10 < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
}

// ---------- the element formatter (one width for the whole tensor) ----------

interface Formatter {
  width: number;
  format(v: number): string;
}

function makeFormatter(values: readonly number[], dtype: DType): Formatter {
  const pad = (s: string, w: number) => (s.length < w ? ' '.repeat(w - s.length) + s : s);
  if (dtype === 'bool' || dtype === 'int32') {
    const text = dtype === 'bool' ? (v: number) => (v !== 0 ? 'true' : 'false') : (v: number) => String(v);
    let width = 1;
    for (const v of values) width = Math.max(width, text(v).length);
    return { width, format: (v) => pad(text(v), width) };
  }
  let intMode = true;
  let sciMode = false;
  let width = 1;
  let minAbs = Infinity;
  let maxAbs = 0;
  const finite: number[] = [];
  for (const v of values) {
    if (Number.isFinite(v) && v !== 0) {
      finite.push(v);
      const a = Math.abs(v);
      if (a < minAbs) minAbs = a;
      if (a > maxAbs) maxAbs = a;
      if (v !== Math.ceil(v)) intMode = false;
    }
  }
  if (finite.length > 0) {
    if (intMode) {
      if (maxAbs / minAbs > 1000 || maxAbs > 1e8) {
        sciMode = true;
        for (const v of finite) width = Math.max(width, formatScientific(v, PRECISION).length);
      } else {
        for (const v of finite) width = Math.max(width, formatFixed(v, 0).length + 1);
      }
    } else if (maxAbs / minAbs > 1000 || maxAbs > 1e8 || minAbs < 1e-4) {
      sciMode = true;
      for (const v of finite) width = Math.max(width, formatScientific(v, PRECISION).length);
    } else {
      for (const v of finite) width = Math.max(width, formatFixed(v, PRECISION).length);
    }
  }
  const format = (v: number): string => {
    let s: string;
    if (sciMode) s = formatScientific(v, PRECISION);
    else if (intMode) s = formatFixed(v, 0) + (Number.isFinite(v) ? '.' : '');
    else s = formatFixed(v, PRECISION);
    return pad(s, width);
  };
  return { width, format };
}

// ---------- layout ----------

/** Positions shown along a dim of `n` entries. */
function shownIndices(n: number, summarize: boolean): { head: number[]; tail: number[] } {
  if (summarize && n > 2 * EDGE_ITEMS) {
    return {
      head: Array.from({ length: EDGE_ITEMS }, (_, i) => i),
      tail: Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i),
    };
  }
  return { head: Array.from({ length: n }, (_, i) => i), tail: [] };
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** The values a summarised print shows (PyTorch builds its formatter from these only). */
function shownValues(data: TypedArray, shape: readonly number[], summarize: boolean): number[] {
  if (shape.length === 0) return [data[0]!];
  const strides = stridesOf(shape);
  const out: number[] = [];
  const visit = (dim: number, off: number) => {
    const { head, tail } = shownIndices(shape[dim]!, summarize);
    for (const i of [...head, ...tail]) {
      if (dim === shape.length - 1) out.push(data[off + i]!);
      else visit(dim + 1, off + i * strides[dim]!);
    }
  };
  visit(0, 0);
  return out;
}

function render(data: TypedArray, shape: readonly number[], summarize: boolean, fmt: Formatter): string {
  const strides = stridesOf(shape);
  const nd = shape.length;
  const visit = (dim: number, off: number, indent: number): string => {
    const { head, tail } = shownIndices(shape[dim]!, summarize);
    if (dim === nd - 1) {
      const items = head.map((i) => fmt.format(data[off + i]!));
      if (tail.length) items.push(' ...', ...tail.map((i) => fmt.format(data[off + i]!)));
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (fmt.width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
      return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
    }
    const parts = head.map((i) => visit(dim + 1, off + i * strides[dim]!, indent + 1));
    if (tail.length) parts.push('...', ...tail.map((i) => visit(dim + 1, off + i * strides[dim]!, indent + 1)));
    return `[${parts.join(`,${'\n'.repeat(nd - dim - 1)}${' '.repeat(indent + 1)}`)}]`;
  };
  return visit(0, 0, PREFIX.length);
}

function addSuffixes(body: string, suffixes: readonly string[]): string {
  const parts = [body];
  let lastLineLen = body.length - body.lastIndexOf('\n') + 1;
  for (const s of suffixes) {
    if (lastLineLen + s.length + 2 > LINE_WIDTH) {
      parts.push(`,\n${' '.repeat(PREFIX.length)}${s}`);
      lastLineLen = PREFIX.length + s.length;
    } else {
      parts.push(`, ${s}`);
      lastLineLen += s.length + 2;
    }
  }
  parts.push(')');
  return parts.join('');
}

function gradFnName(op: string): string {
  return `${op[0]!.toUpperCase()}${op.slice(1)}Backward`;
}

const DTYPES: readonly unknown[] = ['float32', 'float64', 'int32', 'bool'];

/** A Tensor, or an object with its fields (see Formattable): a shape of non-negative integers, a dtype name, dataSync. */
function formattable(): Spec {
  const expected = 'a Tensor (or an object with shape, dtype, requiresGrad, gradFn and dataSync)';
  return {
    expected,
    check: (v) => {
      if (isTensor(v)) return null;
      if (v === null || typeof v !== 'object') return fail(ValueError, expected, v);
      const t = v as Partial<Record<keyof Formattable, unknown>>;
      const shapeOk = Array.isArray(t.shape) && t.shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0);
      const gradFnOk = t.gradFn === null || t.gradFn === undefined || (typeof t.gradFn === 'object' && typeof (t.gradFn as { op?: unknown }).op === 'string');
      return shapeOk && DTYPES.includes(t.dtype) && typeof t.dataSync === 'function' && gradFnOk ? null : fail(ValueError, expected, v);
    },
  };
}

/** @internal formatTensor without the argument check (Tensor.toString calls it with `this`). */
export function formatTensorImpl(t: Formattable): string {
  const shape = t.shape;
  let numel = 1;
  for (const d of shape) numel *= d;
  const suffixes: string[] = [];
  let body: string;
  if (numel === 0) {
    if (shape.length !== 1) suffixes.push(`size=[${shape.join(', ')}]`);
    if (t.dtype !== 'float32') suffixes.push(`dtype=${t.dtype}`);
    body = '[]';
  } else {
    if (t.dtype !== 'float32' && t.dtype !== 'bool') suffixes.push(`dtype=${t.dtype}`);
    let data: TypedArray;
    try {
      data = t.dataSync();
    } catch (e) {
      // console.log of a disposed tensor must not throw from inside the logger.
      return addSuffixes(`${PREFIX}<${(e as Error).message}>`, [`size=[${shape.join(', ')}]`, ...suffixes]);
    }
    const summarize = numel > THRESHOLD;
    const fmt = makeFormatter(shownValues(data, shape, summarize), t.dtype);
    body = shape.length === 0 ? fmt.format(data[0]!) : render(data, shape, summarize, fmt);
  }
  if (t.gradFn) suffixes.push(`gradFn=<${gradFnName(t.gradFn.op)}>`);
  else if (t.requiresGrad) suffixes.push('requiresGrad=true');
  return addSuffixes(PREFIX + body, suffixes);
}

/**
 * PyTorch's repr of a tensor (see the notes at the top of this file): what `String(t)`,
 * `t.toString()` and `console.log` in Node show.
 * @throws ValueError if `t` is neither a Tensor nor an object with a Tensor's fields.
 */
export const formatTensor: (t: Formattable) => string = checked('formatTensor', [['tensor', formattable()]], formatTensorImpl);
