import { fillBytes, fillWords, wordOf } from './fill.js';
import type { ReduceOp } from '../backend.js';
import type { DType } from '../dtype.js';
import type { FunctionBuilder, Local, ModuleBuilder, ValType } from './builder.js';
import { bump, emitConvert, emitExpr, emitLoad, emitLoop, emitStore, isF, type EmitContext, type Mode } from './emit.js';
import { emitMath } from './math.js';
import { elemBytes, exprKey, innerClass, layout, type Expr, type InnerClass, type LeafExpr, type Plan } from './plan.js';
import type { WasmRuntime } from './runtime.js';
import { runBox } from './threads/split.js';

/*
 * The two kernel shapes every fused computation takes:
 *  - map: one output element per iteration point (elementwise chains, casts, strided
 *    copies), written through the output's strides;
 *  - reduce: kept dims outside, reduced dims inside ("row" order, SIMD along a
 *    contiguous reduced dim), or, when the reduced dim is strided but the kept one
 *    contiguous (a bias gradient: summing over the batch), "column" order that
 *    accumulates whole output rows with SIMD.
 * Iteration dims are coalesced first; loops over the outer dims run inside wasm with
 * one pointer per operand, so a kernel is one call however many dims it walks.
 */

/** An operand walked by the loops: the output (slot 0) or a leaf. */
interface Accessor {
  ptr: number;
  dtype: DType;
  strides: number[];
}

/** Sums accumulate in float32 SIMD lanes over runs this long, then in float64. */
const SUM_CHUNK = 1024;

const DT: Record<DType, string> = { float32: 'f', int32: 'i', bool: 'b', float64: 'd' };

interface Built {
  key: string;
  paramTypes: ValType[];
  args: number[];
}

/** Parameters shared by both kernel shapes: dim sizes, then per accessor ptr + strides, then constants. */
function params(plan: Plan, shape: readonly number[], acc: readonly Accessor[]): Built {
  const D = shape.length;
  const paramTypes: ValType[] = [];
  const args: number[] = [];
  for (let d = 0; d < D; d++) {
    paramTypes.push('i32');
    args.push(shape[d]!);
  }
  for (const a of acc) {
    paramTypes.push('i32');
    args.push(a.ptr);
    for (let d = 0; d < D; d++) {
      paramTypes.push('i32');
      args.push(a.strides[d]!);
    }
  }
  for (const c of plan.consts) {
    paramTypes.push(isF(c.dtype) ? 'f32' : 'i32');
    args.push(c.value);
  }
  return { key: '', paramTypes, args };
}

/** Locals of the built function, by role. */
interface Frame {
  f: FunctionBuilder;
  n: Local[];
  /** [accessor][0] = ptr, then strides per dim. */
  acc: { ptr: Local; strides: Local[] }[];
  consts: Local[];
}

function frame(f: FunctionBuilder, ps: Local[], D: number, nAcc: number, plan: Plan): Frame {
  let at = 0;
  const n = ps.slice(0, D);
  at = D;
  const acc: Frame['acc'] = [];
  for (let k = 0; k < nAcc; k++) {
    acc.push({ ptr: ps[at]!, strides: ps.slice(at + 1, at + 1 + D) });
    at += 1 + D;
  }
  // Constants splatted once, before any loop.
  const consts = plan.consts.map((c, i) => {
    const l = f.addLocal('v128');
    f.local.get(ps[at + i]!);
    if (isF(c.dtype)) f.f32x4.splat();
    else f.i32x4.splat();
    f.local.set(l);
    return l;
  });
  return { f, n, acc, consts };
}

/**
 * Nested loops over `dims` (outermost first). `cur[k]` is accessor k's pointer at the
 * current level; `inner` receives the pointers at the innermost level.
 */
function nest(fr: Frame, dims: readonly number[], who: readonly number[], cur: Local[], inner: (cur: Local[]) => void): void {
  const { f } = fr;
  if (dims.length === 0) {
    inner(cur);
    return;
  }
  const d = dims[0]!;
  const next = cur.map(() => f.addLocal('i32'));
  emitLoop(f, fr.n[d]!, () => {
    cur.forEach((c, k) => {
      f.local.get(c);
      f.local.set(next[k]!);
    });
    nest(fr, dims.slice(1), who, next, inner);
  }, () => cur.forEach((c, k) => bump(f, c, fr.acc[who[k]!]!.strides[d]!)));
}

/** Copies of pointer locals (so a loop can advance them without losing the start). */
function copies(f: FunctionBuilder, ls: readonly Local[]): Local[] {
  return ls.map((l) => {
    const c = f.addLocal('i32');
    f.local.get(l);
    f.local.set(c);
    return c;
  });
}

function context(fr: Frame, relaxed: boolean, ptrOf: (leaf: LeafExpr) => Local, hoisted: Map<LeafExpr, Local>): EmitContext {
  return {
    f: fr.f,
    relaxed,
    ptr: ptrOf,
    hoisted: (l) => hoisted.get(l) ?? null,
    constant: (slot) => fr.consts[slot]!,
  };
}

/** Loads every broadcast-along-the-inner-dim leaf once, before the inner loop. */
function hoist(f: FunctionBuilder, leaves: readonly LeafExpr[], classes: readonly string[], ptrOf: (l: LeafExpr) => Local): Map<LeafExpr, Local> {
  const h = new Map<LeafExpr, Local>();
  leaves.forEach((l, i) => {
    if (classes[i] !== 'bcast' || l.gather !== undefined) return;
    const v = f.addLocal('v128');
    emitLoad(f, l.dtype, ptrOf(l), 'lane');
    f.local.set(v);
    h.set(l, v);
  });
  return h;
}

function accessorsOf(plan: Plan, out: Accessor): Accessor[] {
  const acc = [out];
  for (const l of plan.leaves) acc.push({ ptr: l.ptr, dtype: l.dtype, strides: l.strides });
  return acc;
}

/** How each accessor from `from` on walks dim `d` (no closures on this path: see exprKey). */
function classesAt(acc: readonly Accessor[], d: number, from = 0): InnerClass[] {
  const out: InnerClass[] = [];
  for (let k = from; k < acc.length; k++) out.push(innerClass(acc[k]!.strides[d]!, acc[k]!.dtype));
  return out;
}

function noneStrided(classes: readonly InnerClass[], from = 0): boolean {
  for (let k = from; k < classes.length; k++) if (classes[k] === 'strided') return false;
  return true;
}

/** The dtypes of a plan's constants, as key letters. */
function constsKey(plan: Plan): string {
  let out = '';
  for (const c of plan.consts) out += DT[c.dtype];
  return out;
}

/** Sets `finite` to the lanes of `m` that are finite (m − m = 0) and pushes m there, 0 elsewhere (no inf − inf). */
function pushFiniteOrZero(f: FunctionBuilder, m: Local, finite: Local): void {
    f.local.get(m);
    f.local.get(m);
    f.f32x4.sub();
    f.f32x4.const(0);
    f.f32x4.eq();
    f.local.set(finite);
    f.local.get(m);
    f.f32x4.const(0);
    f.local.get(finite);
    f.v128.bitselect();
}

/**
 * Writes `root` evaluated over `plan.shape` to `out` (element strides over the same
 * dims; its dtype is the stored one).
 */
export function runMap(rt: WasmRuntime, plan: Plan, root: Expr, out: Accessor): void {
  const acc = accessorsOf(plan, { ...out, strides: [...out.strides] });
  let { shape } = layout(plan.shape, [plan.shape.length], acc);
  if (shape.length === 0) {
    shape = [1];
    for (const a of acc) a.strides = [0];
  }
  const D = shape.length;
  const classes = classesAt(acc, D - 1);
  // Gathered reads (a gather kernel's source) move by data: one element at a time.
  const gathered: LeafExpr[] = [];
  for (const l of plan.leaves) if (l.gather !== undefined) gathered.push(l);
  const simd = gathered.length === 0 && classes[0] === 'unit' && noneStrided(classes, 1);
  const b = params(plan, shape, acc);
  for (const l of gathered) {
    b.paramTypes.push('i32');
    b.args.push(l.gather! * elemBytes(l.dtype));
  }
  let gatherKey = '';
  for (const l of gathered) gatherKey += (gatherKey ? ',' : '|g') + l.slot;
  if (gatherKey) gatherKey += `@${plan.index!.slot}`;
  // The operand count is in the key too: a plan may carry an operand no expression leaf
  // names (a gather's index), and the compiled function's signature depends on it.
  const key = `map|${D}|${acc.length}|${simd ? 'v' : 's'}|${DT[out.dtype]}${classes[0]}|${constsKey(plan)}${gatherKey}|` +
    exprKey(root, classes);
  const build = (m: ModuleBuilder) => m.func('run', b.paramTypes, [], (f, ps) => {
    const fr = frame(f, ps, D, acc.length, plan);
    const who = acc.map((_, k) => k);
    const start = fr.acc.map((a) => a.ptr);
    const firstGather = D + acc.length * (1 + D) + plan.consts.length;
    nest(fr, range(0, D - 1), who, start, (cur) => {
      const ptrOf = (l: LeafExpr) => cur[l.slot]!;
      const hoisted = hoist(f, plan.leaves, classes.slice(1), ptrOf);
      const ctx: EmitContext = {
        ...context(fr, rt.relaxed, ptrOf, hoisted),
        gatherAddress: (l) => {
          f.local.get(ptrOf(l));
          f.local.get(ptrOf(plan.index!));
          f.i32.load();
          f.local.get(ps[firstGather + gathered.indexOf(l)]!);
          f.i32.mul();
          f.i32.add();
        },
      };
      const j = f.addLocal('i32');
      f.i32.const(0);
      f.local.set(j);
      const nIn = fr.n[D - 1]!;
      const tmp = () => f.addLocal('v128');
      const store = (mode: Mode) => {
        f.local.get(cur[0]!);
        emitExpr(ctx, root, mode, new Map());
        emitConvert(f, root.dtype, out.dtype);
        emitStore(f, out.dtype, mode, tmp);
      };
      if (simd) {
        // Unrolled: several vectors per pointer bump, addressed by load/store offsets.
        for (const unroll of opCount(root) <= 2 ? [8, 1] : opCount(root) <= 4 ? [4, 1] : [1]) {
          f.block((exit) => f.loop((top) => {
            f.local.get(j);
            f.i32.const(4 * unroll);
            f.i32.add();
            f.local.get(nIn);
            f.i32.gt_u();
            f.brIf(exit);
            for (let u = 0; u < unroll; u++) {
              const at = (dtype: DType) => u * 4 * elemBytes(dtype);
              const uctx: EmitContext = { ...ctx, offset: (l) => at(l.dtype) };
              f.local.get(cur[0]!);
              emitExpr(uctx, root, 'vector', new Map());
              emitConvert(f, root.dtype, out.dtype);
              emitStore(f, out.dtype, 'vector', tmp, at(out.dtype));
            }
            cur.forEach((c, k) => {
              if (classes[k] === 'unit') bump(f, c, 4 * unroll * elemBytes(acc[k]!.dtype));
            });
            bump(f, j, 4 * unroll);
            f.br(top);
          }));
        }
      }
      f.block((exit) => f.loop((top) => {
        f.local.get(j);
        f.local.get(nIn);
        f.i32.ge_u();
        f.brIf(exit);
        store('lane');
        cur.forEach((c, k) => {
          if (classes[k] !== 'bcast') bump(f, c, fr.acc[k]!.strides[D - 1]!);
        });
        bump(f, j, 1);
        f.br(top);
      }));
    });
  });
  const handle = rt.handle(key, build);
  // Any dim may be split; along the vectorised inner dim, by whole unrolled SIMD groups.
  runBox(rt, handle, b.args, shape, acc.length, {
    dims: D, alignDim: D - 1, alignBy: 32,
  });
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i < b; i++) out.push(i);
  return out;
}

/** Identity of a reduction in the value domain. */
function identity(op: ReduceOp, float: boolean): number {
  switch (op) {
    case 'sum': return 0;
    case 'max': case 'argmax': case 'logSumExp': return float ? -Infinity : -0x80000000;
    case 'min': case 'argmin': return float ? Infinity : 0x7fffffff;
  }
}

function splatConst(f: FunctionBuilder, v: number, float: boolean): void {
  if (float) f.f32x4.const(v);
  else f.i32x4.const(v);
}

/** acc = combine(acc, value on the stack) lane-wise. */
function combine(f: FunctionBuilder, op: 'sum' | 'max' | 'min', float: boolean): void {
  if (op === 'sum') {
    if (float) f.f32x4.add();
    else f.i32x4.add();
  } else if (op === 'max') {
    if (float) f.f32x4.max();
    else f.i32x4.max_s();
  } else if (float) f.f32x4.min();
  else f.i32x4.min_s();
}

/** Reduces the four lanes of a v128 local into lane 0 (all lanes, in fact). */
function horizontal(f: FunctionBuilder, v: Local, op: 'sum' | 'max' | 'min', float: boolean): void {
  // Swap neighbouring lanes, combine; swap halves, combine.
  const swaps = [[4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11], [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]];
  for (const s of swaps) {
    f.local.get(v);
    f.local.get(v);
    f.local.get(v);
    f.i8x16.shuffle(s);
    combine(f, op, float);
    f.local.set(v);
  }
}

export interface ReduceTarget {
  op: ReduceOp;
  /** The output buffer (contiguous over the kept dims). */
  ptr: number;
  outDtype: DType;
}

/**
 * Reduces `root` over the last `nReduced` dims of `plan.shape` (the kept dims first),
 * writing one element per kept position.
 */
export function runReduce(rt: WasmRuntime, plan: Plan, root: Expr, nReduced: number, target: ReduceTarget): void {
  const nKept = plan.shape.length - nReduced;
  const keptShape = plan.shape.slice(0, nKept);
  const outStrides: number[] = [];
  let s = 1;
  for (let d = nKept - 1; d >= 0; d--) {
    outStrides[d] = s;
    s *= keptShape[d]!;
  }
  const out: Accessor = { ptr: target.ptr, dtype: target.outDtype, strides: [...outStrides, ...new Array<number>(nReduced).fill(0)] };
  const acc = accessorsOf(plan, out);
  const lay = layout(plan.shape, [nKept, nReduced], acc);
  let shape = lay.shape;
  let [gk, gr] = lay.groups as [number, number];
  const full = fullChunks(rt, plan, target.op, shape, gk, gr, target.outDtype);
  if (full) {
    // One long reduced run and nothing kept: reduce it as [chunks, FULL_CHUNK] rows (a
    // kept dim the threads can split) into partials, then combine them in order below.
    const s0 = acc.map((a) => a.strides[0]!);
    acc[0] = { ptr: full.partials, dtype: target.outDtype, strides: [4, 0] };
    for (let k = 1; k < acc.length; k++) acc[k]!.strides = [s0[k]! * FULL_CHUNK, s0[k]!];
    shape = [full.chunks, FULL_CHUNK];
    gk = 1;
  }
  if (gr === 0) {
    // Nothing left to reduce over (every reduced dim has size 1): one element each.
    shape = [...shape, 1];
    for (const a of acc) a.strides = [...a.strides, 0];
    gr = 1;
  }
  const D = shape.length;
  const { op } = target;
  const rowClasses = classesAt(acc, D - 1, 1);
  const rowVector = noneStrided(rowClasses) && op !== 'argmax' && op !== 'argmin';
  const colClasses = gk > 0 ? classesAt(acc, gk - 1, 1) : [];
  // Lanes across outputs: the reduced dim is strided but the kept innermost dim is
  // contiguous (a reduction over the class dim of [N, C, H, W], a bias gradient summed
  // over the batch): each SIMD lane accumulates its own output, no horizontal step.
  const keptRun = gk > 0 && noneStrided(colClasses) ? shape[gk - 1]! : 0;
  // Column order: a long contiguous kept dim and a strided reduced one (a reduction over
  // the class dim of [N, C, H, W]): for each reduced index, fold a whole run of outputs
  // in memory with long SIMD loops (accumulators in the output, plus a scratch sum for
  // logSumExp). Lanes across outputs otherwise: each SIMD lane accumulates its own
  // output over the reduced dims (argmax/argmin, short kept runs, bias gradients).
  const cols = !rowVector && keptRun >= COLUMN_MIN_RUN && (op === 'sum' || op === 'max' || op === 'min' || op === 'logSumExp');
  const lanes = !rowVector && !cols && keptRun >= 4;
  let nOut = 1;
  for (const n of keptShape) nOut *= n;
  const scratch = cols && op === 'logSumExp' ? rt.heap.alloc(nOut * 4) : 0;
  if (scratch) acc.push({ ptr: scratch, dtype: 'float32', strides: [...acc[0]!.strides] });
  const b = params(plan, shape, acc);
  const variant = cols ? 'cols' : lanes ? 'lanes' : rowVector ? 'rowv' : 'rows';
  const classes = cols || lanes ? ['unit', ...colClasses] : ['unit', ...rowClasses];
  // The lanes kernel depends on both dims' classes (splat along one, bump along the other).
  const keyClasses: string[] = [''];
  for (let k = 0; k < rowClasses.length; k++) keyClasses.push(cols || lanes ? `${colClasses[k]}/${rowClasses[k]}` : rowClasses[k]!);
  const key = `reduce|${op}|${variant}|${gk}.${gr}|${acc.length}|${DT[target.outDtype]}|${constsKey(plan)}|` +
    exprKey(root, keyClasses);
  if (cols) {
    // Accumulate straight into the output (and the scratch sum): start at the identity.
    const id = identity(op, isF(root.dtype));
    if (target.outDtype === 'float32' || target.outDtype === 'int32') fillWords(rt, target.ptr, nOut, wordOf(target.outDtype, id));
    else fillBytes(rt, target.ptr, nOut, op === 'max' ? 0 : op === 'min' ? 1 : 0);
    if (scratch) fillWords(rt, scratch, nOut, 0);
  }
  const build = (m: ModuleBuilder) => m.func('run', b.paramTypes, [], (f, ps) => {
    const fr = frame(f, ps, D, acc.length, plan);
    const all = acc.map((_, k) => k);
    const start = fr.acc.map((a) => a.ptr);
    if (cols) emitCols(rt, fr, plan, root, op as 'sum' | 'max' | 'min' | 'logSumExp', target.outDtype, gk, D, classes, start, all);
    else if (lanes) emitLanes(rt, fr, plan, root, op, target.outDtype, gk, D, classes, rowClasses, start, all);
    else {
      nest(fr, range(0, gk), all, start, (cur) => {
        emitRow(rt, fr, plan, root, op, target.outDtype, gk, D, rowVector, rowClasses, cur);
      });
    }
  });
  const handle = rt.handle(key, build);
  // Only kept dims are split (each output is computed whole, by one thread); the kept
  // run of the column and lanes orders by whole groups of four outputs.
  runBox(rt, handle, b.args, shape, acc.length, {
    dims: gk, alignDim: gk - 1, alignBy: cols || lanes ? 4 : 1,
  });
  if (scratch) rt.heap.release(scratch);
  if (full) {
    try {
      if (full.tail > 0) {
        // The ragged last chunk: the same kernel over one row of `tail` elements.
        const args = b.args.slice();
        args[0] = 1;
        args[1] = full.tail;
        for (let k = 0; k < acc.length; k++) args[D + k * (1 + D)]! += full.chunks * acc[k]!.strides[0]!;
        rt.call(handle, 'run', args);
      }
      combinePartials(rt, target, full.partials, full.chunks + (full.tail > 0 ? 1 : 0));
    } finally {
      rt.heap.release(full.partials);
    }
  }
}

/**
 * Full reductions (nothing kept) of at least FULL_SPLIT_MIN elements are cut into
 * chunks of FULL_CHUNK — a function of the shape alone, never of the thread count —
 * reduced to one partial each (in parallel where threads are on) and combined in
 * chunk order on the calling thread: 1, 2 or 8 threads give the same bits.
 */
const FULL_CHUNK = 1 << 14;
const FULL_SPLIT_MIN = 1 << 16;

function fullChunks(
  rt: WasmRuntime, plan: Plan, rop: ReduceOp, shape: readonly number[], gk: number, gr: number, outDtype: DType,
): { chunks: number; tail: number; partials: number } | null {
  if (gk !== 0 || gr !== 1 || shape[0]! < FULL_SPLIT_MIN || plan.index !== null) return null;
  if (rop !== 'sum' && rop !== 'max' && rop !== 'min' && rop !== 'logSumExp') return null;
  if (outDtype !== 'float32' && outDtype !== 'int32') return null;
  const n = shape[0]!;
  const chunks = Math.floor(n / FULL_CHUNK);
  const tail = n - chunks * FULL_CHUNK;
  return { chunks, tail, partials: rt.heap.alloc((chunks + (tail > 0 ? 1 : 0)) * 4) };
}

/** Writes the reduction of `count` partials (float32 or int32 at `partials`), in order, to the target. */
function combinePartials(rt: WasmRuntime, target: ReduceTarget, partials: number, count: number): void {
  rt.sync();
  const int = target.outDtype === 'int32';
  const view = int ? rt.heap.i32 : rt.heap.f32;
  const at = partials >> 2;
  let r = view[at]!;
  switch (target.op) {
    case 'sum':
      // Float partials add in float64 (as the kernels' long runs do); int32 wraps as the kernels do.
      for (let i = 1; i < count; i++) r = int ? (r + view[at + i]!) | 0 : r + view[at + i]!;
      break;
    case 'max':
      for (let i = 1; i < count; i++) r = Math.max(r, view[at + i]!);
      break;
    case 'min':
      for (let i = 1; i < count; i++) r = Math.min(r, view[at + i]!);
      break;
    case 'logSumExp': {
      for (let i = 1; i < count; i++) r = Math.max(r, view[at + i]!);
      if (Number.isFinite(r)) {
        let sum = 0;
        for (let i = 0; i < count; i++) sum += Math.exp(view[at + i]! - r);
        r += Math.log(sum);
      }
      break;
    }
    default:
      throw new Error(`wasm backend: internal error, no partial combine for '${target.op}'`);
  }
  (int ? rt.heap.i32 : rt.heap.f32)[target.ptr >> 2] = r;
}

/**
 * Walks a run of `n` outputs along the kept dim: four at a time while four remain,
 * then one at a time. `step(mode)` handles one group; `bumps` advance each pointer
 * (`cur[k]`) by a group — four elements of `elem(k)` bytes, or the run's byte stride.
 */
function emitKeptRun(
  f: FunctionBuilder, fr: Frame, n: Local, cur: readonly Local[], classes: readonly string[],
  elem: (k: number) => number, gk: number, step: (mode: Mode) => void,
): void {
  const j = f.addLocal('i32');
  f.i32.const(0);
  f.local.set(j);
  for (const mode of ['vector', 'lane'] as const) {
    const w = mode === 'vector';
    f.block((exit) => f.loop((top) => {
      f.local.get(j);
      if (w) {
        f.i32.const(4);
        f.i32.add();
        f.local.get(n);
        f.i32.gt_u();
      } else {
        f.local.get(n);
        f.i32.ge_u();
      }
      f.brIf(exit);
      step(mode);
      cur.forEach((c, k) => {
        if (classes[k] === 'bcast') return;
        if (w) bump(f, c, 4 * elem(k));
        else bump(f, c, fr.acc[k]!.strides[gk - 1]!);
      });
      bump(f, j, w ? 4 : 1);
      f.br(top);
    }));
  }
}

/** Kept runs at least this long reduce in column order (below, lanes across outputs). */
const COLUMN_MIN_RUN = 64;

function emitCols(
  rt: WasmRuntime, fr: Frame, plan: Plan, root: Expr, op: 'sum' | 'max' | 'min' | 'logSumExp', outDtype: DType,
  gk: number, D: number, classes: readonly string[], start: Local[], all: number[],
): void {
  const { f } = fr;
  const float = isF(root.dtype);
  const dom: DType = float ? 'float32' : 'int32';
  const tmp = () => f.addLocal('v128');
  const nLeaves = plan.leaves.length;
  const scratchAt = nLeaves + 1;
  const elem = (k: number) => (k === 0 ? elemBytes(outDtype) : k <= nLeaves ? elemBytes(plan.leaves[k - 1]!.dtype) : 4);
  /** Loops over `dims`, then the kept run with SIMD; `body(mode, cur, hoisted)` handles 4 (or 1) outputs. */
  const phase = (dims: number[], body: (mode: Mode, cur: Local[], hoisted: Map<LeafExpr, Local>) => void) => {
    const ptrs = copies(f, start);
    nest(fr, dims, all, ptrs, (cur) => {
      // Operands broadcast along the kept run (a class index) are loaded once per run.
      const hoisted = hoist(f, plan.leaves, classes.slice(1), (l) => cur[l.slot]!);
      emitKeptRun(f, fr, fr.n[gk - 1]!, cur, classes, elem, gk, (mode) => body(mode, cur, hoisted));
    });
  };
  const ctxOf = (cur: Local[], hoisted: Map<LeafExpr, Local>): EmitContext => ({
    ...context(fr, rt.relaxed, (l) => cur[l.slot]!, hoisted),
    splat: (l) => classes[l.slot] === 'bcast',
  });
  const reducedDims = [...range(0, gk - 1), ...range(gk, D)];
  const rop = op === 'logSumExp' ? 'max' : op;
  // Fold every reduced element into the output run.
  phase(reducedDims, (mode, cur, hoisted) => {
    f.local.get(cur[0]!);
    emitLoad(f, outDtype, cur[0]!, mode);
    emitConvert(f, outDtype, dom);
    emitExpr(ctxOf(cur, hoisted), root, mode, new Map());
    emitConvert(f, root.dtype, dom);
    combine(f, rop, float);
    emitConvert(f, dom, outDtype);
    emitStore(f, outDtype, mode, tmp);
  });
  if (op !== 'logSumExp') return;
  /** Pushes the max where it is finite, 0 where it is ±Inf or NaN (no inf − inf). */
  const safeMax = (cur: Local[], mode: Mode, finite: Local) => {
    const m = f.addLocal('v128');
    emitLoad(f, 'float32', cur[0]!, mode);
    f.local.set(m);
    pushFiniteOrZero(f, m, finite);
    return m;
  };
  // Σ exp(x − max) into the scratch run.
  phase(reducedDims, (mode, cur, hoisted) => {
    const finite = f.addLocal('v128');
    const sm = f.addLocal('v128');
    safeMax(cur, mode, finite);
    f.local.set(sm);
    f.local.get(cur[scratchAt]!);
    emitLoad(f, 'float32', cur[scratchAt]!, mode);
    emitExpr(ctxOf(cur, hoisted), root, mode, new Map());
    f.local.get(sm);
    f.f32x4.sub();
    emitMath(f, 'exp', rt.relaxed);
    f.f32x4.add();
    emitStore(f, 'float32', mode, tmp);
  });
  // out = max + log Σ where the max is finite, else the max itself.
  phase(range(0, gk - 1), (mode, cur) => {
    const finite = f.addLocal('v128');
    const sm = f.addLocal('v128');
    const m = safeMax(cur, mode, finite);
    f.local.set(sm);
    f.local.get(cur[0]!);
    emitLoad(f, 'float32', cur[scratchAt]!, mode);
    emitMath(f, 'log', rt.relaxed);
    f.local.get(sm);
    f.f32x4.add();
    f.local.get(m);
    f.local.get(finite);
    f.v128.bitselect();
    emitStore(f, 'float32', mode, tmp);
  });
}

function emitLanes(
  rt: WasmRuntime, fr: Frame, plan: Plan, root: Expr, op: ReduceOp, outDtype: DType,
  gk: number, D: number, classes: readonly string[], rowClasses: readonly string[], start: Local[], all: number[],
): void {
  const { f } = fr;
  const float = isF(root.dtype);
  const dom: DType = float ? 'float32' : 'int32';
  const leaves = plan.leaves.map((_, i) => i + 1);
  const tmp = () => f.addLocal('v128');
  nest(fr, range(0, gk - 1), all, start, (cur) => {
    const nIn = fr.n[gk - 1]!;
    /** One group of outputs (4 in vector mode, 1 splatted in lane mode). */
    const group = (mode: Mode) => {
      const w = mode === 'vector';
      /** A pass over the reduced dims: `element(ctx)` folds one value per lane. */
      const pass = (element: (ctx: EmitContext) => void) => {
        const ptrs = copies(f, leaves.map((k) => cur[k]!));
        nest(fr, range(gk, D - 1), leaves, ptrs, (inner) => {
          const ptrOf = (l: LeafExpr) => inner[l.slot - 1]!;
          const ctx: EmitContext = { ...context(fr, rt.relaxed, ptrOf, new Map()), splat: (l) => classes[l.slot] === 'bcast' };
          emitLoop(f, fr.n[D - 1]!, () => element(ctx), () => inner.forEach((c, k) => {
            if (rowClasses[k] !== 'bcast') bump(f, c, fr.acc[k + 1]!.strides[D - 1]!);
          }));
        });
      };
      const value = (ctx: EmitContext) => {
        // Broadcast along the kept dim: one value for every lane.
        emitExpr(ctx, root, w ? 'vector' : 'lane', new Map());
        emitConvert(f, root.dtype, dom);
      };
      const res = f.addLocal('v128');
      if (op === 'argmax' || op === 'argmin') {
        const best = f.addLocal('v128');
        const at = f.addLocal('v128');
        const idx = f.addLocal('v128');
        const v = f.addLocal('v128');
        const better = f.addLocal('v128');
        splatConst(f, identity(op, float), float);
        f.local.set(best);
        f.i32x4.const(0);
        f.local.set(at);
        f.i32x4.const(0);
        f.local.set(idx);
        pass((ctx) => {
          value(ctx);
          f.local.set(v);
          emitBetter(f, op, float, 'vector', v, best);
          f.local.set(better);
          f.local.get(v);
          f.local.get(best);
          f.local.get(better);
          f.v128.bitselect();
          f.local.set(best);
          f.local.get(idx);
          f.local.get(at);
          f.local.get(better);
          f.v128.bitselect();
          f.local.set(at);
          f.local.get(idx);
          f.i32x4.const(1);
          f.i32x4.add();
          f.local.set(idx);
        });
        f.local.get(at);
        f.local.set(res);
        f.local.get(cur[0]!);
        f.local.get(res);
        emitStore(f, 'int32', mode, tmp);
        return;
      }
      /** Lane-wise reduction of `rop`; float sums in float64 pairs. */
      const reduceLanes = (rop: 'sum' | 'max' | 'min', val: (ctx: EmitContext) => void): Local => {
        const out = f.addLocal('v128');
        if (float && rop === 'sum') {
          const lo = f.addLocal('v128');
          const hi = f.addLocal('v128');
          const v = f.addLocal('v128');
          for (const l of [lo, hi]) {
            f.f64.const(0);
            f.f64x2.splat();
            f.local.set(l);
          }
          pass((ctx) => {
            val(ctx);
            f.local.set(v);
            f.local.get(lo);
            f.local.get(v);
            f.f64x2.promote_low_f32x4();
            f.f64x2.add();
            f.local.set(lo);
            f.local.get(hi);
            pushHigh64(f, v);
            f.f64x2.add();
            f.local.set(hi);
          });
          f.local.get(lo);
          f.f32x4.demote_f64x2_zero();
          f.local.get(hi);
          f.f32x4.demote_f64x2_zero();
          f.i8x16.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
          f.local.set(out);
          return out;
        }
        splatConst(f, identity(rop, float), float);
        f.local.set(out);
        pass((ctx) => {
          f.local.get(out);
          val(ctx);
          combine(f, rop, float);
          f.local.set(out);
        });
        return out;
      };
      if (op === 'logSumExp') {
        const m = reduceLanes('max', value);
        // Lanes whose max is ±Inf or NaN keep it (no inf − inf); the others add log Σ exp(x − m).
        const finite = f.addLocal('v128');
        const safeM = f.addLocal('v128');
        pushFiniteOrZero(f, m, finite);
        f.local.set(safeM);
        const sumExp = reduceLanes('sum', (ctx) => {
          value(ctx);
          f.local.get(safeM);
          f.f32x4.sub();
          emitMath(f, 'exp', rt.relaxed);
        });
        f.local.get(sumExp);
        emitMath(f, 'log', rt.relaxed);
        f.local.get(safeM);
        f.f32x4.add();
        f.local.get(m);
        f.local.get(finite);
        f.v128.bitselect();
        f.local.set(res);
      } else {
        const r = reduceLanes(op, value);
        f.local.get(r);
        f.local.set(res);
      }
      f.local.get(cur[0]!);
      f.local.get(res);
      emitConvert(f, dom, outDtype);
      emitStore(f, outDtype, mode, tmp);
    };
    const elem = (k: number) => elemBytes(k === 0 ? outDtype : plan.leaves[k - 1]!.dtype);
    emitKeptRun(f, fr, nIn, cur, classes, elem, gk, group);
  });
}

function emitRow(
  rt: WasmRuntime, fr: Frame, plan: Plan, root: Expr, op: ReduceOp, outDtype: DType,
  gk: number, D: number, vector: boolean, rowClasses: readonly string[], cur: Local[],
): void {
  const { f } = fr;
  const float = isF(root.dtype);
  const dom: DType = float ? 'float32' : 'int32';
  const leaves = plan.leaves.map((_, i) => i + 1);
  const outPtr = cur[0]!;
  const tmp = () => f.addLocal('v128');
  /** The reduced nest; `element(mode, ctx)` handles one vector / lane of values. */
  const pass = (
    begin: () => void,
    element: (mode: Mode, ctx: EmitContext, acc: number) => void,
    chunkEnd: (() => void) | null,
    unroll = 1,
  ) => {
    const ptrs = copies(f, leaves.map((k) => cur[k]!));
    nest(fr, range(gk, D - 1), leaves, ptrs, (inner) => {
      const ptrOf = (l: LeafExpr) => inner[l.slot - 1]!;
      const hoisted = hoist(f, plan.leaves, rowClasses, ptrOf);
      const ctx = context(fr, rt.relaxed, ptrOf, hoisted);
      const j = f.addLocal('i32');
      f.i32.const(0);
      f.local.set(j);
      const nIn = fr.n[D - 1]!;
      const advance = (vec: boolean) => inner.forEach((c, k) => {
        if (vec && rowClasses[k] === 'unit') bump(f, c, 4 * elemBytes(plan.leaves[k]!.dtype));
        else if (!vec && rowClasses[k] !== 'bcast') bump(f, c, fr.acc[k + 1]!.strides[D - 1]!);
      });
      if (vector) {
        // Chunks of SUM_CHUNK elements (sums fold each chunk into float64).
        const end = f.addLocal('i32');
        f.block((exitAll) => f.loop((chunk) => {
          f.local.get(j);
          f.i32.const(4);
          f.i32.add();
          f.local.get(nIn);
          f.i32.gt_u();
          f.brIf(exitAll);
          // end = j + min(SUM_CHUNK, (n − j) & ~3)
          f.local.get(nIn);
          f.local.get(j);
          f.i32.sub();
          f.i32.const(-4);
          f.i32.and();
          f.local.tee(end);
          f.i32.const(SUM_CHUNK);
          f.local.get(end);
          f.i32.const(SUM_CHUNK);
          f.i32.lt_u();
          f.select();
          f.local.get(j);
          f.i32.add();
          f.local.set(end);
          begin();
          if (unroll > 1) {
            // Independent accumulators: no loop-carried dependency on one register.
            f.block((exit) => f.loop((top) => {
              f.local.get(j);
              f.i32.const(4 * unroll);
              f.i32.add();
              f.local.get(end);
              f.i32.gt_u();
              f.brIf(exit);
              for (let u = 0; u < unroll; u++) {
                element('vector', { ...ctx, offset: (l) => u * 4 * elemBytes(l.dtype) }, u);
              }
              for (let u = 0; u < unroll; u++) advance(true);
              bump(f, j, 4 * unroll);
              f.br(top);
            }));
          }
          f.block((exit) => f.loop((top) => {
            f.local.get(j);
            f.local.get(end);
            f.i32.ge_u();
            f.brIf(exit);
            element('vector', ctx, 0);
            advance(true);
            bump(f, j, 4);
            f.br(top);
          }));
          chunkEnd?.();
          f.br(chunk);
        }));
      }
      f.block((exit) => f.loop((top) => {
        f.local.get(j);
        f.local.get(nIn);
        f.i32.ge_u();
        f.brIf(exit);
        element('lane', ctx, 0);
        advance(false);
        bump(f, j, 1);
        f.br(top);
      }));
    });
  };

  if (op === 'argmax' || op === 'argmin') {
    const best = f.addLocal(float ? 'f32' : 'i32');
    const at = f.addLocal('i32');
    const idx = f.addLocal('i32');
    const v = f.addLocal(float ? 'f32' : 'i32');
    if (float) f.f32.const(identity(op, true));
    else f.i32.const(identity(op, false));
    f.local.set(best);
    f.i32.const(0);
    f.local.set(at);
    f.i32.const(0);
    f.local.set(idx);
    pass(() => {}, (mode, ctx) => {
      emitExpr(ctx, root, mode, new Map());
      emitConvert(f, root.dtype, dom);
      if (float) f.f32x4.extract_lane(0);
      else f.i32x4.extract_lane(0);
      f.local.set(v);
      emitBetter(f, op, float, 'scalar', v, best);
      f.if(() => {
        f.local.get(v);
        f.local.set(best);
        f.local.get(idx);
        f.local.set(at);
      });
      bump(f, idx, 1);
    }, null);
    f.local.get(outPtr);
    f.local.get(at);
    f.i32.store();
    return;
  }

  const rop: 'sum' | 'max' | 'min' = op === 'logSumExp' ? 'max' : op;
  const floatSum = float && rop === 'sum';
  /**
   * A reduction pass of `rop` over `value`; returns a v128 local holding the result in
   * every lane. Float max/min use pmax/pmin (one instruction each, NaN-blind) and
   * track NaN separately, so the loop has no long per-element dependency chain.
   */
  const reducePass = (rop: 'sum' | 'max' | 'min', value: (mode: Mode, ctx: EmitContext) => void, fsum: boolean, unroll: number): Local => {
    const accs = Array.from({ length: unroll }, () => f.addLocal('v128'));
    const total = f.addLocal('v128'); // f64x2 for float sums, else lanes of the domain
    const tail = f.addLocal(fsum ? 'f64' : 'v128');
    const nanTrack = float && rop !== 'sum';
    const nan = nanTrack ? f.addLocal('v128') : null;
    const v = f.addLocal('v128');
    const id = identity(rop, float);
    if (fsum) {
      f.f64.const(0);
      f.f64x2.splat();
      f.local.set(total);
      f.f64.const(0);
      f.local.set(tail);
    } else {
      splatConst(f, id, float);
      f.local.set(total);
      splatConst(f, id, float);
      f.local.set(tail);
    }
    if (nan) {
      f.i32x4.const(0);
      f.local.set(nan);
    }
    /** acc = acc ⊕ value (value pushed by `push`). */
    const fold = (acc: Local, push: () => void) => {
      f.local.get(acc);
      push();
      if (nan) {
        f.local.tee(v);
        if (rop === 'max') f.f32x4.pmax();
        else f.f32x4.pmin();
        f.local.set(acc);
        f.local.get(nan);
        f.local.get(v);
        f.local.get(v);
        f.f32x4.ne();
        f.v128.or();
        f.local.set(nan);
      } else {
        combine(f, rop, float);
        f.local.set(acc);
      }
    };
    pass(() => {
      for (const a of accs) {
        splatConst(f, id, float);
        f.local.set(a);
      }
    }, (mode, ctx, u) => {
      if (mode === 'vector') fold(accs[u]!, () => value(mode, ctx));
      else if (fsum) {
        f.local.get(tail);
        value(mode, ctx);
        f.f32x4.extract_lane(0);
        f.f64.promote_f32();
        f.f64.add();
        f.local.set(tail);
      } else {
        fold(tail, () => {
          value(mode, ctx);
          if (rop === 'sum') {
            // A lane value is splatted: count it once, not in all four lanes.
            f.i32x4.const(-1, 0, 0, 0);
            f.v128.and();
          }
        });
      }
    }, () => {
      for (let u = 1; u < accs.length; u++) fold(accs[0]!, () => f.local.get(accs[u]!));
      const acc = accs[0]!;
      if (fsum) {
        // total += float64(acc lanes 0,1) + float64(acc lanes 2,3)
        f.local.get(total);
        f.local.get(acc);
        f.f64x2.promote_low_f32x4();
        f.f64x2.add();
        pushHigh64(f, acc);
        f.f64x2.add();
        f.local.set(total);
      } else fold(total, () => f.local.get(acc));
    }, unroll);
    const res = f.addLocal('v128');
    if (fsum) {
      f.local.get(total);
      f.f64x2.extract_lane(0);
      f.local.get(total);
      f.f64x2.extract_lane(1);
      f.f64.add();
      f.local.get(tail);
      f.f64.add();
      f.f32.demote_f64();
      f.f32x4.splat();
      f.local.set(res);
    } else {
      f.local.get(total);
      f.local.get(tail);
      combine(f, rop, float);
      f.local.set(res);
      horizontal(f, res, rop, float);
      if (nan) {
        f.local.get(nan);
        f.v128.any_true();
        f.if(() => {
          f.f32x4.const(NaN);
          f.local.set(res);
        });
      }
    }
    return res;
  };

  // Unroll over independent accumulators when the per-element work is small.
  const cheap = opCount(root) <= 2;
  const plain = (mode: Mode, ctx: EmitContext) => {
    emitExpr(ctx, root, mode, new Map());
    emitConvert(f, root.dtype, dom);
  };
  let res: Local;
  if (op !== 'logSumExp') {
    res = reducePass(rop, plain, floatSum, cheap ? 4 : 1);
  } else {
    const m = reducePass('max', plain, false, cheap ? 4 : 1);
    res = f.addLocal('v128');
    f.local.get(m);
    f.local.set(res);
    // Finite max: m + log Σ exp(x − m). ±Inf or NaN: the max itself (no inf − inf).
    f.local.get(m);
    f.f32x4.extract_lane(0);
    f.local.get(m);
    f.f32x4.extract_lane(0);
    f.f32.sub();
    f.f32.const(0);
    f.f32.eq();
    f.if(() => {
      const s = reducePass('sum', (mode, ctx) => {
        plain(mode, ctx);
        f.local.get(m);
        f.f32x4.sub();
        emitMath(f, 'exp', rt.relaxed);
      }, true, 1);
      f.local.get(s);
      emitMath(f, 'log', rt.relaxed);
      f.local.get(m);
      f.f32x4.add();
      f.local.set(res);
    });
  }
  f.local.get(outPtr);
  f.local.get(res);
  emitConvert(f, dom, outDtype);
  emitStore(f, outDtype, 'lane', tmp);
}

/**
 * Pushes whether `v` beats `best` for argmax/argmin — or is the first NaN, which then
 * stays (NaN compares false) — lane-wise (a mask) or for one scalar (an i32).
 */
function emitBetter(f: FunctionBuilder, op: 'argmax' | 'argmin', float: boolean, width: 'vector' | 'scalar', v: Local, best: Local): void {
  const vec = width === 'vector';
  const F = vec ? f.f32x4 : f.f32;
  f.local.get(v);
  f.local.get(best);
  if (!float) {
    if (op === 'argmax') (vec ? f.i32x4.gt_s : f.i32.gt_s)();
    else (vec ? f.i32x4.lt_s : f.i32.lt_s)();
    return;
  }
  if (op === 'argmax') F.gt();
  else F.lt();
  f.local.get(v);
  f.local.get(v);
  F.ne();
  f.local.get(best);
  f.local.get(best);
  F.eq();
  (vec ? f.v128.and : f.i32.and)();
  (vec ? f.v128.or : f.i32.or)();
}

/** Pushes lanes 2 and 3 of the f32x4 in `v` as an f64x2 (lanes 0 and 1: promote_low_f32x4). */
function pushHigh64(f: FunctionBuilder, v: Local): void {
  f.local.get(v);
  f.local.get(v);
  f.i8x16.shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
  f.f64x2.promote_low_f32x4();
}

/** Op nodes in an expression (shared ones once). */
function opCount(e: Expr, seen = new Set<Expr>()): number {
  if (e.kind !== 'op' || seen.has(e)) return 0;
  seen.add(e);
  return 1 + e.args.reduce((t, a) => t + opCount(a, seen), 0);
}

export type { Accessor };
