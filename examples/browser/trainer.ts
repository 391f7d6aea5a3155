/**
 * The browser demo's training logic, free of DOM and Node built-ins so that the page
 * and a Node run (the browser test's reference) execute exactly the same code: spiral
 * arms with one rare arm, an MLP 2→h→h→K, Adam, one of three losses, every step in a
 * memory scope (`tidy`) so device memory stays flat in a synchronous loop.
 */
import { Adam, Linear, ReLU, Sequential } from '@tsgrad/nn';
import { manualSeed, noGrad, tensor, tidy, keep, type Tensor } from '@tsgrad/tensor';
import { makeClassificationLoss, type ClassificationLoss } from '../lib/classification-losses.js';
import { SeededRandom } from '../lib/rng.js';
import { shuffleSet, spiralPoints, type SpiralSet } from '../lib/spiral-data.js';

/** The losses the page offers (the trainable-γ variant needs a second optimiser group; the CLI has it). */
export const DEMO_LOSSES = ['ce', 'focal', 'dual-focal'] as const;
export type DemoLoss = (typeof DEMO_LOSSES)[number];

export interface DemoConfig {
  seed: number;
  loss: DemoLoss;
  arms: number;
  /** The arm with few training points. */
  rareArm: number;
  trainPerArm: number;
  /** Fraction of the rare arm's training points kept. */
  rareKeep: number;
  testPerArm: number;
  hidden: number;
  lr: number;
  batchSize: number;
}

export const DEFAULT_CONFIG: DemoConfig = {
  seed: 1, loss: 'ce', arms: 3, rareArm: 2, trainPerArm: 300, rareKeep: 0.1, testPerArm: 100, hidden: 32, lr: 1e-2, batchSize: 64,
};

/** Side of the square grid over [-1.1, 1.1]² on which the decision regions are evaluated. */
export const GRID = 48;
export const EXTENT = 1.1;

export class SpiralTrainer {
  readonly config: DemoConfig;
  readonly train: SpiralSet;
  readonly test: SpiralSet;
  readonly trainCounts: number[];
  private readonly model: Sequential;
  private readonly opt: Adam;
  private readonly lossFn: ClassificationLoss;
  private readonly x: Tensor;
  private readonly y: Tensor;
  private readonly testX: Tensor;
  private readonly gridX: Tensor;
  private readonly order: SeededRandom;
  private perm: number[] = [];
  private cursor = 0;
  steps = 0;

  /** Builds data and model on the current backend (call `setBackend` first). */
  constructor(config: Partial<DemoConfig> = {}) {
    const c = { ...DEFAULT_CONFIG, ...config };
    this.config = c;
    const rng = new SeededRandom(c.seed);
    this.trainCounts = Array.from({ length: c.arms }, (_, k) => (k === c.rareArm ? Math.max(2, Math.round(c.trainPerArm * c.rareKeep)) : c.trainPerArm));
    this.train = shuffleSet(spiralPoints(this.trainCounts, rng), rng);
    this.test = spiralPoints(new Array<number>(c.arms).fill(c.testPerArm), rng);
    this.order = new SeededRandom(c.seed + 1);
    // Data and the evaluation grid live for the whole run: kept out of any scope.
    this.x = keep(tensor(this.train.x, { shape: [this.train.y.length, 2] }));
    this.y = keep(tensor(this.train.y, { dtype: 'int32' }));
    this.testX = keep(tensor(this.test.x, { shape: [this.test.y.length, 2] }));
    const g = new Float32Array(GRID * GRID * 2);
    for (let r = 0; r < GRID; r++) {
      for (let q = 0; q < GRID; q++) {
        const i = r * GRID + q;
        g[2 * i] = -EXTENT + (2 * EXTENT * (q + 0.5)) / GRID;
        g[2 * i + 1] = EXTENT - (2 * EXTENT * (r + 0.5)) / GRID;
      }
    }
    this.gridX = keep(tensor(g, { shape: [GRID * GRID, 2] }));
    manualSeed(c.seed);
    this.model = new Sequential(new Linear(2, c.hidden), new ReLU(), new Linear(c.hidden, c.hidden), new ReLU(), new Linear(c.hidden, c.arms));
    this.opt = new Adam(this.model.parameters(), { lr: c.lr });
    this.lossFn = makeClassificationLoss(c.loss);
  }

  private nextBatch(): Int32Array {
    const n = this.train.y.length;
    const idx = new Int32Array(Math.min(this.config.batchSize, n));
    for (let i = 0; i < idx.length; i++) {
      if (this.cursor >= this.perm.length) {
        this.perm = this.order.permutation(n);
        this.cursor = 0;
      }
      idx[i] = this.perm[this.cursor++]!;
    }
    return idx;
  }

  /**
   * One Adam step on the next minibatch, inside a memory scope (`scoped` = false runs
   * it bare, to show what the scope saves). Returns the batch loss when `read` (a
   * device → host read every step), else null (the loss is not read).
   */
  step(read = true, scoped = true): number | null {
    const idx = this.nextBatch();
    this.steps++;
    const body = () => {
      const index = tensor(idx, { dtype: 'int32' });
      const xb = this.x.indexSelect(0, index);
      const yb = this.y.indexSelect(0, index);
      this.opt.zeroGrad();
      const loss = this.lossFn.forward(this.model.forward(xb), yb);
      loss.backward();
      this.opt.step();
      return read ? loss.item() : null;
    };
    return scoped ? tidy(body) : body();
  }

  private predict(x: Tensor): Int32Array {
    return tidy(() => noGrad(() => this.model.forward(x).argmax(1).dataSync() as Int32Array));
  }

  /** The predicted arm at every grid cell, row-major from the top-left corner. */
  gridPredictions(): Int32Array {
    return this.predict(this.gridX);
  }

  /** Recall of each arm on the balanced test set. */
  testRecall(): number[] {
    const pred = this.predict(this.testX);
    const hit = new Array<number>(this.config.arms).fill(0);
    const count = new Array<number>(this.config.arms).fill(0);
    this.test.y.forEach((k, i) => {
      count[k]!++;
      if (pred[i] === k) hit[k]!++;
    });
    return hit.map((h, k) => (count[k]! > 0 ? h / count[k]! : 0));
  }

  /** Frees the device memory of the data, the model and the optimiser state. */
  dispose(): void {
    for (const p of this.model.parameters()) p.grad?.dispose();
    for (const t of [this.x, this.y, this.testX, this.gridX, ...this.model.parameters()]) t.dispose();
    for (const s of this.opt.state.values()) for (const t of [s.expAvg, s.expAvgSq, s.maxExpAvgSq]) t?.dispose();
  }

  /** Every parameter's values, concatenated (for comparing runs). */
  parameterValues(): number[] {
    return this.model.parameters().flatMap((p) => Array.from(p.dataSync()));
  }
}
