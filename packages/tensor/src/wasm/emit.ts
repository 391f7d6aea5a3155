import type { BinaryOp, UnaryOp } from '../backend.js';
import type { DType } from '../dtype.js';
import type { FunctionBuilder, Label, Local } from './builder.js';
import { emitMath, emitPow, type MathOp } from './math.js';
import type { Expr, LeafExpr, OpExpr } from './plan.js';

/*
 * Emits the SIMD code of one expression element-group: four lanes at a time ('vector'
 * mode, contiguous operands) or one element splatted over the lanes ('lane' mode:
 * ragged tails, strided operands) — the same arithmetic either way, so a tail
 * element is computed exactly like its neighbours. Values are f32x4 (float32) or
 * i32x4 (int32, and bool as 0/1).
 */

export type Mode = 'vector' | 'lane';

/** Where an emitter finds operands: a leaf's current address, hoisted values, constants. */
export interface EmitContext {
  f: FunctionBuilder;
  relaxed: boolean;
  /** The local holding a leaf's current byte address. */
  ptr(leaf: LeafExpr): Local;
  /** A leaf whose value does not change along the inner loop, loaded once (or null). */
  hoisted(leaf: LeafExpr): Local | null;
  /** The splatted value of a constant. */
  constant(slot: number): Local;
  /** Bytes added to a contiguous leaf's address (unrolled loops read several vectors per pointer). */
  offset?(leaf: LeafExpr): number;
  /** Leaves read as one value for every lane even in vector mode (broadcast along the vectorised dim). */
  splat?(leaf: LeafExpr): boolean;
  /** Pushes a gathered leaf's address (its pointer plus index value × gather stride). */
  gatherAddress?(leaf: LeafExpr): void;
}

const FLOAT_MATH: ReadonlySet<string> = new Set(['exp', 'expm1', 'log', 'log1p', 'tanh', 'sigmoid', 'sin', 'cos']);
/** Unary ops whose result is floating point for any input. */
const FLOAT_ONLY: ReadonlySet<UnaryOp> = new Set([
  'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'reciprocal',
]);
const COMPARE: ReadonlySet<BinaryOp> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

/** Whether values of `dtype` are held as f32x4 (else i32x4). */
export const isF = (d: DType): boolean => d === 'float32';

/** Pushes the value of a leaf in `mode`. */
export function emitLoad(f: FunctionBuilder, dtype: DType, addr: Local | (() => void), mode: Mode, offset = 0): void {
  if (typeof addr === 'function') addr();
  else f.local.get(addr);
  if (dtype === 'bool') {
    if (mode === 'vector') {
      f.v128.load32_zero(offset, 0);
      f.i16x8.extend_low_i8x16_u();
      f.i32x4.extend_low_i16x8_u();
    } else {
      f.i32.load8_u();
      f.i32x4.splat();
    }
  } else if (mode === 'vector') {
    f.v128.load(offset, 2);
  } else {
    f.v128.load32_splat();
  }
}

/** Stores the value on the stack (above `addr`, pushed first) in `mode`. */
export function emitStore(f: FunctionBuilder, dtype: DType, mode: Mode, tmp: () => Local, offset = 0): void {
  if (dtype === 'bool') {
    const t = tmp();
    f.local.tee(t);
    f.local.get(t);
    f.i16x8.narrow_i32x4_u();
    f.local.tee(t);
    f.local.get(t);
    f.i8x16.narrow_i16x8_u();
    if (mode === 'vector') f.v128.store32_lane(0, offset);
    else {
      f.i8x16.extract_lane_u(0);
      f.i32.store8();
    }
  } else if (mode === 'vector') {
    f.v128.store(offset, 2);
  } else if (dtype === 'float32') {
    f.f32x4.extract_lane(0);
    f.f32.store();
  } else {
    f.i32x4.extract_lane(0);
    f.i32.store();
  }
}

/** Converts the value on the stack from `from` to `to`. */
export function emitConvert(f: FunctionBuilder, from: DType, to: DType): void {
  if (from === to) return;
  if (to === 'bool') {
    // Any non-zero value (NaN included) is true.
    if (isF(from)) {
      f.f32x4.const(0);
      f.f32x4.ne();
    } else {
      f.i32x4.const(0);
      f.i32x4.ne();
    }
    f.i32x4.const(1);
    f.v128.and();
    return;
  }
  if (isF(from) && !isF(to)) f.i32x4.trunc_sat_f32x4_s();
  else if (!isF(from) && isF(to)) f.f32x4.convert_i32x4_s();
}

/** Emits the value of `e`; `memo` holds this site's already-computed shared expressions. */
export function emitExpr(ctx: EmitContext, e: Expr, mode: Mode, memo: Map<Expr, Local>): void {
  const { f } = ctx;
  if (e.kind === 'const') {
    f.local.get(ctx.constant(e.slot));
    return;
  }
  if (e.kind === 'leaf') {
    const h = ctx.hoisted(e);
    if (h) f.local.get(h);
    else if (e.gather !== undefined) {
      // A gathered read: its address moves by the index value along the gathered dim
      // (a gather stride of 0 — a source of extent 1 — is still one: its plan has the index).
      emitLoad(f, e.dtype, () => ctx.gatherAddress!(e), 'lane');
    } else {
      const m = mode === 'vector' && ctx.splat?.(e) ? 'lane' : mode;
      emitLoad(f, e.dtype, ctx.ptr(e), m, m === 'vector' ? ctx.offset?.(e) ?? 0 : 0);
    }
    return;
  }
  const m = memo.get(e);
  if (m) {
    f.local.get(m);
    return;
  }
  emitOp(ctx, e, mode, memo);
  if (e.uses > 1) {
    const l = f.addLocal('v128');
    f.local.tee(l);
    memo.set(e, l);
  }
}

/** Pushes `arg` converted to `to`. */
function operand(ctx: EmitContext, arg: Expr, to: DType, mode: Mode, memo: Map<Expr, Local>): void {
  emitExpr(ctx, arg, mode, memo);
  emitConvert(ctx.f, arg.dtype, to);
}

function splatF(f: FunctionBuilder, v: number): void {
  f.f32x4.const(v);
}

function emitOp(ctx: EmitContext, e: OpExpr, mode: Mode, memo: Map<Expr, Local>): void {
  const { f } = ctx;
  const w = e.what;
  if (w.kind === 'where') {
    const [c, a, b] = e.args as [Expr, Expr, Expr];
    operand(ctx, a, e.dtype, mode, memo);
    operand(ctx, b, e.dtype, mode, memo);
    // bool 0/1 → all-ones/all-zero lane mask.
    operand(ctx, c, 'bool', mode, memo);
    f.i32x4.neg();
    f.v128.bitselect();
    return;
  }
  if (w.kind === 'scatter') throw new Error('wasm backend: internal error, scatter nodes are not recorded');
  if (w.kind === 'unary') {
    const x = e.args[0]!;
    if (w.op === 'copy') {
      operand(ctx, x, e.dtype, mode, memo);
      return;
    }
    // The domain the op computes in: float for float-only ops, else the output's.
    const dom: DType = FLOAT_ONLY.has(w.op) ? 'float32' : e.dtype === 'bool' ? 'int32' : e.dtype;
    operand(ctx, x, dom, mode, memo);
    if (isF(dom)) unaryF(ctx, w.op, mode);
    else unaryI(f, w.op);
    emitConvert(f, dom, e.dtype === 'bool' ? 'bool' : dom);
    return;
  }
  const [a, b] = e.args as [Expr, Expr];
  if (COMPARE.has(w.op)) {
    const dom: DType = isF(a.dtype) || isF(b.dtype) ? 'float32' : 'int32';
    operand(ctx, a, dom, mode, memo);
    operand(ctx, b, dom, mode, memo);
    compare(f, w.op, dom);
    f.i32x4.const(1);
    f.v128.and();
    return;
  }
  const dom: DType = e.dtype === 'bool' ? 'int32' : e.dtype;
  operand(ctx, a, dom, mode, memo);
  operand(ctx, b, dom, mode, memo);
  if (isF(dom)) binaryF(ctx, w.op);
  else binaryI(f, w.op);
}

function unaryF(ctx: EmitContext, op: UnaryOp, _mode: Mode): void {
  const { f } = ctx;
  if (FLOAT_MATH.has(op)) {
    emitMath(f, op as MathOp, ctx.relaxed);
    return;
  }
  switch (op) {
    case 'neg': f.f32x4.neg(); return;
    case 'abs': f.f32x4.abs(); return;
    case 'sqrt': f.f32x4.sqrt(); return;
    case 'rsqrt': {
      const t = f.addLocal('v128');
      f.local.set(t);
      splatF(f, 1);
      f.local.get(t);
      f.f32x4.sqrt();
      f.f32x4.div();
      return;
    }
    case 'reciprocal': {
      const t = f.addLocal('v128');
      f.local.set(t);
      splatF(f, 1);
      f.local.get(t);
      f.f32x4.div();
      return;
    }
    case 'square': {
      const t = f.addLocal('v128');
      f.local.tee(t);
      f.local.get(t);
      f.f32x4.mul();
      return;
    }
    // max(NaN, 0) is NaN and max(−0, +0) is +0, as the reference's relu.
    case 'relu': splatF(f, 0); f.f32x4.max(); return;
    case 'sign': {
      // ±1 where x > 0 / x < 0; x itself otherwise (±0 and NaN keep their value).
      const x = f.addLocal('v128');
      const gt = f.addLocal('v128');
      const lt = f.addLocal('v128');
      f.local.tee(x);
      splatF(f, 0);
      f.f32x4.gt();
      f.local.set(gt);
      f.local.get(x);
      splatF(f, 0);
      f.f32x4.lt();
      f.local.set(lt);
      splatF(f, 1);
      f.local.get(gt);
      f.v128.and();
      splatF(f, -1);
      f.local.get(lt);
      f.v128.and();
      f.v128.or();
      f.local.get(x);
      f.local.get(gt);
      f.local.get(lt);
      f.v128.or();
      f.v128.bitselect();
      return;
    }
    default:
      throw new Error(`wasm backend: internal error, no float kernel for ${op}`);
  }
}

function unaryI(f: FunctionBuilder, op: UnaryOp): void {
  switch (op) {
    case 'neg': f.i32x4.neg(); return;
    case 'abs': f.i32x4.abs(); return;
    case 'relu': f.i32x4.const(0); f.i32x4.max_s(); return;
    case 'square': {
      const t = f.addLocal('v128');
      f.local.tee(t);
      f.local.get(t);
      f.i32x4.mul();
      return;
    }
    case 'sign': {
      // (x > 0) & 1 | (x < 0 ? −1 : 0)
      const x = f.addLocal('v128');
      f.local.tee(x);
      f.i32x4.const(0);
      f.i32x4.gt_s();
      f.i32x4.const(1);
      f.v128.and();
      f.local.get(x);
      f.i32x4.const(0);
      f.i32x4.lt_s();
      f.v128.or();
      return;
    }
    default:
      throw new Error(`wasm backend: internal error, no int kernel for ${op}`);
  }
}

function binaryF(ctx: EmitContext, op: BinaryOp): void {
  const { f } = ctx;
  switch (op) {
    case 'add': f.f32x4.add(); return;
    case 'sub': f.f32x4.sub(); return;
    case 'mul': f.f32x4.mul(); return;
    case 'div': f.f32x4.div(); return;
    case 'pow': emitPow(f, ctx.relaxed); return;
    case 'maximum':
    case 'minimum': {
      // a wins where a > b (a < b) or a is NaN, else b: NaN propagates from either side
      // and ties (±0) resolve exactly as the reference backend does.
      const a = f.addLocal('v128');
      const b = f.addLocal('v128');
      f.local.set(b);
      f.local.set(a);
      f.local.get(a);
      f.local.get(b);
      f.local.get(a);
      f.local.get(b);
      if (op === 'maximum') f.f32x4.gt();
      else f.f32x4.lt();
      f.local.get(a);
      f.local.get(a);
      f.f32x4.ne();
      f.v128.or();
      f.v128.bitselect();
      return;
    }
    default:
      throw new Error(`wasm backend: internal error, no float kernel for ${op}`);
  }
}

function binaryI(f: FunctionBuilder, op: BinaryOp): void {
  switch (op) {
    case 'add': f.i32x4.add(); return;
    case 'sub': f.i32x4.sub(); return;
    case 'mul': f.i32x4.mul(); return;
    case 'maximum': f.i32x4.max_s(); return;
    case 'minimum': f.i32x4.min_s(); return;
    default:
      throw new Error(`wasm backend: internal error, no int kernel for ${op}`);
  }
}

function compare(f: FunctionBuilder, op: BinaryOp, dom: DType): void {
  if (isF(dom)) {
    switch (op) {
      case 'eq': f.f32x4.eq(); return;
      case 'ne': f.f32x4.ne(); return;
      case 'lt': f.f32x4.lt(); return;
      case 'le': f.f32x4.le(); return;
      case 'gt': f.f32x4.gt(); return;
      case 'ge': f.f32x4.ge(); return;
    }
  } else {
    switch (op) {
      case 'eq': f.i32x4.eq(); return;
      case 'ne': f.i32x4.ne(); return;
      case 'lt': f.i32x4.lt_s(); return;
      case 'le': f.i32x4.le_s(); return;
      case 'gt': f.i32x4.gt_s(); return;
      case 'ge': f.i32x4.ge_s(); return;
    }
  }
  throw new Error(`wasm backend: internal error, ${op} is not a comparison`);
}

/** Which (op, dtypes) the expression emitter implements: the backend's `supports`. */
export function canEmit(kind: 'unary' | 'binary' | 'where', op: string, inDtypes: readonly DType[], outDtype: DType): boolean {
  const all = [...inDtypes, outDtype];
  if (all.some((d) => d === 'float64')) return false;
  if (kind === 'where') return true;
  if (kind === 'unary') {
    if (op === 'copy') return true;
    if (FLOAT_ONLY.has(op as UnaryOp)) return outDtype === 'float32';
    return true;
  }
  if (COMPARE.has(op as BinaryOp)) return true;
  if (op === 'div' || op === 'pow') return outDtype === 'float32';
  return true;
}

/**
 * A counted loop: `for (i = 0; i < n; i++) body()`, with `advance` run at the end of
 * every iteration (pointer increments).
 */
export function emitLoop(f: FunctionBuilder, n: Local, body: (exit: Label) => void, advance: () => void): void {
  const i = f.addLocal('i32');
  f.i32.const(0);
  f.local.set(i);
  f.block((exit) => {
    f.loop((top) => {
      f.local.get(i);
      f.local.get(n);
      f.i32.ge_u();
      f.brIf(exit);
      body(exit);
      advance();
      f.local.get(i);
      f.i32.const(1);
      f.i32.add();
      f.local.set(i);
      f.br(top);
    });
  });
}

/** `p += step` for an i32 local and an i32 local or constant step. */
export function bump(f: FunctionBuilder, p: Local, step: Local | number): void {
  f.local.get(p);
  if (typeof step === 'number') f.i32.const(step);
  else f.local.get(step);
  f.i32.add();
  f.local.set(p);
}
