/** Running a trained model over a whole data set in chunks, without recording a graph. */
import { noGrad, tensor, type Tensor } from '@tsgrad/tensor';

export interface ForwardModel {
  forward(x: Tensor): Tensor;
}

/** Logits for every row of a row-major [n, features] array, as one [n, outputs] Float32Array. */
export function predictLogits(model: ForwardModel, inputs: Float32Array, features: number, chunk = 1024): { logits: Float32Array; outputs: number } {
  const n = inputs.length / features;
  const parts: Float32Array[] = [];
  let outputs = 0;
  noGrad(() => {
    for (let start = 0; start < n; start += chunk) {
      const rows = Math.min(chunk, n - start);
      const x = tensor(inputs.subarray(start * features, (start + rows) * features), { shape: [rows, features] });
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

export function predictClasses(model: ForwardModel, inputs: Float32Array, features: number): Int32Array {
  const { logits, outputs } = predictLogits(model, inputs, features);
  return argmaxRows(logits, outputs);
}
