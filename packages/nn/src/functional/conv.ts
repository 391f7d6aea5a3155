import { DTypeError, ShapeError, Tensor, ValueError, checkArg, matmul, spec, unfold } from '@tsgrad/tensor';
import { checkInput, padDim, tupleArg, type SizeArg } from './args.js';

/*
 * Convolution as a composition (no primitive of its own): zero-pad (cat), slide
 * windows over the padded input as a view (`unfold`, metadata only), copy the windows
 * into columns once (im2col — one strided-copy kernel on the backend, not a JS loop),
 * and multiply by the weight with `matmul` (the WebAssembly backend's packed SIMD
 * matmul). Grouped convolution is a batched matmul over the groups. The gradients —
 * of any order — are those of cat, unfold, the copy and matmul.
 */

/** Options of {@link conv2d} (`torch.nn.functional.conv2d`'s keyword arguments). */
export interface Conv2dOptions {
  /** Step between windows, per dim or for both (default 1). */
  stride?: SizeArg<2>;
  /**
   * Zeros added on both sides of each spatial dim (default 0), or 'valid' (no padding)
   * or 'same' (output as large as the input; stride 1 only; an odd total puts the extra
   * zero at the end, as PyTorch does).
   */
  padding?: SizeArg<2> | 'same' | 'valid';
  /** Spacing between kernel elements (default 1). */
  dilation?: SizeArg<2>;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
}

/** Options of {@link conv1d}. */
export interface Conv1dOptions {
  stride?: SizeArg<1>;
  padding?: SizeArg<1> | 'same' | 'valid';
  dilation?: SizeArg<1>;
  groups?: number;
}

interface Geometry {
  stride: number[];
  dilation: number[];
  /** [before, after] zeros per spatial dim. */
  pads: [number, number][];
  groups: number;
}

/** The option keys of conv1d/conv2d (an unknown key, a typo, is a ValueError); values are checked in `geometry`. */
export const CONV_OPTIONS = spec.options({ stride: spec.any(), padding: spec.any(), dilation: spec.any(), groups: spec.any() });

function geometry(fn: string, opts: Conv2dOptions | Conv1dOptions, kernel: readonly number[]): Geometry {
  checkArg(fn, 'options', CONV_OPTIONS, opts);
  const n = kernel.length;
  const stride = tupleArg(fn, 'stride', opts.stride ?? 1, n, 1);
  const dilation = tupleArg(fn, 'dilation', opts.dilation ?? 1, n, 1);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${fn}: argument 'groups' expected a positive integer, got ${String(groups)}`);
  const padding = opts.padding ?? 0;
  let pads: [number, number][];
  if (padding === 'valid') pads = kernel.map(() => [0, 0]);
  else if (padding === 'same') {
    if (stride.some((s) => s !== 1)) {
      throw new ValueError(`${fn}: argument 'padding' 'same' is not supported for strided convolutions (stride [${stride.join(', ')}])`);
    }
    pads = kernel.map((k, i) => {
      const total = dilation[i]! * (k - 1);
      const before = Math.floor(total / 2);
      return [before, total - before];
    });
  } else if (typeof padding === 'string') {
    throw new ValueError(`${fn}: argument 'padding' expected a non-negative integer, ${n} of them, 'same' or 'valid', got '${padding}'`);
  } else {
    pads = tupleArg(fn, 'padding', padding, n, 0).map((p) => [p, p]);
  }
  return { stride, dilation, pads, groups };
}

/** The shared 2-d core: x [N, C, H, W], w [O, C/groups, kH, kW]. */
function conv2dCore(fn: string, x: Tensor, w: Tensor, bias: Tensor | null, g: Geometry): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cg, kH, kW] = w.shape as [number, number, number, number];
  const G = g.groups;
  if (Cg * G !== C) {
    throw new ShapeError(
      `${fn}: argument 'input' expected ${Cg * G} channels (weight [${w.shape.join(', ')}] × groups ${G}), got ${C} channels (input shape [${x.shape.join(', ')}])`,
    );
  }
  if (O % G !== 0) throw new ShapeError(`${fn}: argument 'weight' expected its out channels (${O}) divisible by groups ${G}, got weight [${w.shape.join(', ')}]`);
  const [sH, sW] = g.stride as [number, number];
  const [dH, dW] = g.dilation as [number, number];
  const [[pt, pb], [pl, pr]] = g.pads as [[number, number], [number, number]];
  const Hp = H + pt + pb;
  const Wp = W + pl + pr;
  const spanH = dH * (kH - 1) + 1;
  const spanW = dW * (kW - 1) + 1;
  if (spanH > Hp || spanW > Wp) {
    throw new ShapeError(
      `${fn}: argument 'weight' expected a kernel that fits the padded input (${Hp} × ${Wp}), got kernel ${kH} × ${kW} spanning ${spanH} × ${spanW} with dilation [${dH}, ${dW}]`,
    );
  }
  const oH = Math.floor((Hp - spanH) / sH) + 1;
  const oW = Math.floor((Wp - spanW) / sW) + 1;
  const xp = padDim(padDim(x, 2, pt, pb, 0), 3, pl, pr, 0);
  // [N, G, Cg, oH, oW, kH, kW] as a view, then one copy into [N, G, Cg·kH·kW, oH·oW] columns.
  const windows = unfold(unfold(xp.reshape([N, G, Cg, Hp, Wp]), 3, kH, sH, dH), 4, kW, sW, dW);
  const cols = windows.permute([0, 1, 2, 5, 6, 3, 4]).reshape([N, G, Cg * kH * kW, oH * oW]);
  const y = matmul(w.reshape([G, O / G, Cg * kH * kW]), cols).reshape([N, O, oH, oW]);
  return bias ? y.add(bias.reshape([1, O, 1, 1])) : y;
}

function checkWeightAndBias(fn: string, x: Tensor, weight: unknown, bias: unknown, rank: number): [Tensor, Tensor | null] {
  if (!(weight instanceof Tensor)) throw new DTypeError(`${fn}: argument 'weight' expected a Tensor, got ${typeof weight}`);
  if (weight.dtype !== x.dtype) throw new DTypeError(`${fn}: argument 'weight' expected dtype ${x.dtype} (the input's), got ${weight.dtype}`);
  if (weight.ndim !== rank) throw new ShapeError(`${fn}: argument 'weight' expected a ${rank}-d tensor [outChannels, inChannels/groups, kernel…], got shape [${weight.shape.join(', ')}]`);
  if (weight.shape.some((d) => d === 0)) throw new ShapeError(`${fn}: argument 'weight' expected non-zero sizes, got shape [${weight.shape.join(', ')}]`);
  if (bias === undefined || bias === null) return [weight, null];
  if (!(bias instanceof Tensor)) throw new DTypeError(`${fn}: argument 'bias' expected a Tensor or null, got ${typeof bias}`);
  if (bias.dtype !== x.dtype) throw new DTypeError(`${fn}: argument 'bias' expected dtype ${x.dtype} (the input's), got ${bias.dtype}`);
  if (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]) {
    throw new ShapeError(`${fn}: argument 'bias' expected shape [${weight.shape[0]}] (out channels), got [${bias.shape.join(', ')}]`);
  }
  return [weight, bias];
}

/**
 * 2-d convolution (cross-correlation, as in every deep-learning library) like
 * `torch.nn.functional.conv2d`: input [N, C, H, W] (or unbatched [C, H, W]), weight
 * [O, C/groups, kH, kW], optional bias [O]; out[n, o, i, j] = bias[o] + Σ over the
 * group's channels c and kernel positions (p, q) of
 * w[o, c, p, q] · x_padded[n, c, i·sH + p·dH, j·sW + q·dW].
 * Output size per dim: ⌊(in + padding_total − dilation·(k − 1) − 1) / stride⌋ + 1.
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const fn = 'conv2d';
  const x = checkInput(fn, 'input', input, [3, 4], '[C, H, W] or [N, C, H, W]');
  const [w, b] = checkWeightAndBias(fn, x, weight, bias, 4);
  const g = geometry(fn, opts, w.shape.slice(2));
  const batched = x.ndim === 4 ? x : x.unsqueeze(0);
  const y = conv2dCore(fn, batched, w, b, g);
  return x.ndim === 4 ? y : y.squeeze(0);
}

/**
 * 1-d convolution like `torch.nn.functional.conv1d`: input [N, C, L] (or unbatched
 * [C, L]), weight [O, C/groups, k], optional bias [O]. Runs as a 2-d convolution with a
 * height of 1.
 */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv1dOptions = {}): Tensor {
  const fn = 'conv1d';
  const x = checkInput(fn, 'input', input, [2, 3], '[C, L] or [N, C, L]');
  const [w, b] = checkWeightAndBias(fn, x, weight, bias, 3);
  const g1 = geometry(fn, opts, w.shape.slice(2));
  const g: Geometry = { stride: [1, g1.stride[0]!], dilation: [1, g1.dilation[0]!], pads: [[0, 0], g1.pads[0]!], groups: g1.groups };
  const batched = x.ndim === 3 ? x : x.unsqueeze(0);
  const y = conv2dCore(fn, batched.unsqueeze(2), w.unsqueeze(2), b, g).squeeze(2);
  return x.ndim === 3 ? y : y.squeeze(0);
}
