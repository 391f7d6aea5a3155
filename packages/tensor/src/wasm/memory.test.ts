import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '@tsgrad/testing';
import { sizeClass } from './heap.js';
import { WasmBackend, getBackend, registerBackend, setBackend, tensor, type Tensor, type WasmStats } from '../index.js';

/*
 * The realistic user loop on the WebAssembly backend: a tiny MLP trained with plain
 * tensor ops, backward and an in-place SGD update, synchronously, WITHOUT dispose().
 * Every step leaves ~20 unreachable tensors whose heap blocks only a garbage
 * collection can free; finalization callbacks never run inside a synchronous loop, so
 * the backend forces a collection before the heap grows once enough has been allocated
 * since the last one (`relieve()`: an interval adapted to what a collection costs, at
 * most `pressureBytes`). The heap must therefore stop growing early, and nothing may leak.
 */

const IN = 16, HIDDEN = 32, OUT = 4, BATCH = 8, SAMPLES = 64;
const STEPS = 10_000;

let previous = '';
// A backend of its own (own heap, exact counts) whose collections are forced at least
// every 8 MiB: the backend adapts that interval to what a collection costs, which
// depends on the machine's load — the cap makes the heap's bound deterministic.
const wasm = new WasmBackend({ name: 'wasm-memory-test', pressureBytes: 8 * 2 ** 20 });
registerBackend(wasm);

beforeEach(() => {
  previous = getBackend().name;
  setBackend(wasm.name);
});
afterEach(() => setBackend(previous));

function uniform(n: number, scale: number, next: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
}

/** Losses of the first and last 8 steps of the loop below (for the training check). */
const losses: number[] = [];

describe('memory over a long training loop', () => {
  it(`${STEPS} SGD steps of a 16→32→4 MLP without dispose(): the heap stops growing and nothing leaks`, () => {
    wasm.collectGarbage(); // start from a clean slate: leftovers of module setup
    const s0 = wasm.stats();
    const next = mulberry32(2024);
    // A learnable task: the label is the quadrant of two input features.
    const xs = uniform(SAMPLES * IN, 1, next);
    const labels = Int32Array.from({ length: SAMPLES }, (_, i) => (xs[i * IN]! > 0 ? 2 : 0) + (xs[i * IN + 1]! > 0 ? 1 : 0));
    const X = tensor(xs, { shape: [SAMPLES, IN] });
    const Y = tensor(labels, { shape: [SAMPLES, 1], dtype: 'int32' });
    const w1 = tensor(uniform(IN * HIDDEN, 0.25, next), { shape: [IN, HIDDEN] }).requiresGrad_();
    const b1 = tensor(new Float32Array(HIDDEN)).requiresGrad_();
    const w2 = tensor(uniform(HIDDEN * OUT, 0.18, next), { shape: [HIDDEN, OUT] }).requiresGrad_();
    const b2 = tensor(new Float32Array(OUT)).requiresGrad_();
    const params: Tensor[] = [w1, b1, w2, b2];
    expect(params.every((p) => p.device === wasm.name)).toBe(true);
    // What stays reachable across steps: data, labels, parameters (one block each).
    const reachableBytes = [X.numel, Y.numel, ...params.map((p) => p.numel)].reduce((t, n) => t + sizeClass(4 * n), 0);

    const lr = 0.1;
    losses.length = 0;
    const checkpoints = new Map<number, WasmStats>();
    const t0 = performance.now();
    for (let step = 1; step <= STEPS; step++) {
      const k = step % (SAMPLES / BATCH);
      const x = X.slice(0, k * BATCH, (k + 1) * BATCH);
      const y = Y.slice(0, k * BATCH, (k + 1) * BATCH);
      const logits = x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
      const loss = logits.logSoftmax(1).gather(1, y).mean().neg();
      loss.backward();
      for (const p of params) {
        p.assign_(p.sub(p.grad!.mul(lr)));
        p.grad = null;
      }
      // Reading the loss only now and then: a read forces evaluation, which the
      // realistic loop does (logging) but not every step.
      if (step <= 8 || step > STEPS - 8) losses.push(loss.item());
      if (step % 500 === 0) checkpoints.set(step, wasm.stats());
    }
    const seconds = (performance.now() - t0) / 1000;
    const at1000 = checkpoints.get(1000)!;
    const at10000 = checkpoints.get(STEPS)!;
    const MiB = (b: number) => (b / 2 ** 20).toFixed(1);
    // The first checkpoint at which a forced collection had happened.
    const firstCollected = [...checkpoints.entries()].find(([, s]) => s.pressureCollections > s0.pressureCollections);
    console.log(
      `[wasm memory] ${STEPS} steps in ${seconds.toFixed(1)} s; heap ${MiB(at1000.memoryBytes)} MiB at step 1000 → ` +
        `${MiB(at10000.memoryBytes)} MiB at step ${STEPS} (live ${MiB(at1000.liveBytes)} → ${MiB(at10000.liveBytes)} MiB, ` +
        `grows ${at1000.grows} → ${at10000.grows}); first forced collection by step ${firstCollected?.[0] ?? 'never'}; ` +
        `finalized ${at10000.finalized - s0.finalized} blocks, ${at10000.pressureCollections - s0.pressureCollections} forced collections`,
    );

    // Unreachable tensors were freed by the backend itself (no dispose() here): blocks
    // were finalized and the heap served later steps from its free lists.
    expect(at10000.pressureCollections).toBeGreaterThan(s0.pressureCollections);
    expect(at10000.finalized).toBeGreaterThan(s0.finalized);
    expect(at10000.reused).toBeGreaterThan(at10000.fresh);
    expect(firstCollected).toBeDefined();

    // Flat once a forced collection has happened: memory at step 10,000 is what it was
    // at the first checkpoint after that collection, i.e. no growth at all in steady state.
    expect(at10000.memoryBytes).toBe(firstCollected![1].memoryBytes);
    expect(at10000.grows).toBe(firstCollected![1].grows);

    // Step 1,000 → 10,000: flat. Collections are forced at least every 8 MiB here
    // (this backend's pressureBytes), so a small loop never fills more than that.
    expect(at10000.memoryBytes).toBe(at1000.memoryBytes);
    expect(at10000.grows).toBe(at1000.grows);

    // Nothing leaks: after a full collection only the reachable tensors hold memory.
    wasm.collectGarbage();
    const end = wasm.stats();
    // (A block may come from a free list of a class up to twice its own size.)
    expect(end.liveBytes - s0.liveBytes).toBeLessThanOrEqual(2 * reachableBytes + 4096);
    expect(end.memoryBytes).toBe(at10000.memoryBytes);
    // The parameters survive every in-place swap and collection: still readable, right size.
    for (const p of params) expect(p.dataSync().length).toBe(p.numel);
  }, 60_000);

  // This caught a real bug (fixed): a reduction across outputs read a broadcast operand
  // as a vector, so b2's gradient was wrong and the loss blew up around step 1,500.
  it('the loop really trains: the loss of the last 8 steps is finite and far below the first 8', () => {
    expect(losses.length).toBe(16);
    const first = losses.slice(0, 8).reduce((a, b) => a + b, 0) / 8;
    const last = losses.slice(8).reduce((a, b) => a + b, 0) / 8;
    expect(first).toBeGreaterThan(1); // ≈ ln 4 for an untrained 4-way classifier
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(0.25 * first);
  });
});
