import { describe, expect, it } from 'vitest';
import { Tensor, cat, manualSeed, noGrad, randn, tensor } from '@tsgrad/tensor';
import { Adam, Linear, ReLU, Sequential, crossEntropy } from '@tsgrad/nn';

/**
 * End to end: a 2-layer MLP (Linear → ReLU → Linear) trained with Adam and
 * cross-entropy on a seeded, imbalanced 3-class problem (Gaussian blobs, 80/15/5),
 * must beat the majority-class baseline by a clear margin on held-out data.
 */

const MEANS = [
  [0, 0],
  [2.5, 0.5],
  [0.5, 2.5],
];
const SHARES = [0.8, 0.15, 0.05];
const STD = 0.8;

function blobs(n: number): { x: Tensor; y: Tensor } {
  const xs: Tensor[] = [];
  const ys: number[] = [];
  SHARES.forEach((share, c) => {
    const k = Math.round(n * share);
    xs.push(randn([k, 2]).mul(STD).add(tensor([MEANS[c]!])));
    for (let i = 0; i < k; i++) ys.push(c);
  });
  return { x: cat(xs, 0), y: tensor(ys, { dtype: 'int32' }) };
}

function scores(model: Sequential, x: Tensor, y: Tensor): { accuracy: number; balanced: number; recall: number[] } {
  const pred = noGrad(() => model.forward(x).argmax(1)).dataSync();
  const truth = y.dataSync();
  const hit = [0, 0, 0];
  const count = [0, 0, 0];
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    count[truth[i]!]!++;
    if (pred[i] === truth[i]) {
      correct++;
      hit[truth[i]!]!++;
    }
  }
  const recall = hit.map((h, c) => h / count[c]!);
  return { accuracy: correct / truth.length, balanced: recall.reduce((a, b) => a + b, 0) / 3, recall };
}

describe('MLP training (Adam + cross-entropy, imbalanced 3 classes)', () => {
  it('beats the majority-class baseline clearly on held-out data', () => {
    manualSeed(2024);
    const train = blobs(1000);
    const test = blobs(1000);
    const model = new Sequential(new Linear(2, 32), new ReLU(), new Linear(32, 3));
    const opt = new Adam(model.parameters(), { lr: 0.02 });

    // crossEntropy agrees with the logSoftmax/gather formula on this model.
    const logits0 = model.forward(train.x);
    const manual = logits0.logSoftmax(1).gather(1, train.y.unsqueeze(1)).mean().neg();
    expect(crossEntropy(logits0, train.y).item()).toBeCloseTo(manual.item(), 5);

    // Always predicting class 0: accuracy = its share, balanced accuracy = 1/3.
    const majorityAccuracy = test.y.eq(0).to('float64').mean().item();
    expect(majorityAccuracy).toBeCloseTo(0.8, 2);

    let first = 0;
    let last = 0;
    for (let epoch = 0; epoch < 300; epoch++) {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(train.x), train.y);
      loss.backward();
      opt.step();
      if (epoch === 0) first = loss.item();
      last = loss.item();
    }
    expect(last).toBeLessThan(first * 0.5);

    const s = scores(model, test.x, test.y);
    expect(s.accuracy).toBeGreaterThan(majorityAccuracy + 0.05);
    expect(s.balanced).toBeGreaterThanOrEqual(0.7);
    // The rarest class (5 %) is actually learned, not sacrificed to the majority.
    expect(s.recall[2]).toBeGreaterThan(0.5);
    if (process.env.TSGRAD_TRAIN_DEBUG) console.log(JSON.stringify({ first, last, ...s }));
  });
});
