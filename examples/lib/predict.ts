/** Running a trained model over a whole data set in chunks, without recording a graph. */
import { noGrad, tensor, type Tensor } from '@tsgrad/tensor';

export interface ForwardModel {
  forward(x: Tensor): Tensor;
}

/**
 * Logits for every row of a row-major [n, features] array, as one [n, outputs] Float32Array.
 * `features` is the length of one row, or the shape one example is fed to the model in
 * (e.g. [1, 28, 28] for a CNN: each chunk goes in as [rows, 1, 28, 28]).
 */
export function predictLogits(
  model: ForwardModel, inputs: Float32Array, features: number | readonly number[], chunk = 1024,
): { logits: Float32Array; outputs: number } {
  const exampleShape = typeof features === 'number' ? [features] : [...features];
  const rowLength = exampleShape.reduce((a, b) => a * b, 1);
  const n = inputs.length / rowLength;
  const parts: Float32Array[] = [];
  let outputs = 0;
  noGrad(() => {
    for (let start = 0; start < n; start += chunk) {
      const rows = Math.min(chunk, n - start);
      const x = tensor(inputs.subarray(start * rowLength, (start + rows) * rowLength), { shape: [rows, ...exampleShape] });
      const y = model.forward(x);
      outputs = y.shape[1]!;
      parts.push(Float32Array.from(y.dataSync()));
    }
  });
  const logits = new Float32Array(n * outputs);
  let off = 0;
  for (const p of parts) {
    logits.set(p, off);
    off += p.length;
  }
  return { logits, outputs };
}

/** Index of the largest logit per row. */
export function argmaxRows(logits: Float32Array, columns: number): Int32Array {
  const n = logits.length / columns;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0, bestV = -Infinity;
    for (let c = 0; c < columns; c++) {
      const v = logits[i * columns + c]!;
      if (v > bestV) { bestV = v; best = c; }
    }
    out[i] = best;
  }
  return out;
}

/** The predicted class of every row; `features` as in predictLogits. */
export function predictClasses(model: ForwardModel, inputs: Float32Array, features: number | readonly number[]): Int32Array {
  const { logits, outputs } = predictLogits(model, inputs, features);
  return argmaxRows(logits, outputs);
}
