/**
 * The segmentation example's network: a two-level fully convolutional encoder–decoder
 * with one skip connection (a very small U-Net). Every layer is a torch.nn layer with
 * torch.nn's parameter names and layouts, so the state dict saved with --save loads
 * into the PyTorch class printed by `torchSource` with `load_state_dict`.
 *
 *   enc1  Conv 3→w (3×3) · BatchNorm · ReLU                        full resolution
 *   enc2  MaxPool 2 · Conv w→2w · BN · ReLU · Conv 2w→2w · BN · ReLU  half resolution
 *   up    nearest-neighbour upsampling ×2 (repetition: reshape + expand)
 *   dec   Conv 3w→w on [up(enc2), enc1] · BN · ReLU
 *   head  Conv w→classes (1×1): logits [N, classes, H, W]
 */
import { BatchNorm2d, Conv2d, MaxPool2d, Module, ReLU, Sequential } from '@tsgrad/nn';
import { cat, ShapeError, Tensor } from '@tsgrad/tensor';

/**
 * `torch.nn.Upsample(scale_factor=s, mode='nearest')` for [N, C, H, W]: every pixel
 * repeated s×s times, as a reshape/expand/reshape composition (so its gradient, the
 * sum over each s×s block, comes from autograd).
 */
export class NearestUpsample extends Module {
  constructor(readonly scale: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new ShapeError(`NearestUpsample: argument 'x' expected shape [N, C, H, W], got [${x.shape.join(', ')}]`);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const s = this.scale;
    return x.reshape([n, c, h, 1, w, 1]).expand([n, c, h, s, w, s]).reshape([n, c, h * s, w * s]);
  }
}

const convBlock = (cin: number, cout: number) => [new Conv2d(cin, cout, 3, { padding: 1 }), new BatchNorm2d(cout), new ReLU()];

export class TinyUNet extends Module {
  readonly enc1: Sequential;
  readonly enc2: Sequential;
  readonly up: NearestUpsample;
  readonly dec: Sequential;
  readonly head: Conv2d;

  constructor(readonly inChannels: number, readonly width: number, readonly classes: number) {
    super();
    this.enc1 = new Sequential(...convBlock(inChannels, width));
    this.enc2 = new Sequential(new MaxPool2d(2), ...convBlock(width, 2 * width), ...convBlock(2 * width, 2 * width));
    this.up = new NearestUpsample(2);
    this.dec = new Sequential(...convBlock(3 * width, width));
    this.head = new Conv2d(width, classes, 1);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[2]! % 2 !== 0 || x.shape[3]! % 2 !== 0) {
      throw new ShapeError(`TinyUNet: argument 'x' expected shape [N, ${this.inChannels}, H, W] with even H and W, got [${x.shape.join(', ')}]`);
    }
    const skip = this.enc1.forward(x);
    const deep = this.up.forward(this.enc2.forward(skip));
    return this.head.forward(this.dec.forward(cat([deep, skip], 1)));
  }

  /** One line for reports and metrics.json. */
  describe(): string {
    return describeTinyUNet(this.inChannels, this.width, this.classes);
  }
}

/** `TinyUNet#describe` without building the network (and drawing its initial weights). */
export function describeTinyUNet(inChannels: number, w: number, classes: number): string {
  return `TinyUNet(enc1: Conv ${inChannels}→${w} BN ReLU; enc2: MaxPool2 Conv ${w}→${2 * w} BN ReLU Conv ${2 * w}→${2 * w} BN ReLU; up ×2 nearest; dec: cat(up, enc1) Conv ${3 * w}→${w} BN ReLU; head: Conv1×1 ${w}→${classes})`;
}

/** The same network in PyTorch: load a --save file with `model.load_state_dict(load_file(path))`. */
export function torchSource(inChannels: number, width: number, classes: number): string {
  return [
    'import torch',
    'from torch import nn',
    'from safetensors.torch import load_file',
    '',
    'def block(cin, cout):',
    '    return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]',
    '',
    'class TinyUNet(nn.Module):',
    `    def __init__(self, in_channels=${inChannels}, width=${width}, classes=${classes}):`,
    '        super().__init__()',
    '        w = width',
    '        self.enc1 = nn.Sequential(*block(in_channels, w))',
    '        self.enc2 = nn.Sequential(nn.MaxPool2d(2), *block(w, 2 * w), *block(2 * w, 2 * w))',
    "        self.up = nn.Upsample(scale_factor=2, mode='nearest')",
    '        self.dec = nn.Sequential(*block(3 * w, w))',
    '        self.head = nn.Conv2d(w, classes, 1)',
    '',
    '    def forward(self, x):',
    '        skip = self.enc1(x)',
    '        return self.head(self.dec(torch.cat([self.up(self.enc2(skip)), skip], 1)))',
    '',
    'model = TinyUNet()',
    'model.load_state_dict(load_file("model.safetensors"))',
  ].join('\n');
}
