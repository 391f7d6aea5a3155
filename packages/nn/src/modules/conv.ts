import { DTypeError, Tensor, ValueError, checkArg, spec, type FloatDType } from '@tsgrad/tensor';
import { Module, Parameter } from '../module.js';
import { kaimingUniform, uniform } from '../init.js';
import { conv1d, conv2d, type Conv1dOptions, type Conv2dOptions } from '../functional/conv.js';
import { tupleArg } from '../functional/args.js';

/** Options of {@link Conv1d} and {@link Conv2d} (torch.nn.Conv*d's keyword arguments). */
export interface ConvOptions<N extends 1 | 2> {
  stride?: N extends 1 ? Conv1dOptions['stride'] : Conv2dOptions['stride'];
  padding?: N extends 1 ? Conv1dOptions['padding'] : Conv2dOptions['padding'];
  dilation?: N extends 1 ? Conv1dOptions['dilation'] : Conv2dOptions['dilation'];
  /** Channel groups (default 1): both channel counts must be divisible by it. */
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** Only 'zeros' (PyTorch's default) is supported. */
  paddingMode?: 'zeros';
  /** dtype of the weight and bias (default float32). */
  dtype?: FloatDType;
}

const MODULE_OPTIONS = spec.options({
  stride: spec.any(), padding: spec.any(), dilation: spec.any(), groups: spec.any(), bias: spec.bool(), paddingMode: spec.any(), dtype: spec.any(),
});

/** Shared parameters and checks of Conv1d and Conv2d. */
abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(name: string, n: number, inChannels: number, outChannels: number, kernelSize: unknown, opts: ConvOptions<1> | ConvOptions<2>) {
    super();
    checkArg(name, 'options', MODULE_OPTIONS, opts);
    for (const [arg, v] of [['inChannels', inChannels], ['outChannels', outChannels]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`${name}: argument '${arg}' expected a positive integer, got ${String(v)}`);
    }
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${name}: option 'groups' expected a positive integer, got ${String(groups)}`);
    if (inChannels % groups !== 0) throw new ValueError(`${name}: argument 'inChannels' (${inChannels}) expected to be divisible by groups (${groups})`);
    if (outChannels % groups !== 0) throw new ValueError(`${name}: argument 'outChannels' (${outChannels}) expected to be divisible by groups (${groups})`);
    if ((opts.paddingMode ?? 'zeros') !== 'zeros') throw new ValueError(`${name}: option 'paddingMode' expected 'zeros', got ${String(opts.paddingMode)}`);
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`${name}: option 'dtype' expected float32 or float64, got ${String(dtype)}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = tupleArg(name, 'kernelSize', kernelSize, n, 1);
    this.stride = tupleArg(name, 'stride', opts.stride ?? 1, n, 1);
    this.dilation = tupleArg(name, 'dilation', opts.dilation ?? 1, n, 1);
    const padding = opts.padding ?? 0;
    if (padding === 'same') {
      if (this.stride.some((s) => s !== 1)) throw new ValueError(`${name}: option 'padding' 'same' is not supported for strided convolutions`);
      this.padding = 'same';
    } else if (padding === 'valid') this.padding = 'valid';
    else this.padding = tupleArg(name, 'padding', padding, n, 0);
    this.groups = groups;
    // PyTorch's reset_parameters: kaiming_uniform(a=√5) → U(±1/√fanIn), bias from the same bound.
    const shape = [outChannels, inChannels / groups, ...this.kernelSize];
    this.weight = new Parameter(kaimingUniform(shape, { a: Math.sqrt(5), dtype }));
    if (opts.bias ?? true) {
      const fanIn = (inChannels / groups) * this.kernelSize.reduce((a, b) => a * b, 1);
      const bound = 1 / Math.sqrt(fanIn);
      this.bias = new Parameter(uniform([outChannels], -bound, bound, { dtype }));
    } else {
      this.bias = null;
    }
  }

  override extraRepr(): string {
    const list = (v: number[]) => `[${v.join(', ')}]`;
    let s = `${this.inChannels}, ${this.outChannels}, kernelSize=${list(this.kernelSize)}, stride=${list(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding='${this.padding}'`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${list(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${list(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=false';
    return s;
  }
}

/**
 * 1-d convolution layer like `torch.nn.Conv1d`: input [N, inChannels, L] (or
 * [inChannels, L]) → [N, outChannels, L_out]. Weight [outChannels, inChannels/groups,
 * kernelSize], bias [outChannels], initialised as PyTorch does: U(−1/√fanIn, 1/√fanIn)
 * for both, fanIn = inChannels/groups · kernelSize, weight drawn first.
 */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number], opts: ConvOptions<1> = {}) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, opts);
  }

  forward(input: Tensor): Tensor {
    const padding = typeof this.padding === 'string' ? this.padding : (this.padding as [number]);
    return conv1d(input, this.weight, this.bias, {
      stride: this.stride as [number], padding, dilation: this.dilation as [number], groups: this.groups,
    });
  }
}

/**
 * 2-d convolution layer like `torch.nn.Conv2d`: input [N, inChannels, H, W] (or
 * [inChannels, H, W]) → [N, outChannels, H_out, W_out]. Weight [outChannels,
 * inChannels/groups, kH, kW] and bias [outChannels] (state-dict names `weight`, `bias`
 * as in PyTorch), initialised as PyTorch does: U(−1/√fanIn, 1/√fanIn) for both,
 * fanIn = inChannels/groups · kH · kW, weight drawn first.
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number, number], opts: ConvOptions<2> = {}) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, opts);
  }

  forward(input: Tensor): Tensor {
    const padding = typeof this.padding === 'string' ? this.padding : (this.padding as [number, number]);
    return conv2d(input, this.weight, this.bias, {
      stride: this.stride as [number, number], padding, dilation: this.dilation as [number, number], groups: this.groups,
    });
  }
}
