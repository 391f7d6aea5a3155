import { DTypeError, IndexError, ShapeError, TsgradError, ValueError, fmtShape } from '../errors.js';
import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';

/*
 * Argument specs: small declarative checks, one per argument, run by `checked` (or
 * `validateArgs`) before a public function does anything. A spec returns null for a
 * valid value and a Failure (error class + the "expected …, got …" text) otherwise, so
 * the valid path allocates nothing. The runner adds "fn: argument 'name' ", hence every
 * message names the function the user called, the argument, the expectation and the value.
 *
 * This module must not import tensor.ts (tensor.ts → ops → validate would then form a
 * cycle in which op modules run their top-level `checked(...)` before this module has
 * been evaluated). tensor.ts registers the Tensor class instead.
 */

export type ErrorClass = new (message: string) => TsgradError;

export interface Failure {
  readonly error: ErrorClass;
  /** The clause after "fn: argument 'x' ", e.g. "expected an integer, got 1.5". */
  readonly text: string;
  /** The argument to name instead of the spec's own (an option inside an options object). */
  readonly arg?: string;
}

/**
 * One argument's check. `args` holds every argument of the call, so a spec may depend
 * on another one (a dim is checked against the tensor argument's ndim).
 */
export interface Spec {
  /** What the spec accepts, for messages ("an integer in [0, 5]"). */
  readonly expected: string;
  check(value: unknown, args: readonly unknown[]): Failure | null;
}

let TensorClass: (abstract new (...a: never[]) => Tensor) | null = null;

/** @internal tensor.ts registers its class here (see the note at the top of this file). */
export function registerTensorClass(cls: abstract new (...a: never[]) => Tensor): void {
  TensorClass = cls;
}

/** True for a tsgrad Tensor. */
export function isTensor(v: unknown): v is Tensor {
  return TensorClass !== null && v instanceof TensorClass;
}

/** A short description of any value for error messages: `number 1.5`, `a float32 Tensor of shape [2]`, … */
export function describeValue(v: unknown): string {
  if (isTensor(v)) return `a ${v.dtype} Tensor of shape ${fmtShape(v.shape)}`;
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) {
    const shown = v.length <= 8 && v.every((x) => typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string');
    return shown ? `an array [${v.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(', ')}]` : `an array of length ${v.length}`;
  }
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  switch (typeof v) {
    case 'string':
      return `'${v}'`;
    case 'number':
    case 'boolean':
      return String(v);
    case 'bigint':
      return `bigint ${String(v)}`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      return `an object of class ${(v as object).constructor?.name ?? 'null-prototype'}`;
  }
}

export function fail(error: ErrorClass, expected: string, value: unknown): Failure {
  return { error, text: `expected ${expected}, got ${describeValue(value)}` };
}

/** Throws the failure as "fn: argument 'arg' …". */
export function raise(fn: string, arg: string, f: Failure): never {
  throw new f.error(`${fn}: argument '${f.arg ?? arg}' ${f.text}`);
}

/** Checks one value against a spec, throwing a message that names `fn` and `arg`. */
export function checkArg(fn: string, arg: string, spec: Spec, value: unknown, args: readonly unknown[] = [value]): void {
  const f = spec.check(value, args);
  if (f) raise(fn, arg, f);
}

// ---------------------------------------------------------------- combinators

/** Any value accepted: for arguments checked in the body (documented there). */
export function any(expected = 'any value'): Spec {
  return { expected, check: () => null };
}

/** `undefined` allowed, otherwise `spec`. */
export function optional(spec: Spec): Spec {
  return {
    expected: spec.expected,
    check: (v, args) => (v === undefined ? null : spec.check(v, args)),
  };
}

/** `undefined` and `null` allowed, otherwise `spec`. */
export function nullable(spec: Spec): Spec {
  return {
    expected: `${spec.expected} or null`,
    check: (v, args) => (v === undefined || v === null ? null : spec.check(v, args)),
  };
}

/** The first spec that accepts the value wins; otherwise the first spec's error class, listing every alternative. */
export function oneOf(...specs: Spec[]): Spec {
  const expected = specs.map((s) => s.expected).join(' or ');
  return {
    expected,
    check: (v, args) => {
      let first: Failure | null = null;
      for (const s of specs) {
        const f = s.check(v, args);
        if (!f) return null;
        first ??= f;
      }
      return fail(first!.error, expected, v);
    },
  };
}

export interface NumberRange {
  min?: number;
  max?: number;
  /** Exclusive lower bound. */
  above?: number;
}

function rangeText(r: NumberRange): string {
  if (r.above !== undefined) return r.max !== undefined ? ` in (${r.above}, ${r.max}]` : ` > ${r.above}`;
  if (r.min !== undefined && r.max !== undefined) return ` in [${r.min}, ${r.max}]`;
  if (r.min !== undefined) return r.min === 0 ? ' >= 0' : ` >= ${r.min}`;
  if (r.max !== undefined) return ` <= ${r.max}`;
  return '';
}

function inRange(v: number, r: NumberRange): boolean {
  return (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max) && (r.above === undefined || v > r.above);
}

/** A finite JS number (optionally within a range). */
export function finite(range: NumberRange = {}): Spec {
  const expected = `a finite number${rangeText(range)}`;
  return {
    expected,
    check: (v) => (typeof v === 'number' && Number.isFinite(v) && inRange(v, range) ? null : fail(ValueError, expected, v)),
  };
}

/** Any JS number, NaN and ±Infinity included (a fill value, a clamp bound). */
export function number(): Spec {
  return { expected: 'a number', check: (v) => (typeof v === 'number' ? null : fail(ValueError, 'a number', v)) };
}

/** A safe integer (optionally within a range). */
export function int(range: NumberRange = {}): Spec {
  const expected = `an integer${rangeText(range)}`;
  return {
    expected,
    check: (v) => (typeof v === 'number' && Number.isSafeInteger(v) && inRange(v, range) ? null : fail(ValueError, expected, v)),
  };
}

export function bool(): Spec {
  return { expected: 'a boolean', check: (v) => (typeof v === 'boolean' ? null : fail(ValueError, 'a boolean', v)) };
}

/** One of a fixed set of strings (or other primitives). */
export function literal(...values: readonly (string | number | boolean)[]): Spec {
  const expected = `one of ${values.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(', ')}`;
  return { expected, check: (v) => ((values as readonly unknown[]).includes(v) ? null : fail(ValueError, expected, v)) };
}

export function fn(): Spec {
  return { expected: 'a function', check: (v) => (typeof v === 'function' ? null : fail(ValueError, 'a function', v)) };
}

const DTYPE_NAMES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** A dtype name (any of the four, or only those listed). */
export function dtype(...allowed: DType[]): Spec {
  const list = allowed.length ? allowed : DTYPE_NAMES;
  const expected = `one of ${list.join(', ')}`;
  return { expected, check: (v) => ((list as readonly unknown[]).includes(v) ? null : fail(DTypeError, expected, v)) };
}

/** A Tensor, optionally of one of the listed dtypes. */
export function tensor(...dtypes: DType[]): Spec {
  const expected = dtypes.length ? `a ${dtypes.join(' or ')} Tensor` : 'a Tensor';
  return {
    expected,
    check: (v) => {
      if (!isTensor(v)) return fail(DTypeError, expected, v);
      if (dtypes.length && !dtypes.includes(v.dtype)) return fail(DTypeError, expected, v);
      return null;
    },
  };
}

/** A floating point Tensor (float32 or float64). */
export function floatTensor(): Spec {
  return tensor('float32', 'float64');
}

/** A Tensor or a JS number (a weak scalar operand). */
export function operand(): Spec {
  const expected = 'a Tensor or a number';
  return { expected, check: (v) => (typeof v === 'number' || isTensor(v) ? null : fail(DTypeError, expected, v)) };
}

/** A non-empty array of Tensors (cat, stack). */
export function tensorList(): Spec {
  const expected = 'a non-empty array of Tensors';
  return {
    expected,
    check: (v) => {
      if (!Array.isArray(v)) return fail(DTypeError, expected, v);
      if (v.length === 0) return fail(ValueError, expected, v);
      for (let i = 0; i < v.length; i++) {
        if (!isTensor(v[i])) return { error: DTypeError, text: `expected a Tensor at index ${i}, got ${describeValue(v[i])}` };
      }
      return null;
    },
  };
}

/**
 * The most elements one tensor may have: 2³¹ − 1. Every backend indexes with 32-bit
 * integers (and the WebAssembly heap is 32-bit), so larger tensors are a ValueError
 * up front instead of a RangeError from deep inside an allocation.
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** A ValueError failure when `shape` holds more than MAX_ELEMENTS elements, else null. */
export function sizeFailure(shape: readonly number[]): Failure | null {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  if (n <= MAX_ELEMENTS) return null;
  return {
    error: ValueError,
    text: `${fmtShape(shape)} has ${n} elements, more than the limit of ${MAX_ELEMENTS} (2**31 - 1) elements per tensor`,
  };
}

/** Throws a ValueError naming `fn`, the shape and the limit when a tensor of `shape` cannot be allocated. */
export function checkSize(fn: string, shape: readonly number[], what = 'result shape'): void {
  const f = sizeFailure(shape);
  if (f) throw new f.error(`${fn}: ${what} ${f.text}`);
}

/** An array of safe integers ≥ `min` (a ShapeError otherwise), then `more` on it. */
function intArray(expected: string, min: number, more: (v: number[]) => Failure | null = () => null): Spec {
  return {
    expected,
    check: (v) => {
      if (!Array.isArray(v)) return fail(ShapeError, expected, v);
      for (let i = 0; i < v.length; i++) {
        const d: unknown = v[i];
        if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < min) return fail(ShapeError, expected, v);
      }
      return more(v as number[]);
    },
  };
}

/** A shape to allocate: an array of non-negative integers whose product fits MAX_ELEMENTS. */
export function shape(): Spec {
  return intArray('an array of non-negative integers', 0, sizeFailure);
}

/** A target shape that may contain -1 (reshape, expand): an array of integers >= -1. */
export function shapeWithInfer(): Spec {
  return intArray('an array of integers >= -1', -1);
}

function ndimOf(args: readonly unknown[], of: number): number {
  const t = args[of];
  return isTensor(t) ? t.ndim : 0;
}

function dimFailure(v: unknown, n: number): Failure | null {
  const lo = n === 0 ? -1 : -n;
  const hi = n === 0 ? 0 : n - 1;
  if (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi) return null;
  return { error: IndexError, text: `expected an integer in [${lo}, ${hi}] for a ${n}-d tensor, got ${describeValue(v)}` };
}

/**
 * A dim of the tensor at argument index `of` (default 0), negative dims counting from
 * the end; `extra` widens the range (unsqueeze and stack insert a dim: extra = 1).
 * A 0-d tensor accepts -1 and 0, as in PyTorch.
 */
export function dim(of = 0, extra = 0): Spec {
  return { expected: 'a dim', check: (v, args) => dimFailure(v, ndimOf(args, of) + extra) };
}

/** undefined/null (all dims), one dim, or an array of distinct dims of the tensor at `of`. */
export function dims(of = 0): Spec {
  return {
    expected: 'a dim, an array of distinct dims, or undefined',
    check: (v, args) => {
      if (v === undefined || v === null) return null;
      const n = ndimOf(args, of);
      if (!Array.isArray(v)) return dimFailure(v, n);
      const seen: number[] = [];
      for (let i = 0; i < v.length; i++) {
        const f = dimFailure(v[i], n);
        if (f) return f;
        const d = (v[i] as number) < 0 ? (v[i] as number) + Math.max(n, 1) : (v[i] as number);
        if (seen.includes(d)) return { error: IndexError, text: `lists dim ${d} twice: ${describeValue(v)}` };
        seen.push(d);
      }
      return null;
    },
  };
}

/**
 * An options object: undefined, or a plain object whose keys are all known and whose
 * values pass their specs (an unknown key — a typo — is a ValueError, never ignored).
 */
export function options(known: Readonly<Record<string, Spec>>): Spec {
  const keys = Object.keys(known);
  const expected = `an options object with keys ${keys.map((k) => `'${k}'`).join(', ')}`;
  return {
    expected,
    check: (v, args) => {
      if (v === undefined) return null;
      if (v === null || typeof v !== 'object' || Array.isArray(v) || isTensor(v)) return fail(ValueError, expected, v);
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        const spec = known[k];
        if (!spec || !Object.prototype.hasOwnProperty.call(known, k)) {
          return { error: ValueError, text: `has unknown option '${k}', expected one of ${keys.map((x) => `'${x}'`).join(', ')}` };
        }
        const value = (v as Record<string, unknown>)[k];
        // An option set to undefined is an option left out (as TypeScript's `?:` reads it).
        if (value === undefined) continue;
        const f = spec.check(value, args);
        if (f) return { error: f.error, text: f.text, arg: k };
      }
      return null;
    },
  };
}

/** An array of integers (each within `range`), e.g. permute's dims or split's sizes. */
export function intList(range: NumberRange = {}): Spec {
  const expected = `an array of integers${rangeText(range)}`;
  return {
    expected,
    check: (v) => {
      if (!Array.isArray(v)) return fail(ValueError, expected, v);
      for (let i = 0; i < v.length; i++) {
        const d: unknown = v[i];
        if (typeof d !== 'number' || !Number.isSafeInteger(d) || !inRange(d, range)) return fail(ValueError, expected, v);
      }
      return null;
    },
  };
}
