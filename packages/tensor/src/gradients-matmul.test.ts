import { describe, it } from 'vitest';
import fc from 'fast-check';
import { arbBroadcastShapes, arbNonContiguous, arbTensor, gradcheck, gradgradcheck } from '@tsgrad/testing';
import { matmul } from './index.js';

/*
 * Gradient checks of matmul in every PyTorch form: 1-d·1-d (dot), 1-d·2-d and 2-d·1-d
 * (the added dim removed again), 2-d·2-d, and batched with broadcast batch dims, on
 * contiguous operands and on strided views (transposed, sliced, broadcast).
 */

const RUNS = { numRuns: 20 };
const RUNS2 = { numRuns: 12 };

const dim = (max = 4) => fc.integer({ min: 1, max });

type Form = '1d·1d' | '1d·2d' | '2d·1d' | '2d·2d' | 'batched' | 'batched·1d' | '1d·batched';

/** Operand shapes of one form, with inner sizes that agree. */
function arbShapes(form: Form, max = 4): fc.Arbitrary<[number[], number[]]> {
  const batch = arbBroadcastShapes(2, { minRank: 1, maxRank: 2, maxSize: 3 });
  switch (form) {
    case '1d·1d':
      return dim(max).map((k) => [[k], [k]]);
    case '1d·2d':
      return fc.tuple(dim(max), dim(max)).map(([k, n]) => [[k], [k, n]]);
    case '2d·1d':
      return fc.tuple(dim(max), dim(max)).map(([m, k]) => [[m, k], [k]]);
    case '2d·2d':
      return fc.tuple(dim(max), dim(max), dim(max)).map(([m, k, n]) => [[m, k], [k, n]]);
    case 'batched':
      return fc.tuple(batch, dim(3), dim(3), dim(3)).map(([[ba, bb], m, k, n]) => [[...ba, m, k], [...bb, k, n]]);
    case 'batched·1d':
      return fc.tuple(batch, dim(3), dim(3)).map(([[ba], m, k]) => [[...ba, m, k], [k]]);
    case '1d·batched':
      return fc.tuple(batch, dim(3), dim(3)).map(([[, bb], k, n]) => [[k], [...bb, k, n]]);
  }
}

const FORMS: Form[] = ['1d·1d', '1d·2d', '2d·1d', '2d·2d', 'batched', 'batched·1d', '1d·batched'];

describe('gradients of matmul', () => {
  for (const form of FORMS) {
    it(`${form}`, () => {
      fc.assert(
        fc.property(
          arbShapes(form).chain(([sa, sb]) => fc.tuple(arbTensor({ shape: sa, requiresGrad: true }), arbTensor({ shape: sb, requiresGrad: true }))),
          ([a, b]) => gradcheck(matmul, [a, b]),
        ),
        RUNS,
      );
    });

    it(`${form} on non-contiguous operands`, () => {
      fc.assert(
        fc.property(
          arbShapes(form).chain(([sa, sb]) => fc.tuple(arbNonContiguous({ shape: sa, requiresGrad: true }), arbNonContiguous({ shape: sb, requiresGrad: true }))),
          ([a, b]) => gradcheck(matmul, [a, b]),
        ),
        RUNS,
      );
    });
  }

  it('with one operand constant (only the other is checked)', () => {
    fc.assert(
      fc.property(
        arbShapes('batched').chain(([sa, sb]) =>
          fc.tuple(arbTensor({ shape: sa }), arbTensor({ shape: sb }), fc.boolean()).map(([a, b, left]) => {
            (left ? a : b).requiresGrad_();
            return [a, b] as const;
          }),
        ),
        ([a, b]) => (a.requiresGrad ? gradcheck((x) => matmul(x, b), [a]) : gradcheck((y) => matmul(a, y), [b])),
      ),
      RUNS,
    );
  });

  it('a matrix times itself (the same tensor on both sides)', () => {
    fc.assert(
      fc.property(dim().chain((n) => arbTensor({ shape: [n, n], requiresGrad: true })), (a) => gradcheck((x) => matmul(x, x), [a])),
      RUNS,
    );
  });
});

describe('second-order gradients of matmul', () => {
  for (const form of ['1d·1d', '2d·1d', '2d·2d', 'batched'] as const) {
    it(`${form}`, () => {
      fc.assert(
        fc.property(
          arbShapes(form, 3).chain(([sa, sb]) => fc.tuple(arbTensor({ shape: sa, requiresGrad: true }), arbTensor({ shape: sb, requiresGrad: true }))),
          // matmul is bilinear: through tanh the second derivative has every kind of term.
          ([a, b]) => gradgradcheck((x, y) => matmul(x, y).tanh(), [a, b]),
        ),
        RUNS2,
      );
    });
  }

  it('x·x on a strided view', () => {
    fc.assert(
      fc.property(dim(3).chain((n) => arbNonContiguous({ shape: [n, n], requiresGrad: true })), (a) => gradgradcheck((x) => matmul(x, x), [a])),
      RUNS2,
    );
  });
});
