import type { BinaryOp, UnaryOp } from '@tsgrad/tensor';
import type { DeviceArray } from './gpujs';
import type { Cell } from './memory';

/*
 * What a kernel reads. Device memory lives in `Buffer`s; elementwise results are
 * not computed when the op is called but recorded as `LazyNode`s (an op and its
 * operands) and computed by the first kernel that needs them: inlined into the
 * consumer's code, so `exp(x − lse)`, a chain of transcendental functions, or the
 * `x − max` feeding a log-sum-exp each cost one pass over memory instead of one per
 * op. On software GL a pass's output texture costs more than its arithmetic, so
 * this is where the gpu backend's speed comes from.
 *
 * Buffers and nodes are immutable once made: a tensor written in place, or
 * disposed, gets a new buffer (or none) while recorded nodes keep the old one alive
 * until they are garbage themselves. That makes deferred evaluation safe.
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

export function opName(what: ElementwiseOp): string {
  if (what.kind === 'scatter') return `scatter:${what.dim}:${what.indexShape.join('x')}`;
  return what.kind === 'where' ? 'where' : `${what.op}${what.toBool ? '>bool' : ''}`;
}

let nextId = 1;

/** One device array (a GL texture or a webasm Float32Array) of `size` floats. */
export class Buffer {
  readonly id = nextId++;
  /** Captured by a lazy node: its release waits for the garbage collector. */
  captured = false;
  constructor(
    readonly array: DeviceArray,
    readonly size: number,
    /** Accounting and release: what the FinalizationRegistry holds (never the Buffer). */
    readonly cell: Cell,
  ) {}
}

/** A source of values for a kernel: a uniform, a device buffer, or a recorded op. */
export type Source =
  | { kind: 'const'; value: number }
  | { kind: 'buf'; buf: Buffer }
  | { kind: 'lazy'; node: LazyNode };

/** An operand as the consumer sees it: a source read at offset + Σ coord·stride. */
export interface Access {
  src: Source;
  offset: number;
  strides: readonly number[];
}

export class LazyNode {
  readonly id = nextId++;
  /** Set once some kernel has written this node's values to memory. */
  result: Buffer | null = null;
  /** Read by another node: its result buffer must then outlive its storage. */
  captured = false;
  constructor(
    readonly what: ElementwiseOp,
    readonly outShape: readonly number[],
    readonly operands: readonly Access[],
    /** Ops inlined if this node is evaluated (bounds kernel size). */
    readonly ops: number,
    /** Device bytes this node's operands keep alive. */
    readonly size: number,
  ) {}
}

/** The source a node's consumers read: its buffer once computed, else the node. */
export function sourceOfNode(node: LazyNode): Source {
  return node.result ? { kind: 'buf', buf: node.result } : { kind: 'lazy', node };
}

/** Ops a source inlines when read. */
export function opsOf(src: Source): number {
  return src.kind === 'lazy' ? src.node.ops : 0;
}
