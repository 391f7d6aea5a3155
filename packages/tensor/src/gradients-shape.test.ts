import { describe, it } from 'vitest';
import fc from 'fast-check';
import {
  arbBroadcastShapes, arbDim, arbIndexTensor, arbNonContiguous, arbShape, arbTensor, gradcheck, gradgradcheck,
} from '@tsgrad/testing';
import {
  broadcastShapes, cat, chunk, contiguous, expand, flatten, gather, indexSelect, narrow, permute, reshape,
  matmul, scatterAdd, slice, split, squeeze, stack, transpose, unsqueeze,
} from './index.js';

/*
 * Gradient checks of the shape, view and indexing ops (reshape … stack, gather,
 * scatterAdd, indexSelect) on contiguous and strided inputs. These are linear, so the
 * random projection in gradcheck is what tells a right adjoint from a wrong one.
 */

const RUNS = { numRuns: 20 };
const RUNS2 = { numRuns: 10 };

/** A tensor (contiguous or a strided view) of a drawn shape, plus whatever `extra` draws for that shape. */
function withShape<T>(shapeArb: fc.Arbitrary<number[]>, extra: (shape: number[]) => fc.Arbitrary<T>, strided = false) {
  const make = strided ? arbNonContiguous : arbTensor;
  return shapeArb.chain((shape) => fc.tuple(make({ shape, requiresGrad: true }), extra(shape)));
}

const both = [false, true] as const;
const label = (strided: boolean) => (strided ? ' (non-contiguous input)' : '');

describe('gradients of reshapes', () => {
  for (const strided of both) {
    it(`reshape to a permutation of the dims, to -1 and to [numel]${label(strided)}`, () => {
      fc.assert(
        fc.property(
          withShape(arbShape(), (s) => fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length }), strided),
          ([x, target]) =>
            gradcheck((t) => reshape(t, target), [x]) && gradcheck((t) => reshape(t, [-1]), [x]) && gradcheck((t) => t.view([x.numel]), [x]),
        ),
        RUNS,
      );
    });

    it(`flatten between any two dims${label(strided)}`, () => {
      fc.assert(
        fc.property(
          withShape(arbShape({ minRank: 1 }), (s) => fc.tuple(arbDim(s.length), arbDim(s.length)), strided),
          ([x, [a, b]]) => {
            const [s, e] = [a < 0 ? a + x.ndim : a, b < 0 ? b + x.ndim : b].sort((p, q) => p - q);
            return gradcheck((t) => flatten(t, s, e), [x]) && gradcheck((t) => flatten(t), [x]);
          },
        ),
        RUNS,
      );
    });

    it(`squeeze and unsqueeze${label(strided)}`, () => {
      const shapes = arbShape({ minSize: 1, maxSize: 2, maxRank: 4 });
      fc.assert(
        fc.property(
          withShape(shapes, (s) => fc.tuple(s.length ? arbDim(s.length) : fc.constant(0), fc.integer({ min: -(s.length + 1), max: s.length })), strided),
          ([x, [d, u]]) =>
            gradcheck((t) => squeeze(t), [x]) &&
            gradcheck((t) => squeeze(t, d), [x]) &&
            gradcheck((t) => unsqueeze(t, u), [x]),
        ),
        RUNS,
      );
    });
  }
});

describe('gradients of permute, transpose, expand, contiguous', () => {
  for (const strided of both) {
    it(`permute and transpose${label(strided)}`, () => {
      fc.assert(
        fc.property(
          withShape(
            arbShape({ minRank: 1 }),
            (s) => fc.tuple(fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length }), arbDim(s.length), arbDim(s.length)),
            strided,
          ),
          ([x, [perm, d0, d1]]) => gradcheck((t) => permute(t, perm).mul(t.sum()), [x]) && gradcheck((t) => transpose(t, d0, d1), [x]),
        ),
        RUNS,
      );
    });

    it(`expand: new leading dims and size-1 dims${label(strided)}`, () => {
      fc.assert(
        fc.property(
          arbBroadcastShapes(2).chain(([s, other]) =>
            fc.tuple((strided ? arbNonContiguous : arbTensor)({ shape: s, requiresGrad: true }), fc.constant(broadcastShapes('expand', s, other))),
          ),
          ([x, target]) => gradcheck((t) => expand(t, target), [x]) && gradcheck((t) => t.expand(target.map((d, i) => (i === target.length - 1 && x.ndim > 0 ? -1 : d))), [x]),
        ),
        RUNS,
      );
    });
  }

  it('contiguous of a strided view', () => {
    fc.assert(fc.property(arbNonContiguous({ requiresGrad: true }), (x) => gradcheck((t) => contiguous(t).mul(t), [x])), RUNS);
  });
});

describe('gradients of slicing', () => {
  for (const strided of both) {
    it(`slice with start, end and step (negative and out-of-range bounds)${label(strided)}`, () => {
      fc.assert(
        fc.property(
          withShape(
            arbShape({ minRank: 1 }),
            (s) => fc.tuple(arbDim(s.length), fc.integer({ min: -5, max: 5 }), fc.option(fc.integer({ min: -5, max: 6 })), fc.integer({ min: 1, max: 3 })),
            strided,
          ),
          ([x, [d, start, end, step]]) => gradcheck((t) => slice(t, d, start, end ?? undefined, step), [x]),
        ),
        RUNS,
      );
    });

    it(`narrow${label(strided)}`, () => {
      fc.assert(
        fc.property(
          withShape(arbShape({ minRank: 1 }), (s) => arbDim(s.length).chain((d) => {
            const size = s[d < 0 ? d + s.length : d]!;
            return fc.tuple(fc.constant(d), fc.integer({ min: 0, max: size })).chain(([dd, st]) => fc.tuple(fc.constant(dd), fc.constant(st), fc.integer({ min: 0, max: size - st })));
          }), strided),
          ([x, [d, start, length]]) => gradcheck((t) => narrow(t, d, start, length), [x]),
        ),
        RUNS,
      );
    });

    it(`split and chunk (multi-output)${label(strided)}`, () => {
      fc.assert(
        fc.property(
          withShape(arbShape({ minRank: 1 }), (s) => fc.tuple(arbDim(s.length), fc.integer({ min: 1, max: 4 })), strided),
          ([x, [d, k]]) => {
            const size = x.shape[d < 0 ? d + x.ndim : d]!;
            const sizes = size >= 2 ? [1, size - 1] : [size];
            return (
              gradcheck((t) => split(t, k, d), [x]) &&
              gradcheck((t) => split(t, sizes, d), [x]) &&
              gradcheck((t) => chunk(t, k, d), [x]) &&
              // Recombined in another order: every piece's adjoint lands in the right place.
              gradcheck((t) => cat(split(t, k, d).reverse(), d), [x])
            );
          },
        ),
        RUNS,
      );
    });
  }
});

describe('gradients of cat and stack', () => {
  for (const strided of both) {
    it(`cat of 1–3 tensors differing along the dim${label(strided)}`, () => {
      const make = strided ? arbNonContiguous : arbTensor;
      fc.assert(
        fc.property(
          arbShape({ minRank: 1, maxNumel: 32 })
            .chain((s) => fc.tuple(fc.constant(s), arbDim(s.length), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 })))
            .chain(([s, d, lens]) => {
              const dd = d < 0 ? d + s.length : d;
              return fc.tuple(fc.constant(d), fc.tuple(...lens.map((len) => make({ shape: s.map((v, i) => (i === dd ? len : v)), requiresGrad: true }))));
            }),
          ([d, xs]) => gradcheck((...ts) => cat(ts, d), xs),
        ),
        RUNS,
      );
    });

    it(`stack along any dim${label(strided)}`, () => {
      const make = strided ? arbNonContiguous : arbTensor;
      fc.assert(
        fc.property(
          arbShape({ maxNumel: 32 }).chain((s) =>
            fc.tuple(fc.integer({ min: -(s.length + 1), max: s.length }), fc.tuple(make({ shape: s, requiresGrad: true }), make({ shape: s, requiresGrad: true }))),
          ),
          ([d, xs]) => gradcheck((a, b) => stack([a, b], d), xs),
        ),
        RUNS,
      );
    });
  }

  it('cat of mixed float32/float64 inputs', () => {
    fc.assert(
      fc.property(arbTensor({ shape: [2, 3], requiresGrad: true }), arbTensor({ shape: [1, 3], dtype: 'float32' }), (x, y) => gradcheck((t) => cat([y, t], 0), [x])),
      RUNS,
    );
  });
});

/** x, a dim, and an index shape that gather/scatterAdd accept for x. */
function arbIndexing(strided: boolean) {
  return arbShape({ minRank: 1 }).chain((s) =>
    arbDim(s.length).chain((d) => {
      const dd = d < 0 ? d + s.length : d;
      const idxShape = fc.tuple(...s.map((size, i) => fc.integer({ min: 1, max: i === dd ? 4 : size })));
      return fc.tuple(
        (strided ? arbNonContiguous : arbTensor)({ shape: s, requiresGrad: true }),
        fc.constant(d),
        idxShape.chain((is) => arbIndexTensor(is, s[dd]!)),
      );
    }),
  );
}

describe('gradients of gather, scatterAdd, indexSelect', () => {
  for (const strided of both) {
    it(`gather (repeated indices accumulate)${label(strided)}`, () => {
      fc.assert(fc.property(arbIndexing(strided), ([x, d, index]) => gradcheck((t) => gather(t, d, index), [x])), RUNS);
    });

    it(`scatterAdd: gradients to the base and to src${label(strided)}`, () => {
      fc.assert(
        fc.property(
          arbIndexing(strided).chain(([x, d, index]) => {
            // src at least as large as index in every dim.
            const srcShape = fc.tuple(...index.shape.map((n) => fc.integer({ min: n, max: n + 1 })));
            return fc.tuple(fc.constant(x), fc.constant(d), fc.constant(index), srcShape.chain((ss) => (strided ? arbNonContiguous : arbTensor)({ shape: ss, requiresGrad: true })));
          }),
          ([x, d, index, src]) => gradcheck((t, u) => scatterAdd(t, d, index, u), [x, src]),
        ),
        RUNS,
      );
    });

    it(`indexSelect with repeated indices${label(strided)}`, () => {
      fc.assert(
        fc.property(
          withShape(arbShape({ minRank: 1 }), (s) => arbDim(s.length).chain((d) => fc.tuple(fc.constant(d), fc.integer({ min: 0, max: 5 }).chain((k) => arbIndexTensor([k], s[d < 0 ? d + s.length : d]!)))), strided),
          ([x, [d, index]]) => gradcheck((t) => indexSelect(t, d, index), [x]),
        ),
        RUNS,
      );
    });
  }
});

describe('gradients of empty tensors', () => {
  it('flow through elementwise, reduction, shape ops and matmul without error', () => {
    fc.assert(
      fc.property(
        arbShape({ minRank: 1, minSize: 0, maxSize: 3 }).filter((s) => s.includes(0)).chain((s) => arbTensor({ shape: s, requiresGrad: true })),
        (x) =>
          gradcheck((t) => t.exp().mul(t), [x]) &&
          gradcheck((t) => t.sum(0), [x]) &&
          gradcheck((t) => t.sum(), [x]) &&
          gradcheck((t) => cat([t, t.sin()], 0), [x]) &&
          gradcheck((t) => reshape(t, [...t.shape].reverse()), [x]) &&
          gradcheck((t) => matmul(flatten(t).unsqueeze(0), flatten(t).unsqueeze(1)), [x]),
      ),
      RUNS,
    );
  });
});

describe('second-order gradients through shape and indexing ops', () => {
  const small = arbShape({ minRank: 1, maxNumel: 12 });
  it('slice (embedSlice in backward), cat, reshape, permute, expand', () => {
    fc.assert(
      fc.property(
        withShape(small, (s) => fc.tuple(arbDim(s.length), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 3 }))),
        ([x, [d, start, step]]) =>
          gradgradcheck((t) => slice(t, d, start, undefined, step).square(), [x]) &&
          gradgradcheck((t) => cat([t, t.exp()], d).sin(), [x]) &&
          gradgradcheck((t) => reshape(t, [-1]).exp(), [x]) &&
          gradgradcheck((t) => transpose(t, 0, -1).mul(t.sum()).sin(), [x]) &&
          gradgradcheck((t) => expand(t, [2, ...t.shape]).square(), [x]),
      ),
      RUNS2,
    );
  });

  it('gather and scatterAdd', () => {
    fc.assert(
      fc.property(
        arbIndexing(false).filter(([x, , i]) => x.numel <= 16 && i.numel <= 16),
        ([x, d, index]) =>
          gradgradcheck((t) => gather(t, d, index).square(), [x]) &&
          gradgradcheck((t) => scatterAdd(t.square(), d, index, gather(t, d, index).exp()), [x]),
      ),
      RUNS2,
    );
  });
});
