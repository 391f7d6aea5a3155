import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { noGrad, tensor, type Tensor } from '../index.js';

/*
 * assign_ writes through the storage (PyTorch's copy_), on every backend: after writing
 * into a base tensor or into any view of it, every view taken before reads the new
 * values, and an op recorded before the write computes from the old ones. Checked
 * against a plain array over random shapes, random chains of views (reshape, transpose,
 * strided slices) and a random target among them.
 */

type ViewOp = { name: string; apply: (t: Tensor) => Tensor | null };

const VIEW_OPS: ViewOp[] = [
  { name: 'reshape(-1)', apply: (t) => t.reshape([-1]) },
  { name: 'transpose', apply: (t) => (t.ndim >= 2 ? t.transpose(0, 1) : null) },
  { name: 'slice step 2', apply: (t) => (t.shape[0]! >= 2 ? t.slice(0, 0, null, 2) : null) },
  { name: 'slice from 1', apply: (t) => (t.shape[0]! >= 2 ? t.slice(0, 1) : null) },
  { name: 'unsqueeze', apply: (t) => t.unsqueeze(0) },
];

function chain(t: Tensor, ops: readonly number[]): Tensor {
  let cur = t;
  for (const k of ops) cur = VIEW_OPS[k]!.apply(cur) ?? cur;
  return cur;
}

describe('assign_ through views (property)', () => {
  it('every view sees the write, ops recorded before it keep the old values, on base and view targets alike', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.array(fc.nat(VIEW_OPS.length - 1), { maxLength: 3 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.integer({ min: 1, max: 1000 }),
        (shape, viewChains, pick, salt) => {
          const n = shape.reduce((a, b) => a * b, 1);
          const data = Array.from({ length: n }, (_, i) => i + 1);
          const base = tensor(data, { shape });
          // The storage position of every element of a view: the same view of the positions.
          const positions = tensor(Array.from({ length: n }, (_, i) => i), { shape, dtype: 'int32' });
          const views = viewChains.map((c) => chain(base, c));
          const where = viewChains.map((c) => Array.from(chain(positions, c).dataSync()));
          const targetIndex = pick % (views.length + 1); // the last one: the base itself
          const target = targetIndex === views.length ? base : views[targetIndex]!;
          // reshape of a non-contiguous view copies (as PyTorch's): such a "view" has a
          // storage of its own, which a write to the base does not reach, and vice versa.
          // (Decided before the write: a write never changes which storage a tensor reads.)
          const sharing = views.map((v) => v.storage === base.storage);
          const targetShares = target.storage === base.storage;
          const before = views.map((v) => v.mul(1)); // recorded before the write
          const oldValues = views.map((v) => Array.from(v.dataSync()));
          const value = Array.from({ length: target.numel }, (_, i) => -(salt + i));
          noGrad(() => target.assign_(tensor(value, { shape: [...target.shape] })));
          const expected = [...data];
          if (targetShares) {
            const targetPos = targetIndex === views.length ? data.map((_, i) => i) : where[targetIndex]!;
            targetPos.forEach((p, i) => (expected[p] = value[i]!));
          }
          views.forEach((v, k) => {
            const want = v === target ? value : sharing[k] ? where[k]!.map((p) => expected[p]!) : oldValues[k]!;
            expect(Array.from(v.dataSync()), `view ${k} (${viewChains[k]!.map((o) => VIEW_OPS[o]!.name).join(', ')})`).toEqual(want);
            expect(Array.from(before[k]!.dataSync())).toEqual(oldValues[k]);
          });
          expect(Array.from(base.reshape([-1]).dataSync())).toEqual(expected);
          expect(views.map((v) => v.storage === base.storage)).toEqual(sharing);
        },
      ),
      { numRuns: 150 },
    );
  });
});
