import { ShapeError, Tensor, ValueError, checkArg, matmul, spec, tensor, unfold } from '@tsgrad/tensor';
import { checkInput, padDim, tupleArg, type SizeArg } from './args.js';

/*
 * Pooling as compositions: pad (−∞ for max, 0 for average), slide windows as a view
 * (`unfold`), then reduce over the window dims. Max pooling picks each window's first
 * largest element with argmax + gather, so — as in PyTorch — the whole gradient of a
 * window goes to that one element (ties: the first in row-major window order, PyTorch's
 * CPU kernel's choice; `max` would split it). Adaptive average pooling is two small
 * matmuls with averaging matrices.
 */

/** Options of {@link maxPool2d} (`torch.nn.functional.max_pool2d`'s keyword arguments). */
export interface MaxPool2dOptions {
  /** Step between windows (default: the kernel size). */
  stride?: SizeArg<2> | null;
  /** −∞ added on both sides of each spatial dim (default 0; at most half the kernel size). */
  padding?: SizeArg<2>;
  /** Spacing between window elements (default 1). */
  dilation?: SizeArg<2>;
  /** Round the output size up instead of down (a last, partial window; default false). */
  ceilMode?: boolean;
}

/** Options of {@link avgPool2d} (`torch.nn.functional.avg_pool2d`'s keyword arguments). */
export interface AvgPool2dOptions {
  /** Step between windows (default: the kernel size). */
  stride?: SizeArg<2> | null;
  /** Zeros added on both sides of each spatial dim (default 0; at most half the kernel size). */
  padding?: SizeArg<2>;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in each window's divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead (default: the window size). */
  divisorOverride?: number | null;
}

/** The option keys of maxPool2d (values are checked where they are used). */
export const MAX_POOL_OPTIONS = spec.options({ stride: spec.any(), padding: spec.any(), dilation: spec.any(), ceilMode: spec.any() });
/** The option keys of avgPool2d. */
export const AVG_POOL_OPTIONS = spec.options({
  stride: spec.any(), padding: spec.any(), ceilMode: spec.any(), countIncludePad: spec.any(), divisorOverride: spec.any(),
});

interface PoolDims {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  /** Output size per spatial dim. */
  out: number[];
  /** Padding added after the input per dim: `padding` plus what a ceil-mode window needs. */
  after: number[];
}

/** PyTorch's pooling_output_shape and pool2d_shape_check. */
function poolDims(
  fn: string, x: Tensor, kernelSize: unknown, stride: unknown, padding: unknown, dilation: unknown, ceilMode: unknown,
): PoolDims {
  const kernel = tupleArg(fn, 'kernelSize', kernelSize, 2, 1);
  const st = stride === undefined || stride === null ? kernel : tupleArg(fn, 'stride', stride, 2, 1);
  const pad = tupleArg(fn, 'padding', padding ?? 0, 2, 0);
  const dil = tupleArg(fn, 'dilation', dilation ?? 1, 2, 1);
  if (typeof ceilMode !== 'boolean') throw new ValueError(`${fn}: argument 'ceilMode' expected a boolean, got ${String(ceilMode)}`);
  kernel.forEach((k, i) => {
    if (pad[i]! > Math.floor(k / 2)) {
      throw new ValueError(`${fn}: argument 'padding' expected at most half the kernel size (kernel [${kernel.join(', ')}]), got [${pad.join(', ')}]`);
    }
  });
  const size = x.shape.slice(-2);
  const out: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < 2; i++) {
    const n = size[i]!;
    const k = kernel[i]!;
    const s = st[i]!;
    const p = pad[i]!;
    const span = dil[i]! * (k - 1) + 1;
    let o = Math.floor((n + 2 * p - span + (ceilMode ? s - 1 : 0)) / s) + 1;
    // The last window must start inside the input or its left padding.
    if (ceilMode && (o - 1) * s >= n + p) o--;
    if (o < 1) {
      throw new ShapeError(
        `${fn}: argument 'input' expected spatial size at least the window (kernel [${kernel.join(', ')}], dilation [${dil.join(', ')}], padding [${pad.join(', ')}]), got input shape [${x.shape.join(', ')}] (output size ${o})`,
      );
    }
    out.push(o);
    after.push(Math.max(p, (o - 1) * s + span - n - p));
  }
  return { kernel, stride: st, padding: pad, dilation: dil, out, after };
}

/** Padded input → windows view [N, C, oH, oW, kH, kW] (exactly `out` windows per dim). */
function windows(x: Tensor, d: PoolDims, value: number): Tensor {
  const h = x.ndim - 2;
  const padded = padDim(padDim(x, h, d.padding[0]!, d.after[0]!, value), h + 1, d.padding[1]!, d.after[1]!, value);
  const u = unfold(unfold(padded, h, d.kernel[0]!, d.stride[0]!, d.dilation[0]!), h + 1, d.kernel[1]!, d.stride[1]!, d.dilation[1]!);
  return u.slice(h, 0, d.out[0]!).slice(h + 1, 0, d.out[1]!);
}

/**
 * 2-d max pooling like `torch.nn.functional.max_pool2d` over input [N, C, H, W] or
 * [C, H, W]: the largest element of each kernelSize window, `stride` apart (default
 * kernelSize), over the input padded with −∞. The gradient goes to each window's
 * (first) largest element. NaN counts as the largest value, as in PyTorch.
 */
export function maxPool2d(input: Tensor, kernelSize: SizeArg<2>, opts: MaxPool2dOptions = {}): Tensor {
  return maxPoolImpl('maxPool2d', input, kernelSize, opts, false)[0];
}

/**
 * {@link maxPool2d} and where each maximum came from, like
 * `torch.nn.functional.max_pool2d(..., return_indices=True)`: `[output, indices]`, the
 * indices int32 positions h·W + w in each input plane (those `maxUnpool2d` takes).
 */
export function maxPool2dWithIndices(input: Tensor, kernelSize: SizeArg<2>, opts: MaxPool2dOptions = {}): [Tensor, Tensor] {
  return maxPoolImpl('maxPool2dWithIndices', input, kernelSize, opts, true) as [Tensor, Tensor];
}

function maxPoolImpl(fn: string, input: Tensor, kernelSize: SizeArg<2>, opts: MaxPool2dOptions, withIndices: boolean): [Tensor, Tensor | null] {
  const x = checkInput(fn, 'input', input, [3, 4], '[C, H, W] or [N, C, H, W]');
  checkArg(fn, 'options', MAX_POOL_OPTIONS, opts);
  const d = poolDims(fn, x, kernelSize, opts.stride, opts.padding, opts.dilation, opts.ceilMode ?? false);
  const win = windows(x, d, -Infinity);
  const flat = win.reshape([...win.shape.slice(0, -2), d.kernel[0]! * d.kernel[1]!]);
  const at = flat.argmax(-1, true);
  const out = flat.gather(-1, at).squeeze(-1);
  if (!withIndices) return [out, null];
  // Window position → input position, on the host (one int per output element).
  const [oH, oW] = d.out as [number, number];
  const W = x.shape[x.ndim - 1]!;
  const a = at.dataSync();
  const idx = new Int32Array(a.length);
  for (let p = 0; p < a.length; p++) {
    const i = Math.floor(p / oW) % oH;
    const j = p % oW;
    const kh = Math.floor(a[p]! / d.kernel[1]!);
    const kw = a[p]! % d.kernel[1]!;
    idx[p] = (i * d.stride[0]! - d.padding[0]! + kh * d.dilation[0]!) * W + (j * d.stride[1]! - d.padding[1]! + kw * d.dilation[1]!);
  }
  return [out, tensor(idx, { dtype: 'int32', shape: [...out.shape] })];
}

/**
 * 2-d average pooling like `torch.nn.functional.avg_pool2d` over input [N, C, H, W]
 * or [C, H, W]: each window's sum divided by `divisorOverride`, else by the window
 * size — with `countIncludePad: false` by the number of input (non-padding) elements
 * in it, and in ceil mode a window that runs past the padded input counts only what
 * lies within it (PyTorch's rule).
 */
export function avgPool2d(input: Tensor, kernelSize: SizeArg<2>, opts: AvgPool2dOptions = {}): Tensor {
  const fn = 'avgPool2d';
  const x = checkInput(fn, 'input', input, [3, 4], '[C, H, W] or [N, C, H, W]');
  checkArg(fn, 'options', AVG_POOL_OPTIONS, opts);
  const d = poolDims(fn, x, kernelSize, opts.stride, opts.padding, 1, opts.ceilMode ?? false);
  const countIncludePad = opts.countIncludePad ?? true;
  if (typeof countIncludePad !== 'boolean') throw new ValueError(`${fn}: argument 'countIncludePad' expected a boolean, got ${String(countIncludePad)}`);
  const override = opts.divisorOverride ?? null;
  if (override !== null && !(Number.isFinite(override) && override !== 0)) {
    throw new ValueError(`${fn}: argument 'divisorOverride' expected a non-zero number, got ${String(override)}`);
  }
  const sums = windows(x, d, 0).sum([-2, -1]);
  if (override !== null) return sums.div(override);
  const [H, W] = x.shape.slice(-2) as [number, number];
  const [oH, oW] = d.out as [number, number];
  const [kH, kW] = d.kernel as [number, number];
  const [sH, sW] = d.stride as [number, number];
  const [pH, pW] = d.padding as [number, number];
  const divisor = new Float64Array(oH * oW);
  let uniform = true;
  for (let i = 0; i < oH; i++) {
    for (let j = 0; j < oW; j++) {
      const h0 = i * sH - pH;
      const w0 = j * sW - pW;
      const h1 = Math.min(h0 + kH, H + pH);
      const w1 = Math.min(w0 + kW, W + pW);
      const v = countIncludePad
        ? (h1 - h0) * (w1 - w0)
        : (Math.min(h1, H) - Math.max(h0, 0)) * (Math.min(w1, W) - Math.max(w0, 0));
      divisor[i * oW + j] = v;
      if (v !== kH * kW) uniform = false;
    }
  }
  return uniform ? sums.div(kH * kW) : sums.div(tensor(divisor, { dtype: x.dtype, shape: [oH, oW] }));
}

/** The [out, in] averaging matrix of adaptive pooling along one dim. */
function averagingMatrix(inSize: number, outSize: number, dtype: 'float32' | 'float64'): Tensor {
  const m = new Float64Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize);
    const end = Math.ceil(((i + 1) * inSize) / outSize);
    for (let j = start; j < end; j++) m[i * inSize + j] = 1 / (end - start);
  }
  return tensor(m, { dtype, shape: [outSize, inSize] });
}

/** `outputSize` as [oH, oW] (null keeps that input dim), or a ValueError naming `fn`. */
export function adaptiveOutputSize(fn: string, outputSize: unknown, H: number, W: number): [number, number] {
  const pair = typeof outputSize === 'number' ? [outputSize, outputSize] : Array.isArray(outputSize) && outputSize.length === 2 ? (outputSize as unknown[]) : null;
  const sizes = pair?.map((s, i) => (s === null ? [H, W][i]! : s));
  if (!sizes || sizes.some((s) => typeof s !== 'number' || !Number.isInteger(s) || s < 1)) {
    throw new ValueError(
      `${fn}: argument 'outputSize' expected a positive integer or a pair of them (null keeps the input size), got ${Array.isArray(outputSize) ? `[${outputSize.join(', ')}]` : String(outputSize)}`,
    );
  }
  return sizes as [number, number];
}

/**
 * 2-d adaptive average pooling like `torch.nn.functional.adaptive_avg_pool2d`: output
 * [N, C, oH, oW] (or [C, oH, oW]) whatever the input size, window i along a dim
 * covering input positions ⌊i·in/out⌋ … ⌈(i+1)·in/out⌉ − 1 (windows may overlap).
 * `outputSize` is one size for both dims or a pair; null keeps that input dim.
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  const fn = 'adaptiveAvgPool2d';
  const x = checkInput(fn, 'input', input, [3, 4], '[C, H, W] or [N, C, H, W]');
  const [H, W] = x.shape.slice(-2) as [number, number];
  if (x.shape.slice(1).some((s) => s === 0) || (x.ndim === 3 && x.shape[0] === 0)) {
    throw new ShapeError(`${fn}: argument 'input' expected non-zero sizes in the non-batch dims, got shape [${x.shape.join(', ')}]`);
  }
  const [oH, oW] = adaptiveOutputSize(fn, outputSize, H, W);
  let y = x;
  if (oH !== H) y = matmul(averagingMatrix(H, oH, x.dtype as 'float32' | 'float64'), y);
  if (oW !== W) y = matmul(y, averagingMatrix(W, oW, x.dtype as 'float32' | 'float64').T);
  return y === x ? x.mul(1) : y;
}
