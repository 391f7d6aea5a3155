import type { BinaryOp, UnaryOp } from '../backend.js';
import type { DType } from '../dtype.js';
import { captureEpoch } from '../memory/scope.js';
import { pinShape } from '../memory/pin.js';

/*
 * The lazy elementwise graph every backend with generated kernels shares (gpu.js,
 * WebAssembly). Elementwise results are not computed when the op is called but
 * recorded as `LazyNode`s (an op and its operands) and computed by the first kernel
 * that needs them: inlined into the consumer's code, so `exp(x − lse)`, a chain of
 * transcendental functions, or the `x − max` feeding a log-sum-exp each cost one pass
 * over memory instead of one per op.
 *
 * `B` is the backend's buffer type (a texture, a block of WebAssembly memory). Buffers
 * and nodes are immutable once made: a tensor written in place, or disposed, gets a
 * new buffer (or none) while recorded nodes keep the old one alive until they are
 * garbage themselves. That makes deferred evaluation safe.
 */

export type ElementwiseOp =
  | { kind: 'unary'; op: UnaryOp; toBool: boolean }
  | { kind: 'binary'; op: BinaryOp; toBool: boolean }
  | { kind: 'where' }
  /**
   * scatterAdd(base, dim, index, src) over base's shape: operand 0 (base) is read at
   * the node's coordinates, operands 1 and 2 (index, src) at index coordinates.
   */
  | { kind: 'scatter'; dim: number; indexShape: readonly number[] };

/** The recorded form of a unary op (`toBool`: a cast of a non-bool input to bool). */
export function unaryOp(op: UnaryOp, inDtype: DType, outDtype: DType): ElementwiseOp {
  return { kind: 'unary', op, toBool: outDtype === 'bool' && inDtype !== 'bool' };
}

/** The recorded form of a binary op (`toBool`: a bool result that is not a comparison's). */
export function binaryOp(op: BinaryOp, outDtype: DType): ElementwiseOp {
  const cmp = op === 'eq' || op === 'ne' || op === 'lt' || op === 'le' || op === 'gt' || op === 'ge';
  return { kind: 'binary', op, toBool: outDtype === 'bool' && !cmp };
}

export function opName(what: ElementwiseOp): string {
  if (what.kind === 'scatter') return `scatter:${what.dim}:${what.indexShape.join('x')}`;
  return what.kind === 'where' ? 'where' : `${what.op}${what.toBool ? '>bool' : ''}`;
}

let nextId = 1;

/** A fresh id for buffers and nodes (one sequence, so ids never collide). */
export function nextGraphId(): number {
  return nextId++;
}

/** A source of values for a kernel: a constant, a device buffer, or a recorded op. */
export type Source<B> =
  | { kind: 'const'; value: number }
  | { kind: 'buf'; buf: B }
  | { kind: 'lazy'; node: LazyNode<B> };

/** An operand as the consumer sees it: a source read at offset + Σ coord·stride. */
export interface Access<B> {
  src: Source<B>;
  offset: number;
  strides: readonly number[];
}

export class LazyNode<B> {
  readonly id = nextGraphId();
  /** Set once some kernel has written this node's values to memory. */
  result: B | null = null;
  /** Read by another node: its result buffer must then outlive its storage. */
  captured = false;
  /** The smallest `captureEpoch()` at which a node read this one (Infinity: none). */
  capturedAt = Infinity;
  /** Recorded ops and kernels that read this node so far (a backend may compute a node read often into memory once). */
  consumers = 0;
  constructor(
    readonly what: ElementwiseOp,
    readonly outShape: readonly number[],
    readonly operands: readonly Access<B>[],
    /** Ops inlined if this node is evaluated (bounds kernel size). */
    readonly ops: number,
    /** Elements of this node's output. */
    readonly size: number,
    /** The output's dtype (backends that hold one dtype only may leave the default). */
    readonly dtype: DType = 'float32',
    /** The operands' dtypes, in operand order (empty when the backend holds one dtype). */
    readonly operandDTypes: readonly DType[] = [],
  ) {}
}

/** The source a node's consumers read: its buffer once computed, else the node. */
export function sourceOfNode<B>(node: LazyNode<B>): Source<B> {
  return node.result ? { kind: 'buf', buf: node.result } : { kind: 'lazy', node };
}

/** Ops a source inlines when read. */
export function opsOf<B>(src: Source<B>): number {
  return src.kind === 'lazy' ? src.node.ops : 0;
}

/**
 * Marks a buffer or recorded node as read by a recorded op, with the smallest capture
 * epoch seen (`captureEpoch()`: 0 outside every scope), which decides whether a memory
 * scope that adopts the memory may free it at once (`Backend.dispose(s, 'adopted')`).
 */
export function markCaptured(x: { captured: boolean; capturedAt: number }): void {
  x.captured = true;
  const epoch = captureEpoch();
  if (epoch < x.capturedAt) x.capturedAt = epoch;
}

/*
 * A recorded graph lives for one training step: after the step, none of its nodes,
 * operand records or op descriptions is alive, and a full collection at that moment
 * (the WebAssembly backend forces one under memory pressure in a loop without tidy())
 * killed their hidden classes — deoptimising ~20 functions that record and plan ops
 * (node --trace-deopt: "weak objects", every forced collection), whose recompilation
 * took the core the worker threads need. One of each, kept (see ../memory/pin.ts).
 */
{
  const node = pinShape(new LazyNode<object>(pinShape(unaryOp('neg', 'float32', 'float32')), [1], [], 1, 1));
  markCaptured(node);
  node.consumers++;
  pinShape(binaryOp('add', 'float32'));
  pinShape({ kind: 'where' } as ElementwiseOp);
  const srcs: Source<object>[] = [{ kind: 'const', value: 0 }, { kind: 'buf', buf: {} }, sourceOfNode(node)];
  for (const src of srcs) pinShape({ src: pinShape(src), offset: 0, strides: [0] } as Access<object>);
}
