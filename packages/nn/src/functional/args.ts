import { DTypeError, ShapeError, Tensor, ValueError, cat, full } from '@tsgrad/tensor';

/*
 * Argument helpers shared by the convolution and pooling functions: PyTorch's int-or-
 * tuple sizes, input checks, and constant padding along one dim.
 */

/** A size given once for every spatial dim or once per dim (PyTorch's int-or-tuple). */
export type SizeArg<N extends number> = number | (N extends 1 ? readonly [number] : readonly [number, number]);

/** `v` as `n` integers >= `min`, or a ValueError naming `fn` and `arg`. */
export function tupleArg(fn: string, arg: string, v: unknown, n: number, min: number): number[] {
  const list = typeof v === 'number' ? new Array<number>(n).fill(v) : Array.isArray(v) ? [...(v as unknown[])] : null;
  if (!list || list.length !== n || list.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < min)) {
    const shown = Array.isArray(v) ? `[${(v as unknown[]).map(String).join(', ')}]` : String(v);
    throw new ValueError(`${fn}: argument '${arg}' expected an integer >= ${min}${n > 1 ? ` or ${n} of them` : ''}, got ${shown}`);
  }
  return list as number[];
}

/** Checks a floating point tensor of one of the accepted ranks (the batched rank last). */
export function checkInput(fn: string, arg: string, x: unknown, ranks: readonly number[], what: string): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`${fn}: argument '${arg}' expected a Tensor, got ${typeof x}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new DTypeError(`${fn}: argument '${arg}' expected a floating point tensor (float32 or float64), got dtype ${x.dtype}`);
  }
  if (!ranks.includes(x.ndim)) {
    throw new ShapeError(`${fn}: argument '${arg}' expected a ${ranks.join('-d or ')}-d tensor ${what}, got shape [${x.shape.join(', ')}]`);
  }
  return x;
}

/** Pads `x` along `dim` with `before` and `after` entries of `value` (a copy, in the graph). */
export function padDim(x: Tensor, dim: number, before: number, after: number, value: number): Tensor {
  if (before === 0 && after === 0) return x;
  const parts: Tensor[] = [];
  const side = (n: number) => {
    const shape = [...x.shape];
    shape[dim] = n;
    return full(shape, value, { dtype: x.dtype });
  };
  if (before > 0) parts.push(side(before));
  parts.push(x);
  if (after > 0) parts.push(side(after));
  return cat(parts, dim);
}

/**
 * Constant padding like `torch.nn.functional.pad(input, pad, 'constant', value)`: `pad`
 * lists (before, after) pairs starting from the last dim — `[left, right]` pads the
 * last dim, `[left, right, top, bottom]` the last two. Non-negative sizes only.
 */
export function pad(input: Tensor, padding: readonly number[], value = 0): Tensor {
  if (!(input instanceof Tensor)) throw new DTypeError(`pad: argument 'input' expected a Tensor, got ${typeof input}`);
  if (!Array.isArray(padding) || padding.length % 2 !== 0 || padding.length / 2 > input.ndim
    || padding.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new ValueError(
      `pad: argument 'pad' expected an even number (at most ${2 * input.ndim}) of non-negative integers, got [${Array.isArray(padding) ? padding.join(', ') : String(padding)}]`,
    );
  }
  if (typeof value !== 'number') throw new ValueError(`pad: argument 'value' expected a number, got ${typeof value}`);
  let out = input;
  for (let i = 0; i < padding.length / 2; i++) {
    out = padDim(out, input.ndim - 1 - i, padding[2 * i]!, padding[2 * i + 1]!, value);
  }
  return out;
}
