import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Tensor, tensor, zeros, arange, reshape, flatten, squeeze, unsqueeze, permute, transpose, expand, contiguous, slice,
  narrow, split, chunk, cat, stack, CpuStorage,
} from './index.js';
import {
  type Ref, numel, stridesOf, forEachIndex, randomRef, make, layouts, arbShape, permuteRef, takeRef,
} from './test-support/reference.js';

/*
 * Shape ops against reference index arithmetic written here, on contiguous and
 * non-contiguous inputs, plus which ops return views (shared storage) and which copy.
 */

/** Python's slice(start, end, step) positions for a dim of `size`. */
function sliceIndices(size: number, start: number | undefined, end: number | undefined, step: number): number[] {
  const norm = (v: number) => (v < 0 ? Math.max(0, v + size) : Math.min(v, size));
  const s = start === undefined ? 0 : norm(start);
  const e = end === undefined ? size : norm(end);
  const out: number[] = [];
  for (let i = s; i < e; i += step) out.push(i);
  return out;
}

function catRef(parts: readonly Ref[], dim: number): Ref {
  const shape = [...parts[0]!.shape];
  shape[dim] = parts.reduce((a, p) => a + p.shape[dim]!, 0);
  const data = new Float64Array(numel(shape));
  forEachIndex(shape, (idx, flat) => {
    let j = idx[dim]!;
    let k = 0;
    while (j >= parts[k]!.shape[dim]!) j -= parts[k++]!.shape[dim]!;
    const p = parts[k]!;
    const st = stridesOf(p.shape);
    let off = 0;
    for (let i = 0; i < idx.length; i++) off += (i === dim ? j : idx[i]!) * st[i]!;
    data[flat] = p.data[off]!;
  });
  return { shape, data };
}

function expectRef(t: Tensor, r: Ref, what = ''): void {
  expect(t.shape, `${what}: shape`).toEqual(r.shape);
  expect(Array.from(t.dataSync()), `${what}: values`).toEqual(Array.from(r.data));
}

const arbShapeSeed = fc.record({ shape: arbShape(), seed: fc.integer() });
const arbPerm = (n: number) => fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n });

describe('reshape / view / flatten / squeeze / unsqueeze', () => {
  it('reshape keeps row-major order, infers -1, and works on every layout', () => {
    fc.assert(
      fc.property(arbShapeSeed, fc.nat(), fc.boolean(), ({ shape, seed }, k, useInfer) => {
        const ref = randomRef(shape, seed, -9, 9);
        for (const { name, t, ref: r } of layouts(ref, 'float64')) {
          // A target with the same element count: the dims reversed, one maybe given as -1.
          const target: number[] = [...r.shape].reverse();
          if (useInfer && target.length > 0) target[k % target.length] = -1;
          const expectedShape = [...r.shape].reverse();
          const out = reshape(t, target);
          expectRef(out, { shape: expectedShape, data: r.data }, `reshape ${name} [${r.shape}] -> [${target}]`);
          expectRef(t.view([-1]), { shape: [r.data.length], data: r.data }, `view(-1) ${name}`);
          expectRef(t.reshape([1, ...r.shape, 1]).reshape([...r.shape]), r, `reshape round trip ${name}`);
          if (r.data.length === 1) expectRef(t.reshape([]), { shape: [], data: r.data }, `reshape to 0-d ${name}`);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('reshape to [] works only for one element; 0-size tensors reshape too', () => {
    expect(reshape(tensor([[5]]), []).shape).toEqual([]);
    expect(reshape(tensor([[5]]), []).item()).toBe(5);
    expect(reshape(zeros([0, 3]), [3, 0, 2]).shape).toEqual([3, 0, 2]);
    expect(reshape(zeros([2, 0]), [5, -1]).shape).toEqual([5, 0]);
  });

  it('flatten(startDim, endDim) merges a dim range', () => {
    fc.assert(
      fc.property(arbShapeSeed, fc.nat(), fc.nat(), ({ shape, seed }, i, j) => {
        const ref = randomRef(shape, seed, -9, 9);
        for (const { name, t, ref: r } of layouts(ref, 'float64')) {
          if (r.shape.length === 0) {
            expectRef(flatten(t), { shape: [1], data: r.data }, 'flatten 0-d');
            continue;
          }
          const n = r.shape.length;
          const [s, e] = [i % n, j % n].sort((a, b) => a - b) as [number, number];
          const expectedShape = [...r.shape.slice(0, s), numel(r.shape.slice(s, e + 1)), ...r.shape.slice(e + 1)];
          expectRef(flatten(t, s, e - n), { shape: expectedShape, data: r.data }, `flatten(${s}, ${e - n}) ${name}`);
          expectRef(t.flatten(), { shape: [r.data.length], data: r.data }, `flatten() ${name}`);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('squeeze removes size-1 dims (all, one, or a list; others are left alone) and unsqueeze inserts one', () => {
    const x = tensor(new Float64Array([1, 2, 3]), { shape: [1, 3, 1, 1] });
    expect(squeeze(x).shape).toEqual([3]);
    expect(squeeze(x, 0).shape).toEqual([3, 1, 1]);
    expect(squeeze(x, 1).shape).toEqual([1, 3, 1, 1]);
    expect(squeeze(x, [-1, 0]).shape).toEqual([3, 1]);
    expect(x.squeeze(2).squeeze(2).toArray()).toEqual([[1, 2, 3]]);
    expect(squeeze(tensor(7)).shape).toEqual([]);
    const y = tensor([[1, 2], [3, 4]]);
    expect(unsqueeze(y, 0).shape).toEqual([1, 2, 2]);
    expect(unsqueeze(y, 1).toArray()).toEqual([[[1, 2]], [[3, 4]]]);
    expect(unsqueeze(y, 2).toArray()).toEqual([[[1], [2]], [[3], [4]]]);
    expect(unsqueeze(y, -1).shape).toEqual([2, 2, 1]);
    expect(unsqueeze(y, -3).shape).toEqual([1, 2, 2]);
    expect(unsqueeze(tensor(7), 0).toArray()).toEqual([7]);
    // on a transposed view
    expect(unsqueeze(y.transpose(0, 1), 1).toArray()).toEqual([[[1, 3]], [[2, 4]]]);
  });
});

describe('permute / transpose / expand / contiguous', () => {
  it('permute matches the reference for random permutations of every layout', () => {
    fc.assert(
      fc.property(arbShapeSeed, fc.integer(), ({ shape, seed }, permSeed) => {
        const ref = randomRef(shape, seed, -9, 9);
        for (const { name, t, ref: r } of layouts(ref, 'float64')) {
          const perm = fc.sample(arbPerm(r.shape.length), { seed: permSeed, numRuns: 1 })[0]!;
          const out = permute(t, perm);
          expectRef(out, permuteRef(r, perm), `permute ${name} [${r.shape}] by [${perm}]`);
          expectRef(contiguous(out), permuteRef(r, perm), `contiguous(permute) ${name}`);
          // negative dims name the same permutation
          expectRef(t.permute(perm.map((p) => p - r.shape.length)), permuteRef(r, perm), `permute negative ${name}`);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('transpose swaps two dims (default the last two); .T transposes a matrix', () => {
    fc.assert(
      fc.property(arbShapeSeed, fc.nat(), fc.nat(), ({ shape, seed }, i, j) => {
        if (shape.length < 2) return;
        const ref = randomRef(shape, seed, -9, 9);
        const n = shape.length;
        const perm = shape.map((_, k) => k);
        [perm[i % n], perm[j % n]] = [perm[j % n]!, perm[i % n]!];
        for (const { name, t, ref: r } of layouts(ref, 'float64')) {
          const shift = r.shape.length - n;
          const p = [...Array.from({ length: shift }, (_, k) => k), ...perm.map((d) => d + shift)];
          expectRef(transpose(t, (i % n) + shift, (j % n) - n), permuteRef(r, p), `transpose ${name}`);
        }
        const last = shape.map((_, k) => k);
        [last[n - 2], last[n - 1]] = [last[n - 1]!, last[n - 2]!];
        expectRef(make(ref, 'float64').transpose(), permuteRef(ref, last), 'transpose()');
      }),
      { numRuns: 20 },
    );
    const m = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(m.T.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(transpose(tensor([1, 2]), 0, 0).toArray()).toEqual([1, 2]);
  });

  it('expand / broadcastTo repeat size-1 and new leading dims; -1 keeps a dim', () => {
    fc.assert(
      fc.property(
        fc.record({ out: arbShape(), drop: fc.nat({ max: 4 }), ones: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), keep: fc.boolean(), seed: fc.integer() }),
        ({ out, drop, ones, keep, seed }) => {
          const k = Math.min(drop, out.length);
          const shape = out.slice(k).map((d, i) => (ones[i + k] ? 1 : d));
          const ref = randomRef(shape, seed, -9, 9);
          const expected: Ref = { shape: [...out], data: new Float64Array(numel(out)) };
          const st = stridesOf(shape);
          forEachIndex(out, (idx, flat) => {
            let off = 0;
            for (let i = 0; i < shape.length; i++) off += (shape[i] === 1 ? 0 : idx[k + i]!) * st[i]!;
            expected.data[flat] = ref.data[off]!;
          });
          const target = keep ? out.map((d, i) => (i >= k && shape[i - k] === d ? -1 : d)) : out;
          for (const { name, t } of layouts(ref, 'float64')) {
            if (name === 'expanded') continue;
            const e = expand(t, target);
            expectRef(e, expected, `expand ${name} [${shape}] -> [${target}]`);
            expectRef(t.broadcastTo(out), expected, `broadcastTo ${name}`);
            expect(e.storage).toBe(t.storage);
            expectRef(e.contiguous(), expected, `contiguous(expand) ${name}`);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('contiguous() returns the tensor itself when already contiguous and a packed copy otherwise', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(contiguous(x)).toBe(x);
    expect(x.isContiguous()).toBe(true);
    const t = x.transpose(0, 1);
    expect(t.isContiguous()).toBe(false);
    const c = t.contiguous();
    expect(c.isContiguous()).toBe(true);
    expect(c.storage).not.toBe(x.storage);
    expect(c.strides).toEqual([2, 1]);
    expect(c.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
  });
});

describe('slice / narrow / split / chunk / cat / stack', () => {
  it('slice(dim, start, end, step) follows Python slicing (negative and out-of-range bounds clamp) on every layout', () => {
    const bound = fc.option(fc.integer({ min: -6, max: 6 }), { nil: undefined });
    fc.assert(
      fc.property(arbShapeSeed, fc.nat(), bound, bound, fc.integer({ min: 1, max: 3 }), ({ shape, seed }, k, start, end, step) => {
        if (shape.length === 0) return;
        const ref = randomRef(shape, seed, -9, 9);
        for (const { name, t, ref: r } of layouts(ref, 'float64')) {
          const dim = k % r.shape.length;
          const expected = takeRef(r, dim, sliceIndices(r.shape[dim]!, start, end, step));
          const out = slice(t, dim - (k % 2 ? r.shape.length : 0), start, end, step);
          expectRef(out, expected, `slice ${name} [${r.shape}] dim ${dim} ${start}:${end}:${step}`);
          expect(out.storage).toBe(t.storage);
          // a slice of a slice
          expectRef(out.slice(dim, 1, undefined, 2), takeRef(expected, dim, sliceIndices(expected.shape[dim]!, 1, undefined, 2)), `slice of slice ${name}`);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('narrow(dim, start, length) with negative start', () => {
    const x = arange(12).reshape([3, 4]);
    expect(narrow(x, 1, 1, 2).toArray()).toEqual([[1, 2], [5, 6], [9, 10]]);
    expect(narrow(x, 0, -2, 2).toArray()).toEqual([[4, 5, 6, 7], [8, 9, 10, 11]]);
    expect(narrow(x, -1, 0, 0).shape).toEqual([3, 0]);
    expect(narrow(x.T, 0, 3, 1).toArray()).toEqual([[3, 7, 11]]);
  });

  it('split by size or by a list of sizes, and chunk, return views covering the input', () => {
    fc.assert(
      fc.property(arbShapeSeed, fc.nat(), fc.integer({ min: 1, max: 5 }), ({ shape, seed }, k, size) => {
        if (shape.length === 0) return;
        const ref = randomRef(shape, seed, -9, 9);
        for (const { name, t, ref: r } of layouts(ref, 'float64')) {
          const dim = k % r.shape.length;
          const n = r.shape[dim]!;
          // split by size: pieces of `size`, the last one shorter
          const parts = split(t, size, dim);
          const sizes: number[] = [];
          for (let s = 0; s < n; s += size) sizes.push(Math.min(size, n - s));
          expect(parts.map((p) => p.shape[dim])).toEqual(sizes);
          let at = 0;
          parts.forEach((p, i) => {
            expectRef(p, takeRef(r, dim, Array.from({ length: sizes[i]! }, (_, j) => at + j)), `split ${name} part ${i}`);
            expect(p.storage).toBe(t.storage);
            at += sizes[i]!;
          });
          expectRef(cat(parts, dim), r, `cat(split) ${name}`);
          // chunk: ceil(n / chunks) per piece, like torch.chunk
          const chunks = chunk(t, size, dim);
          const per = Math.ceil(n / size);
          expect(chunks.map((c) => c.shape[dim])).toEqual(split(t, per, dim).map((p) => p.shape[dim]));
          expect(chunks.length).toBeLessThanOrEqual(size);
          expectRef(cat(chunks, dim - r.shape.length), r, `cat(chunk) ${name}`);
          // split by list
          const list = [n - Math.floor(n / 2), 0, Math.floor(n / 2)];
          const byList = t.split(list, dim);
          expect(byList.map((p) => p.shape[dim])).toEqual(list);
          expectRef(cat(byList, dim), r, `cat(split list) ${name}`);
        }
      }),
      { numRuns: 20 },
    );
    expect(chunk(arange(5), 3).map((c) => c.toArray())).toEqual([[0, 1], [2, 3], [4]]);
    expect(chunk(arange(6), 4).map((c) => c.toArray())).toEqual([[0, 1], [2, 3], [4, 5]]);
  });

  it('cat joins along any dim, with non-contiguous parts and dtype promotion', () => {
    fc.assert(
      fc.property(arbShapeSeed, fc.nat(), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }), ({ shape, seed }, k, lens) => {
        if (shape.length === 0) return;
        const dim = k % shape.length;
        const refs = lens.map((len, i) => randomRef(shape.map((s, j) => (j === dim ? len : s)), seed + i, -9, 9));
        const expected = catRef(refs, dim);
        const tensors = refs.map((r, i) => {
          const ls = layouts(r, 'float64').filter((l) => l.name !== 'expanded');
          return ls[i % ls.length]!.t;
        });
        expectRef(cat(tensors, dim), expected, `cat dim ${dim} lens [${lens}]`);
        expectRef(cat(tensors, dim - shape.length), expected, `cat negative dim`);
      }),
      { numRuns: 25 },
    );
    const mixed = cat([tensor([1, 2], { dtype: 'int32' }), tensor([0.5], { dtype: 'float64' })]);
    expect(mixed.dtype).toBe('float64');
    expect(mixed.toArray()).toEqual([1, 2, 0.5]);
    expect(cat([tensor([true]), tensor([3], { dtype: 'int32' })]).dtype).toBe('int32');
    expect(cat([tensor([[1, 2]]).expand([2, 2]), tensor([[3, 4]])]).toArray()).toEqual([[1, 2], [1, 2], [3, 4]]);
  });

  it('stack adds a new dim at any position', () => {
    fc.assert(
      fc.property(arbShapeSeed, fc.nat(), fc.integer({ min: 1, max: 3 }), ({ shape, seed }, k, count) => {
        const refs = Array.from({ length: count }, (_, i) => randomRef(shape, seed + i, -9, 9));
        const dim = k % (shape.length + 1);
        const lifted = refs.map((r) => ({ shape: [...r.shape.slice(0, dim), 1, ...r.shape.slice(dim)], data: r.data }));
        const expected = catRef(lifted, dim);
        const tensors = refs.map((r, i) => layouts(r, 'float64')[i % (shape.length >= 2 ? 2 : 1)]!.t);
        expectRef(stack(tensors, dim), expected, `stack dim ${dim}`);
        expectRef(stack(tensors, dim - shape.length - 1), expected, `stack negative dim`);
      }),
      { numRuns: 20 },
    );
    expect(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(stack([tensor(1), tensor(2)]).toArray()).toEqual([1, 2]);
  });
});

describe('views share storage, copies do not', () => {
  const base = () => tensor(new Float64Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]), { shape: [2, 3, 4] });

  it('transpose, permute, expand, slice, narrow, split, chunk, squeeze, unsqueeze, reshape/view/flatten of contiguous, detach', () => {
    const a = base();
    const views: [string, Tensor][] = [
      ['transpose', a.transpose(0, 2)],
      ['permute', a.permute([1, 2, 0])],
      ['expand', a.unsqueeze(0).expand([5, 2, 3, 4])],
      ['broadcastTo', a.broadcastTo([3, 2, 3, 4])],
      ['slice', a.slice(2, 1, undefined, 2)],
      ['narrow', a.narrow(1, 1, 2)],
      ['split', a.split(1, 0)[1]!],
      ['chunk', a.chunk(2, 2)[1]!],
      ['unsqueeze', a.unsqueeze(1)],
      ['squeeze', a.unsqueeze(1).squeeze(1)],
      ['reshape of contiguous', a.reshape([4, -1])],
      ['view of contiguous', a.view([24])],
      ['flatten of contiguous', a.flatten(1)],
      ['reshape of a contiguous slice', a.narrow(0, 1, 1).reshape([12])],
      ['detach', a.detach()],
    ];
    for (const [name, v] of views) expect(v.storage, name).toBe(a.storage);
    // a write to the storage shows through every view (CPU storage is a typed array we can poke)
    if (a.storage instanceof CpuStorage) {
      a.storage.data[13] = -1; // a[1][0][1]
      expect((a.transpose(0, 2).toArray() as number[][][])[1]![0]![1]).toBe(-1);
      expect((a.slice(2, 1, undefined, 2).toArray() as number[][][])[1]![0]![0]).toBe(-1);
      expect((a.reshape([4, -1]).toArray() as number[][])[2]![1]).toBe(-1);
    }
  });

  it('contiguous() of a non-contiguous view and reshape of a non-contiguous view copy', () => {
    const a = base();
    const t = a.transpose(1, 2); // [2, 4, 3]
    const r = t.reshape([8, 3]);
    expect(r.storage).not.toBe(a.storage);
    expect(r.isContiguous()).toBe(true);
    expect((r.toArray() as number[][])[1]).toEqual([1, 5, 9]);
    const c = a.slice(2, 0, undefined, 2).contiguous();
    expect(c.storage).not.toBe(a.storage);
    expect(c.toArray()).toEqual([[[0, 2], [4, 6], [8, 10]], [[12, 14], [16, 18], [20, 22]]]);
    const f = a.unsqueeze(0).expand([2, 2, 3, 4]).flatten();
    expect(f.storage).not.toBe(a.storage);
    expect(f.numel).toBe(48);
    // the copy is independent of later writes to the original storage
    if (a.storage instanceof CpuStorage) {
      a.storage.data[1] = 100;
      expect((r.toArray() as number[][])[1]).toEqual([1, 5, 9]);
    }
  });

  it('cat, stack and dtype conversion copy', () => {
    const a = base();
    expect(cat([a]).storage).not.toBe(a.storage);
    expect(stack([a]).storage).not.toBe(a.storage);
    expect(a.to('float32').storage).not.toBe(a.storage);
    expect(a.to('float64')).toBe(a);
  });
});
