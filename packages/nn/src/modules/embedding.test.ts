import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DTypeError, IndexError, ValueError, cat, manualSeed, randn, tensor } from '@tsgrad/tensor';

import { gradcheck, mulberry32 } from '@tsgrad/testing';
import { Embedding, embedding } from '../index.js';
import { data64, expectAllClose } from './test-helpers.js';

const i32 = (data: number[], shape: number[]) => tensor(Int32Array.from(data), { dtype: 'int32', shape });

describe('Embedding', () => {
  it('looks up rows for int32 indices of any shape: [...indices.shape, embeddingDim]', () => {
    const e = new Embedding(5, 3, { dtype: 'float64' });
    const w = data64(e.weight);
    for (const [idx, shape] of [[[4], []], [[0, 2, 2], [3]], [[1, 4, 0, 3, 3, 2], [2, 3]], [[2, 0], [1, 1, 2]]] as [number[], number[]][]) {
      const out = e.forward(i32(idx, shape));
      expect(out.shape).toEqual([...shape, 3]);
      expectAllClose(data64(out), idx.flatMap((i) => [w[3 * i]!, w[3 * i + 1]!, w[3 * i + 2]!]), 0);
    }
  });

  it('initialises from N(0, 1) with the seeded generator (as randn), padding row zeroed', () => {
    manualSeed(3);
    const e = new Embedding(400, 50);
    const v = data64(e.weight);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    expect(Math.abs(mean)).toBeLessThan(0.02); // 20 000 draws: 4 standard errors ≈ 0.028
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
    manualSeed(3);
    expectAllClose(data64(new Embedding(400, 50).weight), v, 0);
    manualSeed(4);
    const p = new Embedding(6, 4, { paddingIdx: -2 });
    expect(p.paddingIdx).toBe(4);
    const pw = data64(p.weight);
    expect(Array.from(pw.slice(16, 20))).toEqual([0, 0, 0, 0]);
    expect(pw.slice(0, 16).every((x) => x !== 0)).toBe(true);
  });

  it('the gradient scatter-adds into the rows looked up; the padding row gets none', () => {
    const e = new Embedding(4, 2, { paddingIdx: 1, dtype: 'float64' });
    e.weight.assign_(tensor([[1, 2], [3, 4], [5, 6], [7, 8]], { dtype: 'float64' }));
    const idx = i32([0, 1, 0, 3, 1], [5]);
    const out = e.forward(idx);
    // The padding row's value is returned as it is (PyTorch), only its gradient is cut.
    expectAllClose(data64(out), [1, 2, 3, 4, 1, 2, 7, 8, 3, 4], 0);
    out.mul(tensor([[1, 10], [2, 20], [3, 30], [4, 40], [5, 50]], { dtype: 'float64' })).sum().backward();
    expectAllClose(data64(e.weight.grad!), [4, 40, 0, 0, 0, 0, 4, 40], 0);
  });

  it('gradcheck (float64) of embedding w.r.t. the weight over random index shapes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }), fc.integer({ min: 0, max: 1e9 }), fc.boolean(), (num, dim, shape, seed, padded) => {
        const next = mulberry32(seed);
        const n = shape.reduce((a, b) => a * b, 1);
        const idx = i32(Array.from({ length: n }, () => Math.floor(next() * num)), shape);
        if (!padded) {
          gradcheck((wi) => embedding(idx, wi!).square(), [randn([num, dim], { dtype: 'float64' }).requiresGrad_()]);
          return;
        }
        // With paddingIdx 0, row 0 is a constant as far as the gradient goes: check the
        // other rows, with row 0 held fixed outside the differentiated inputs.
        const row0 = randn([1, dim], { dtype: 'float64' });
        const rest = randn([num - 1, dim], { dtype: 'float64' }).requiresGrad_();
        if (num > 1) gradcheck((ri) => embedding(idx, cat([row0, ri!], 0), { paddingIdx: 0 }).square(), [rest]);
        const w = cat([row0, rest.detach()], 0).requiresGrad_();
        embedding(idx, w, { paddingIdx: 0 }).sum().backward();
        expect(Array.from(w.grad!.dataSync().slice(0, dim))).toEqual(Array<number>(dim).fill(0));
      }),
      { numRuns: 40 },
    );
  });

  it('fromPretrained copies the table, frozen by default, without drawing from the generator', () => {
    const table = tensor([[1, 2], [3, 4], [5, 6]]);
    manualSeed(1);
    const e = Embedding.fromPretrained(table, { paddingIdx: 0 });
    const after = randn([3]).dataSync();
    manualSeed(1);
    expect(Array.from(randn([3]).dataSync())).toEqual(Array.from(after));
    expect(e.weight.requiresGrad).toBe(false);
    expect(Array.from(e.weight.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    table.assign_(tensor([[0, 0], [0, 0], [0, 0]]));
    expect(Array.from(e.weight.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Embedding.fromPretrained(tensor([[1, 2]]), { freeze: false }).weight.requiresGrad).toBe(true);
  });

  it('rejects bad arguments naming the call', () => {
    const e = new Embedding(3, 2);
    expect(() => e.forward(tensor([0, 1]))).toThrow(DTypeError);
    expect(() => e.forward(i32([0, 3], [2]))).toThrow(IndexError);
    expect(() => e.forward(i32([-1], [1]))).toThrow(/Embedding: argument 'input' contains index -1/);
    expect(() => new Embedding(3, 2, { paddingIdx: 3 })).toThrow(/paddingIdx/);
    expect(() => new Embedding(0, 2)).toThrow(ValueError);
    expect(() => new Embedding(3, 2, { padding_idx: 0 } as never)).toThrow(/unknown option 'padding_idx'/);
    expect(() => embedding(i32([0], [1]), tensor([1, 2]))).toThrow(/embedding: argument 'weight'/);
  });
});
