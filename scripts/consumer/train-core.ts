/*
 * The consumer's training loop, shared by the Node script (train.ts) and the browser
 * bundles (browser.ts, browser-gpu.ts): a 2 → 16 → 3 MLP with Adam and cross-entropy
 * on seeded Gaussian blobs. Written the way a user of the published packages writes
 * it, under strict compiler flags (see tsconfig.base.json).
 */
import { backendInfo, cat, manualSeed, noGrad, randn, tensor, type Tensor } from '@tsgrad/tensor';
import { Adam, Linear, ReLU, Sequential, crossEntropy } from '@tsgrad/nn';

export interface TrainResult {
  readonly backend: string;
  readonly mode: string;
  readonly losses: readonly number[];
  readonly accuracy: number;
}

const MEANS: readonly (readonly [number, number])[] = [[0, 0], [2.5, 0.5], [0.5, 2.5]];

function blobs(perClass: number): { x: Tensor; y: Tensor } {
  const xs: Tensor[] = [];
  const ys: number[] = [];
  MEANS.forEach((mean, c) => {
    xs.push(randn([perClass, 2]).mul(0.6).add(tensor([[mean[0], mean[1]]])));
    for (let i = 0; i < perClass; i++) ys.push(c);
  });
  return { x: cat(xs, 0), y: tensor(ys, { dtype: 'int32' }) };
}

export function trainMlp(steps = 30, seed = 0): TrainResult {
  manualSeed(seed);
  const { x, y } = blobs(64);
  const model = new Sequential(new Linear(2, 16), new ReLU(), new Linear(16, 3));
  const opt = new Adam(model.parameters(), { lr: 0.05 });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  const pred = noGrad(() => model.forward(x).argmax(1)).dataSync();
  const truth = y.dataSync();
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (pred[i] === truth[i]) hits++;
  const info = backendInfo();
  return { backend: info.backend, mode: String(info['mode'] ?? ''), losses, accuracy: hits / truth.length };
}

/** Throws unless the loss fell clearly and the model beats chance; returns a one-line summary. */
export function checkTrained(r: TrainResult): string {
  const first = r.losses[0];
  const last = r.losses[r.losses.length - 1];
  if (first === undefined || last === undefined || !(last < 0.6 * first)) {
    throw new Error(`loss did not fall on ${r.backend}: ${JSON.stringify(r.losses)}`);
  }
  if (!(r.accuracy > 0.8)) throw new Error(`accuracy ${r.accuracy} on ${r.backend}, expected > 0.8`);
  return `${r.backend}${r.mode ? ` (${r.mode})` : ''}: loss ${first.toFixed(4)} -> ${last.toFixed(4)} in ${r.losses.length} steps, accuracy ${r.accuracy.toFixed(3)}`;
}
