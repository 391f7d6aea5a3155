import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, Linear, ReLU, SGD, Sequential, crossEntropy, dualFocalLoss } from '@tsgrad/nn';
import { WasmBackend, getBackend, manualSeed, registerBackend, setBackend, tensor, tidy, type Tensor, type WasmStats } from '@tsgrad/tensor';
import { mulberry32 } from '@tsgrad/testing';

/*
 * The browser's situation in Node: a synchronous training loop (no await, so no
 * finalization callback can run) on the WebAssembly backend, each step inside `tidy`.
 * Device memory must be flat from the first steps on WITHOUT the garbage collector:
 * the backend's finalized and forced-collection counters must not move at all, so
 * every block was freed explicitly by the scope, the optimiser and the loss.
 */

const wasm = new WasmBackend({ name: 'wasm-scope-loop' });
registerBackend(wasm);
let previous = '';
beforeAll(() => {
  previous = getBackend().name;
  setBackend(wasm.name);
});
afterAll(() => setBackend(previous));

const N = 256, BATCH = 64, CLASSES = 3;

function data(seed: number): { x: Tensor; y: Tensor } {
  const next = mulberry32(seed);
  const xs = Float32Array.from({ length: N * 2 }, () => next() * 2 - 1);
  // Three classes by angle: a task a small MLP learns in a few hundred steps.
  const ys = Int32Array.from({ length: N }, (_, i) => Math.floor(((Math.atan2(xs[2 * i + 1]!, xs[2 * i]!) + Math.PI) / (2 * Math.PI)) * CLASSES) % CLASSES);
  return { x: tensor(xs, { shape: [N, 2] }), y: tensor(ys, { dtype: 'int32' }) };
}

interface LoopResult { losses: number[]; at: Map<number, WasmStats> }

function train(steps: number, opts: { loss: 'ce' | 'dual-focal'; optimizer: 'adam' | 'sgd'; scoped: boolean; readEvery: number }): LoopResult {
  manualSeed(7);
  const { x, y } = data(11);
  const model = new Sequential(new Linear(2, 32), new ReLU(), new Linear(32, 32), new ReLU(), new Linear(32, CLASSES));
  const opt = opts.optimizer === 'adam' ? new Adam(model.parameters(), { lr: 1e-2 }) : new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const losses: number[] = [];
  const at = new Map<number, WasmStats>();
  const step = (i: number) => {
    const k = i % (N / BATCH);
    const xb = x.slice(0, k * BATCH, (k + 1) * BATCH);
    const yb = y.slice(0, k * BATCH, (k + 1) * BATCH);
    opt.zeroGrad();
    const logits = model.forward(xb);
    const loss = opts.loss === 'ce' ? crossEntropy(logits, yb) : dualFocalLoss(logits, yb, { gamma: 2 });
    loss.backward();
    opt.step();
    if (i % opts.readEvery === 0) losses.push(loss.item());
  };
  for (let i = 1; i <= steps; i++) {
    if (opts.scoped) tidy(() => step(i));
    else step(i);
    if (i === 20 || i % 500 === 0 || i === steps) at.set(i, wasm.stats());
  }
  return { losses, at };
}

describe('a synchronous training loop inside tidy holds device memory flat without the garbage collector', () => {
  for (const [loss, optimizer, steps] of [['ce', 'adam', 2000], ['dual-focal', 'sgd', 500]] as const) {
    it(`${steps} steps, ${loss} + ${optimizer === 'adam' ? 'Adam' : 'SGD with momentum'}, loss read every step`, () => {
      const s0 = wasm.stats();
      const t0 = performance.now();
      const r = train(steps, { loss, optimizer, scoped: true, readEvery: 1 });
      const ms = performance.now() - t0;
      const a = r.at.get(20)!, b = r.at.get(steps)!;
      console.log(
        `[tidy ${loss}/${optimizer}] ${steps} steps in ${(ms / 1000).toFixed(1)} s; live ${a.liveBytes} B (${a.liveBlocks} blocks) at step 20 → ` +
          `${b.liveBytes} B (${b.liveBlocks} blocks) at step ${steps}; heap ${a.memoryBytes} → ${b.memoryBytes} B; ` +
          `released ${b.released - s0.released}, finalized ${b.finalized - s0.finalized}, forced collections ${b.pressureCollections - s0.pressureCollections}`,
      );
      // Exactly flat: the same live blocks and bytes at step 20 and every 500 steps after.
      for (const [step, s] of r.at) {
        if (step < 20) continue;
        expect({ step, live: s.liveBytes, blocks: s.liveBlocks, heap: s.memoryBytes }).toEqual({ step, live: a.liveBytes, blocks: a.liveBlocks, heap: a.memoryBytes });
      }
      // …and no help from the garbage collector: nothing finalized, no collection forced.
      expect(b.finalized).toBe(s0.finalized);
      expect(b.pressureCollections).toBe(s0.pressureCollections);
      expect(b.released - s0.released).toBeGreaterThan(steps * 10);
      // The loop trains.
      const first = r.losses.slice(0, 20).reduce((p, q) => p + q, 0) / 20;
      const last = r.losses.slice(-20).reduce((p, q) => p + q, 0) / 20;
      expect(last).toBeLessThan(0.5 * first);
    }, 120_000);
  }

  it('the same loop without tidy grows by every step (the measurement can fail)', () => {
    const s0 = wasm.stats();
    const r = train(60, { loss: 'ce', optimizer: 'adam', scoped: false, readEvery: 1 });
    const b = r.at.get(60)!;
    console.log(`[no tidy] live bytes grew by ${((b.liveBytes - s0.liveBytes) / 60 / 1024).toFixed(1)} KiB a step over 60 steps (finalized ${b.finalized - s0.finalized})`);
    // Unreachable tensors pile up until a collection (none can run inside the loop here).
    expect(b.liveBytes - s0.liveBytes).toBeGreaterThan(60 * 10_000);
  });
});
