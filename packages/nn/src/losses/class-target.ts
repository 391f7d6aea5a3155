import { DTypeError, IndexError, ShapeError, Tensor, arange, gather, ne, where, type FloatDType } from '@tsgrad/tensor';
import { checkFloatTensor, checkTensor, fmtShape } from './validate.js';

/*
 * The class dimension is dim 1 of [N, C, d1, …] (PyTorch's convention), and an
 * unbatched input [C] pairs with a 0-d target. These helpers check class-index targets
 * and pick per-class values; the losses stay short compositions on top of them.
 */

/** A float input with a class dim: [C] (unbatched) or [N, C, d1, …]. */
export function checkClassInput(fn: string, input: unknown, minClasses = 1): Tensor & { dtype: FloatDType } {
  const x = checkFloatTensor(fn, 'input', input);
  if (x.ndim === 0) {
    throw new ShapeError(`${fn}: argument 'input' expected shape [C] or [N, C, d1, …] with classes in dim 1, got a 0-d tensor`);
  }
  const C = numClassesOf(x);
  if (C < minClasses) {
    throw new ShapeError(`${fn}: argument 'input' expected at least ${minClasses} classes in dim ${x.ndim === 1 ? 0 : 1} (a softmax over one class is constant), got shape ${fmtShape(x.shape)}`);
  }
  return x;
}

export function numClassesOf(input: Tensor): number {
  return input.ndim === 1 ? input.shape[0]! : input.shape[1]!;
}

/** The shape a class-index target must have: the input's shape without the class dim. */
export function indexShapeOf(input: Tensor): number[] {
  return input.ndim === 1 ? [] : [input.shape[0]!, ...input.shape.slice(2)];
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Checks an int32 class-index target against the input: dtype, shape, and every index
 * in [0, C) unless it equals `ignoreIndex` (null: nothing is ignored). Returns the
 * number of positions that are not ignored.
 */
export function checkIndexTarget(fn: string, input: Tensor, target: unknown, ignoreIndex: number | null, floatHint = ''): number {
  const t = checkTensor(fn, 'target', target);
  const expected = indexShapeOf(input);
  if (t.dtype !== 'int32') {
    throw new DTypeError(`${fn}: argument 'target' expected int32 class indices of shape ${fmtShape(expected)}${floatHint}, got dtype ${t.dtype} with shape ${fmtShape(t.shape)}`);
  }
  if (!sameShape(t.shape, expected)) {
    throw new ShapeError(`${fn}: argument 'target' expected class indices of shape ${fmtShape(expected)} for input of shape ${fmtShape(input.shape)}${floatHint}, got ${fmtShape(t.shape)}`);
  }
  const C = numClassesOf(input);
  const data = t.dataSync();
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v === ignoreIndex) continue;
    if (v < 0 || v >= C) {
      const ignore = ignoreIndex === null ? '' : ` and not ignoreIndex ${ignoreIndex}`;
      throw new IndexError(`${fn}: argument 'target' contains class index ${v}, expected an index in [0, ${C}) (C = ${C})${ignore}`);
    }
    count++;
  }
  return count;
}

/** A checked class-index target, lifted to a batch and made safe to gather with. */
export interface IndexTarget {
  /** The input with a batch dim: [N, C, d1, …]. */
  input: Tensor;
  /** Class indices [N, d1, …] with ignored entries replaced by class 0. */
  index: Tensor;
  /** True where the target is not ignored; null when nothing is ignored. */
  valid: Tensor | null;
  /** Number of positions that are not ignored. */
  count: number;
  numClasses: number;
  /** The caller passed an unbatched [C] input with a 0-d target. */
  unbatched: boolean;
}

export function prepareIndexTarget(input: Tensor, target: Tensor, ignoreIndex: number | null, count: number): IndexTarget {
  const unbatched = input.ndim === 1;
  const x = unbatched ? input.unsqueeze(0) : input;
  const t = unbatched ? target.reshape([1]) : target;
  const total = t.numel;
  const valid = ignoreIndex !== null && count < total ? ne(t, ignoreIndex) : null;
  const index = valid ? where(valid, t, 0) : t;
  return { input: x, index, valid, count, numClasses: numClassesOf(input), unbatched };
}

/** values[n, index[n, …], …]: the value of each position's class, shape [N, d1, …]. */
export function pickClass(values: Tensor, index: Tensor): Tensor {
  return gather(values, 1, index.unsqueeze(1)).squeeze(1);
}

/** The one-hot mask of `index` as bool [N, C, d1, …] (y_c of the papers). */
export function classMask(index: Tensor, numClasses: number): Tensor {
  const classes = arange(numClasses).reshape([1, numClasses, ...index.shape.slice(1).map(() => 1)]);
  return index.unsqueeze(1).eq(classes);
}

/** Zero at ignored positions (PyTorch's 'none' gives exactly 0 there). */
export function zeroIgnored(loss: Tensor, valid: Tensor | null): Tensor {
  return valid ? where(valid, loss, 0) : loss;
}

/** An unbatched call's 'none' result is 0-d, like its target. */
export function unbatch(loss: Tensor, target: IndexTarget): Tensor {
  return target.unbatched && loss.ndim > 0 ? loss.reshape([]) : loss;
}
