import type { DType } from '../dtype.js';
import { opName, type ElementwiseOp, type LazyNode, type Source } from '../fusion/graph.js';
import { coalesce, contiguousStrides, numelOf } from '../shape.js';
import { pinShape } from '../memory/pin.js';

/*
 * A fused kernel's expression: what one output element (or one reduced element) is
 * computed from. Recorded elementwise ops are inlined by composing their operands'
 * strides with the consumer's view of them, so one kernel reads each buffer once and
 * keeps every intermediate in registers. Shared sub-expressions are computed once
 * per element. The kernel's key is the expression's structure plus each operand's
 * dtype and layout class (contiguous, broadcast or strided inner dim) — never its
 * sizes, addresses or constant values, which are the compiled function's arguments.
 */

let nextBufferId = 1;

/** A block of the WebAssembly heap holding `size` elements of `dtype`. */
export class WasmBuffer {
  readonly id = nextBufferId++;
  /** Read by a recorded op: released by the garbage collector, not by dispose(). */
  captured = false;
  /** The smallest `captureEpoch()` at which a recorded op read this block (Infinity: none). */
  capturedAt = Infinity;
  /**
   * With threads: the thread pool's job count (WasmRuntime.mark) once every kernel that
   * writes this block had been queued — a host read waits only for those (syncTo);
   * null: not known, a host read waits for every queued kernel.
   */
  ready: number | null = null;
  /** What the FinalizationRegistry holds (never the buffer itself): the block and whether it is still held. */
  readonly cell: { ptr: number; live: boolean };
  constructor(
    readonly ptr: number,
    readonly dtype: DType,
    readonly size: number,
  ) {
    this.cell = { ptr, live: true };
  }
}

export type Node = LazyNode<WasmBuffer>;

export interface LeafExpr {
  kind: 'leaf';
  /** Index among the kernel's memory operands (the output is operand 0). */
  slot: number;
  dtype: DType;
  /** Byte address of element 0 of the access. */
  ptr: number;
  /** Element strides over the iteration dims (bytes once laid out). */
  strides: number[];
  /**
   * A gather kernel's read of its source: element stride along the gathered dim, by
   * which the index value (read from the plan's `index` leaf) moves the address.
   */
  gather?: number;
}

export interface ConstExpr {
  kind: 'const';
  slot: number;
  dtype: DType;
  value: number;
}

export interface OpExpr {
  kind: 'op';
  what: ElementwiseOp;
  dtype: DType;
  args: Expr[];
  /** Parents reading this expression (> 1: computed once into a local). */
  uses: number;
}

export type Expr = LeafExpr | ConstExpr | OpExpr;

export function elemBytes(dtype: DType): number {
  return dtype === 'bool' ? 1 : dtype === 'float64' ? 8 : 4;
}

/**
 * Most distinct recorded ops one kernel inlines; a larger graph is computed into memory
 * first (bounds kernel size and register pressure; a backward pass's gradient sums
 * would otherwise be cut into several passes over memory).
 */
export const MAX_FUSED_OPS = 40;

/**
 * Builds the expression of one kernel over an iteration space of `shape`.
 * `materialize` computes a recorded node into memory when it cannot be inlined.
 */
export class Plan {
  readonly leaves: LeafExpr[] = [];
  readonly consts: ConstExpr[] = [];
  /** A gather kernel's index operand (int32), read by every gathered leaf. */
  index: LeafExpr | null = null;
  private readonly memo = new Map<string, Expr>();

  constructor(
    public shape: readonly number[],
    private readonly materialize: (node: Node) => WasmBuffer,
  ) {}

  /**
   * Reads `src` gathered along `dim` by `index` (`out[p] = src[p with p[dim] = index[p]]`):
   * the source's expression is built over the index's shape widened to the source's
   * extent along `dim`, then every leaf's stride along `dim` becomes its gather stride.
   * So a recorded source (the log-probabilities a loss picks its target class from) is
   * evaluated at the gathered elements only, never computed into memory whole.
   */
  readGather(
    src: Source<WasmBuffer>, dtype: DType, offset: number, strides: readonly number[], dim: number, extent: number,
    index: Source<WasmBuffer>, indexOffset: number, indexStrides: readonly number[],
  ): Expr {
    const target = this.shape;
    const wide = [...target];
    wide[dim] = extent;
    this.shape = wide;
    const first = this.leaves.length;
    const root = this.read(src, dtype, offset, strides);
    for (const l of this.leaves.slice(first)) {
      l.gather = l.strides[dim]!;
      l.strides[dim] = 0;
    }
    this.memo.clear();
    this.shape = target;
    if (index.kind !== 'buf') throw new Error('wasm backend: internal error, a gather index must be in memory');
    this.index = this.leaf(index.buf, indexOffset, indexStrides);
    return root;
  }

  /** The expression reading `src` (of `dtype`) at offset + Σ coord·stride. */
  read(src: Source<WasmBuffer>, dtype: DType, offset: number, strides: readonly number[], inline = false): Expr {
    if (src.kind === 'const') return this.constant(src.value, dtype);
    if (src.kind === 'buf') return this.leaf(src.buf, offset, strides);
    const node = src.node;
    if (node.result) return this.leaf(node.result, offset, strides);
    // A node with transcendental work read by a second consumer is computed into
    // memory once instead of again inside every kernel that reads it (the forward
    // pass's log-probabilities, read again by the backward pass's kernels).
    const shared = node.consumers >= 2 && costOf(node) >= 1;
    const costly = node.consumers >= 1 && costOf(node) >= 2;
    const composed = !inline && (shared || costly) ? null : this.compose(node, offset, strides);
    if (!composed) return this.leaf(this.materialize(node), offset, strides);
    const key = `n${node.id}:${strides.join(',')}`;
    const hit = this.memo.get(key);
    if (hit) {
      (hit as OpExpr).uses++;
      return hit;
    }
    const args = node.operands.map((a, j) => this.read(a.src, node.operandDTypes[j]!, a.offset, composed[j]!));
    const e: OpExpr = { kind: 'op', what: node.what, dtype: node.dtype, args, uses: 1 };
    this.memo.set(key, e);
    return e;
  }

  private constant(value: number, dtype: DType): ConstExpr {
    // Object.is: −0 and +0 are different constants (1/x tells them apart).
    const key = `c${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    const hit = this.memo.get(key) as ConstExpr | undefined;
    if (hit) return hit;
    const e: ConstExpr = { kind: 'const', slot: this.consts.length, dtype, value };
    this.consts.push(e);
    this.memo.set(key, e);
    return e;
  }

  private leaf(buf: WasmBuffer, offset: number, strides: readonly number[]): LeafExpr {
    const key = `b${buf.id}@${offset}:${strides.join(',')}`;
    const hit = this.memo.get(key) as LeafExpr | undefined;
    if (hit) return hit;
    const e: LeafExpr = {
      kind: 'leaf', slot: this.leaves.length + 1, dtype: buf.dtype,
      ptr: buf.ptr + offset * elemBytes(buf.dtype), strides: [...strides], gather: undefined,
    };
    this.leaves.push(e);
    this.memo.set(key, e);
    return e;
  }

  /**
   * The strides of each of `node`'s operands over this plan's iteration dims, when
   * the consumer reads the node through a view that maps every iteration dim onto
   * one whole dim of the node or broadcasts it (identity, permutation, expand,
   * unsqueeze); null otherwise (slices, merged dims: then the node is computed into
   * memory first). A broadcast read of a multi-op node would recompute it per
   * repeat, so that is computed first too.
   */
  private compose(node: Node, offset: number, strides: readonly number[]): number[][] | null {
    if (offset !== 0 || node.what.kind === 'scatter') return null;
    const ns = node.outShape;
    const cs = contiguousStrides(ns);
    const map = new Array<number>(this.shape.length).fill(-1);
    const used = new Set<number>();
    for (let i = 0; i < this.shape.length; i++) {
      const n = this.shape[i]!;
      if (n === 1 || strides[i] === 0) continue;
      let k = -1;
      for (let d = 0; d < ns.length; d++) {
        if (ns[d]! > 1 && cs[d] === strides[i] && ns[d] === n && !used.has(d)) {
          k = d;
          break;
        }
      }
      if (k < 0) return null;
      used.add(k);
      map[i] = k;
    }
    if (node.ops >= 2 && numelOf(this.shape) > 4 * node.size) return null;
    return node.operands.map((a) => map.map((k) => (k < 0 ? 0 : a.strides[k]!)));
  }
}

// Every Plan dies with its kernel: keep one so that V8 keeps its hidden classes (../memory/pin.ts).
pinShape(new Plan([], () => {
  throw new Error('wasm backend: internal error, the pinned plan materialised a node');
}));

const TRANSCENDENTAL: ReadonlySet<string> = new Set(['exp', 'expm1', 'log', 'log1p', 'sin', 'cos', 'tanh', 'sigmoid', 'pow']);
const costs = new WeakMap<Node, number>();

/** Transcendental ops a node inlines (its recorded subtree), memoized. */
export function costOf(node: Node): number {
  const hit = costs.get(node);
  if (hit !== undefined) return hit;
  const w = node.what;
  let c = (w.kind === 'unary' || w.kind === 'binary') && TRANSCENDENTAL.has(w.op) ? 1 : 0;
  for (const a of node.operands) if (a.src.kind === 'lazy' && !a.src.node.result) c += costOf(a.src.node);
  costs.set(node, c);
  return c;
}

/** A layout class: how an operand walks its innermost dim. */
export type InnerClass = 'unit' | 'bcast' | 'strided';

export function innerClass(strideBytes: number, dtype: DType): InnerClass {
  return strideBytes === 0 ? 'bcast' : strideBytes === elemBytes(dtype) ? 'unit' : 'strided';
}

const DT: Record<DType, string> = { float32: 'f', int32: 'i', bool: 'b', float64: 'd' };

/**
 * The structural key of an expression DAG (slots and dtypes, not addresses or values);
 * `classes[slot]` names how the leaf in that slot is walked.
 *
 * Hot paths here (keys, layouts, accessors: once per kernel call) create no closures:
 * V8 keeps the optimised code of a closure only while one of its instances lives, so a
 * closure made per call is re-optimised after every full collection — which a training
 * loop without tidy() has every few dozen steps (see memory/pin.ts for the same effect
 * on hidden classes).
 */
export function exprKey(root: Expr, classes: readonly string[]): string {
  return keyOf(root, classes, new Map<Expr, number>());
}

function keyOf(e: Expr, classes: readonly string[], seen: Map<Expr, number>): string {
  if (e.kind === 'leaf') return `L${e.slot}${DT[e.dtype]}${classes[e.slot]!}`;
  if (e.kind === 'const') return `C${e.slot}${DT[e.dtype]}`;
  const s = seen.get(e);
  if (s !== undefined) return `#${s}`;
  seen.set(e, seen.size);
  let out = `(${opName(e.what)}${DT[e.dtype]}`;
  for (const a of e.args) out += ' ' + keyOf(a, classes, seen);
  return out + ')';
}

/**
 * Merges iteration dims that every memory operand walks as one and converts element
 * strides to bytes. `groups` splits the dims into runs that must not merge with each
 * other (a reduction's kept and reduced dims); returns the new group sizes.
 */
export function layout(
  shape: readonly number[], groups: readonly number[], accessors: { strides: number[]; dtype: DType }[],
): { shape: number[]; groups: number[] } {
  const outShape: number[] = [];
  const outGroups: number[] = [];
  const n = accessors.length;
  const newStrides: number[][] = [];
  for (let k = 0; k < n; k++) newStrides.push([]);
  const parts: number[][] = new Array<number[]>(n);
  let at = 0;
  for (const g of groups) {
    const dims = shape.slice(at, at + g);
    for (let k = 0; k < n; k++) parts[k] = accessors[k]!.strides.slice(at, at + g);
    const c = coalesce(dims, parts);
    for (const d of c.shape) outShape.push(d);
    outGroups.push(c.shape.length);
    for (let k = 0; k < n; k++) for (const st of c.strides[k]!) newStrides[k]!.push(st);
    at += g;
  }
  for (let k = 0; k < n; k++) {
    const a = accessors[k]!;
    const eb = elemBytes(a.dtype);
    const ns = newStrides[k]!;
    for (let i = 0; i < ns.length; i++) ns[i] = ns[i]! * eb;
    a.strides = ns;
  }
  return { shape: outShape, groups: outGroups };
}
