/**
 * The two models of the MNIST example, `--model mlp` (the default) and `--model cnn`.
 * Both are a plain `Sequential` of torch.nn layers, so the state dict saved with
 * --save has torch.nn's parameter names and layouts and loads into the same
 * `nn.Sequential` in PyTorch (see `torchSource`). The CNN takes the digits as
 * [N, 1, 28, 28] (`inputShape`); the MLP as [N, 784].
 *
 *   mlp  Linear 784→h · ReLU · Linear h→10
 *   cnn  Conv 1→c (3×3, pad 1) · ReLU · MaxPool 2 · Conv c→2c (3×3, pad 1) · ReLU · MaxPool 2
 *        · Flatten · Linear 2c·7·7→10                  28×28 → 14×14 → 7×7
 */
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '@tsgrad/nn';
import { MNIST_CLASSES, MNIST_PIXELS } from './mnist.js';

export const MNIST_MODELS = ['mlp', 'cnn'] as const;
export type MnistModelName = (typeof MNIST_MODELS)[number];

/** Side of an MNIST digit in pixels (MNIST_PIXELS = SIDE²). */
const SIDE = 28;

export interface MnistModelSpec {
  readonly name: MnistModelName;
  /** A fresh, randomly initialised model (draws from the global RNG: call after manualSeed). */
  readonly make: () => Sequential;
  /** The shape one digit is fed in: [784] for the MLP, [1, 28, 28] for the CNN. */
  readonly inputShape: readonly number[];
  /** The architecture in one line, PyTorch's spelling (report, metrics.json, the checkpoint's metadata). */
  readonly architecture: string;
  /** The same in words, for the report's setup line. */
  readonly summary: string;
  /** The equivalent PyTorch module, as Python source. */
  readonly torchSource: string;
}

export interface MnistModelOptions {
  /** Hidden units of the MLP. */
  readonly hidden: number;
  /** Channels of the CNN's first convolution (the second has twice as many). */
  readonly channels: number;
}

export function mnistModel(name: MnistModelName, o: MnistModelOptions): MnistModelSpec {
  if (name === 'mlp') {
    const h = o.hidden;
    return {
      name,
      make: () => new Sequential(new Linear(MNIST_PIXELS, h), new ReLU(), new Linear(h, MNIST_CLASSES)),
      inputShape: [MNIST_PIXELS],
      architecture: `Sequential(Linear(${MNIST_PIXELS}, ${h}), ReLU, Linear(${h}, ${MNIST_CLASSES}))`,
      summary: `MLP ${MNIST_PIXELS}→${h}→${MNIST_CLASSES} (ReLU)`,
      torchSource: `nn.Sequential(nn.Linear(${MNIST_PIXELS}, ${h}), nn.ReLU(), nn.Linear(${h}, ${MNIST_CLASSES}))`,
    };
  }
  const c1 = o.channels, c2 = 2 * o.channels;
  const pooled = SIDE / 4; // two 2×2 max pools: 28 → 14 → 7
  const flat = c2 * pooled * pooled;
  return {
    name,
    make: () =>
      new Sequential(
        new Conv2d(1, c1, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2),
        new Conv2d(c1, c2, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(flat, MNIST_CLASSES),
      ),
    inputShape: [1, SIDE, SIDE],
    architecture:
      `Sequential(Conv2d(1, ${c1}, 3, padding=1), ReLU, MaxPool2d(2), Conv2d(${c1}, ${c2}, 3, padding=1), ReLU, MaxPool2d(2), ` +
      `Flatten, Linear(${flat}, ${MNIST_CLASSES}))`,
    summary: `CNN conv 3×3 1→${c1} · ReLU · max-pool 2 · conv 3×3 ${c1}→${c2} · ReLU · max-pool 2 · linear ${c2}·${pooled}·${pooled}→${MNIST_CLASSES}, on [N, 1, ${SIDE}, ${SIDE}]`,
    torchSource:
      `nn.Sequential(nn.Conv2d(1, ${c1}, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), ` +
      `nn.Conv2d(${c1}, ${c2}, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(${flat}, ${MNIST_CLASSES}))`,
  };
}
