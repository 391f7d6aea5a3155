import { Tensor, ValueError, checkArg } from '@tsgrad/tensor';
import { Module } from '../module.js';
import {
  AVG_POOL_OPTIONS, MAX_POOL_OPTIONS, adaptiveAvgPool2d, adaptiveOutputSize, avgPool2d, maxPool2d, type AvgPool2dOptions, type MaxPool2dOptions,
} from '../functional/pooling.js';
import { tupleArg, type SizeArg } from '../functional/args.js';

/** The window options a pooling layer can check before it sees an input (PyTorch checks them at forward). */
function checkWindow(name: string, kernelSize: unknown, o: MaxPool2dOptions & AvgPool2dOptions): void {
  tupleArg(name, 'kernelSize', kernelSize, 2, 1);
  if (o.stride !== undefined && o.stride !== null) tupleArg(name, 'stride', o.stride, 2, 1);
  if (o.padding !== undefined) tupleArg(name, 'padding', o.padding, 2, 0);
  if (o.dilation !== undefined) tupleArg(name, 'dilation', o.dilation, 2, 1);
  for (const k of ['ceilMode', 'countIncludePad'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new ValueError(`${name}: option '${k}' expected a boolean, got ${String(o[k])}`);
  }
}

const show = (v: unknown): string => (Array.isArray(v) ? `[${v.map(String).join(', ')}]` : String(v));

/** 2-d max pooling layer like `torch.nn.MaxPool2d` (see {@link maxPool2d}). */
export class MaxPool2d extends Module {
  readonly stride: SizeArg<2>;
  constructor(readonly kernelSize: SizeArg<2>, readonly options: MaxPool2dOptions = {}) {
    super();
    checkArg('MaxPool2d', 'options', MAX_POOL_OPTIONS, options);
    checkWindow('MaxPool2d', kernelSize, options);
    this.stride = options.stride ?? kernelSize;
  }

  forward(input: Tensor): Tensor {
    return maxPool2d(input, this.kernelSize, this.options);
  }

  override extraRepr(): string {
    const o = this.options;
    return `kernelSize=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(o.padding ?? 0)}, dilation=${show(o.dilation ?? 1)}, ceilMode=${o.ceilMode ?? false}`;
  }
}

/** 2-d average pooling layer like `torch.nn.AvgPool2d` (see {@link avgPool2d}). */
export class AvgPool2d extends Module {
  readonly stride: SizeArg<2>;
  constructor(readonly kernelSize: SizeArg<2>, readonly options: AvgPool2dOptions = {}) {
    super();
    checkArg('AvgPool2d', 'options', AVG_POOL_OPTIONS, options);
    checkWindow('AvgPool2d', kernelSize, options);
    this.stride = options.stride ?? kernelSize;
  }

  forward(input: Tensor): Tensor {
    return avgPool2d(input, this.kernelSize, this.options);
  }

  override extraRepr(): string {
    return `kernelSize=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.options.padding ?? 0)}`;
  }
}

/** 2-d adaptive average pooling layer like `torch.nn.AdaptiveAvgPool2d` (see {@link adaptiveAvgPool2d}). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly [number | null, number | null]) {
    super();
    adaptiveOutputSize('AdaptiveAvgPool2d', outputSize, 1, 1);
  }

  forward(input: Tensor): Tensor {
    return adaptiveAvgPool2d(input, this.outputSize);
  }

  override extraRepr(): string {
    return `outputSize=${show(this.outputSize)}`;
  }
}
