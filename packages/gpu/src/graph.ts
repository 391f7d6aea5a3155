import {
  LazyNode as SharedLazyNode, nextGraphId, opsOf, opName, sourceOfNode,
  type ElementwiseOp, type FusionAccess, type FusionSource,
} from '@tsgrad/tensor';
import type { DeviceArray } from './gpujs.js';
import type { Cell } from './memory.js';

/*
 * The gpu backend's view of the shared lazy elementwise graph (@tsgrad/tensor's
 * fusion/graph.ts, which the WebAssembly backend uses too): its buffers are gpu.js
 * device arrays. On software GL a pass's output texture costs more than its
 * arithmetic, so fusing chains into their consumer is where this backend's speed
 * comes from.
 */

export { opsOf, opName, sourceOfNode, type ElementwiseOp };

/** One device array (a GL texture or a webasm Float32Array) of `size` floats. */
export class Buffer {
  readonly id = nextGraphId();
  /** Captured by a lazy node: its release waits for the garbage collector. */
  captured = false;
  /** The smallest `captureEpoch()` at which a recorded op read this buffer (Infinity: none). */
  capturedAt = Infinity;
  constructor(
    readonly array: DeviceArray,
    readonly size: number,
    /** Accounting and release: what the FinalizationRegistry holds (never the Buffer). */
    readonly cell: Cell,
  ) {}
}

export type Source = FusionSource<Buffer>;
export type Access = FusionAccess<Buffer>;
export type LazyNode = SharedLazyNode<Buffer>;
export const LazyNode = SharedLazyNode;
