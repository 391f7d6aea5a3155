import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  arbBroadcastShapes, arbNonContiguous, arbShape, arbTensor, gradcheck, gradgradcheck, type ValueOptions,
} from '@tsgrad/testing';
import { Tensor, clamp, logSigmoid, softplus, tensor, where } from './index.js';

/*
 * Gradient checks (float64, central differences) of every elementwise primitive and
 * composite, over fast-check shapes, broadcasting and strided views. Value ranges keep
 * clear of kinks (|x| ≥ minAbs for abs/relu/sign) and of domain edges (log, sqrt,
 * rsqrt, reciprocal, pow with a fractional exponent); ties for maximum/minimum have
 * probability zero with continuous random values.
 */

const RUNS = { numRuns: 20 };
const RUNS2 = { numRuns: 15 };
/** gradgradcheck perturbs the inputs and the seeds: keep it on smaller shapes. */
const small = arbShape({ maxNumel: 16 });

interface UnaryCase {
  name: string;
  fn: (x: Tensor) => Tensor;
  values?: ValueOptions;
  secondOrder?: boolean;
}

const UNARY: UnaryCase[] = [
  { name: 'neg', fn: (x) => x.neg() },
  { name: 'abs', fn: (x) => x.abs(), values: { minAbs: 0.05 }, secondOrder: true },
  { name: 'sign', fn: (x) => x.sign(), values: { minAbs: 0.05 } },
  { name: 'exp', fn: (x) => x.exp(), secondOrder: true },
  { name: 'expm1', fn: (x) => x.expm1(), secondOrder: true },
  { name: 'log', fn: (x) => x.log(), values: { min: 0.2, max: 3 }, secondOrder: true },
  { name: 'log1p', fn: (x) => x.log1p(), values: { min: -0.8, max: 3 }, secondOrder: true },
  { name: 'sqrt', fn: (x) => x.sqrt(), values: { min: 0.2, max: 3 }, secondOrder: true },
  { name: 'rsqrt', fn: (x) => x.rsqrt(), values: { min: 0.2, max: 3 }, secondOrder: true },
  { name: 'square', fn: (x) => x.square(), secondOrder: true },
  { name: 'reciprocal', fn: (x) => x.reciprocal(), values: { minAbs: 0.3 }, secondOrder: true },
  { name: 'sin', fn: (x) => x.sin(), secondOrder: true },
  { name: 'cos', fn: (x) => x.cos(), secondOrder: true },
  { name: 'tanh', fn: (x) => x.tanh(), secondOrder: true },
  { name: 'sigmoid', fn: (x) => x.sigmoid(), secondOrder: true },
  { name: 'relu', fn: (x) => x.relu(), values: { minAbs: 0.05 }, secondOrder: true },
  // Smooth everywhere, including at 0 where the max/abs terms meet.
  { name: 'softplus', fn: (x) => softplus(x), values: { min: -5, max: 5 }, secondOrder: true },
  { name: 'logSigmoid', fn: (x) => logSigmoid(x), values: { min: -5, max: 5 }, secondOrder: true },
];

describe('gradients of unary elementwise ops', () => {
  for (const c of UNARY) {
    it(`${c.name}`, () => {
      fc.assert(fc.property(arbTensor({ ...c.values, requiresGrad: true }), (x) => gradcheck(c.fn, [x])), RUNS);
    });
    it(`${c.name} on non-contiguous input`, () => {
      fc.assert(fc.property(arbNonContiguous({ ...c.values, requiresGrad: true }), (x) => gradcheck(c.fn, [x])), RUNS);
    });
    if (c.secondOrder) {
      it(`${c.name}: second order`, () => {
        fc.assert(fc.property(arbTensor({ ...c.values, shapeArb: small, requiresGrad: true }), (x) => gradgradcheck(c.fn, [x])), RUNS2);
      });
    }
  }

  it('softplus and logSigmoid at extreme inputs have finite, exact gradients', () => {
    const x = tensor([-800, -40, 0, 40, 800], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((t) => softplus(t), [x])).toBe(true);
    expect(gradcheck((t) => logSigmoid(t), [x])).toBe(true);
  });
});

/** x away from the clamp bounds, where the gradient jumps. */
const awayFrom = (t: Tensor, bounds: number[], gap = 1e-3) => Array.from(t.dataSync()).every((v) => bounds.every((b) => Math.abs(v - b) > gap));

describe('gradients of clamp', () => {
  it('with number bounds (either optional)', () => {
    fc.assert(
      fc.property(arbTensor({ requiresGrad: true }), (x) => {
        fc.pre(awayFrom(x, [-1, 0.5]));
        return gradcheck((t) => clamp(t, -1, 0.5), [x]) && gradcheck((t) => clamp(t, -1), [x]) && gradcheck((t) => clamp(t, null, 0.5), [x]);
      }),
      RUNS,
    );
  });

  it('with tensor bounds that receive gradients, broadcast', () => {
    fc.assert(
      fc.property(
        arbBroadcastShapes(3).chain(([s, sl, sh]) =>
          fc.tuple(
            arbTensor({ shape: s, requiresGrad: true }),
            arbTensor({ shape: sl, min: -3, max: -0.5, requiresGrad: true }),
            arbTensor({ shape: sh, min: 0.5, max: 3, requiresGrad: true }),
          ),
        ),
        ([x, lo, hi]) => {
          fc.pre(!x.sub(lo).abs().lt(1e-3).sum().item() && !x.sub(hi).abs().lt(1e-3).sum().item());
          return gradcheck((t, a, b) => clamp(t, a, b), [x, lo, hi]);
        },
      ),
      RUNS,
    );
  });

  it('on non-contiguous input', () => {
    fc.assert(
      fc.property(arbNonContiguous({ requiresGrad: true }), (x) => {
        fc.pre(awayFrom(x, [-1, 0.5]));
        return gradcheck((t) => clamp(t, -1, 0.5), [x]);
      }),
      RUNS,
    );
  });
});

interface BinaryCase {
  name: string;
  fn: (a: Tensor, b: Tensor) => Tensor;
  a?: ValueOptions;
  b?: ValueOptions;
  /** Skip draws at a point of non-differentiability. */
  pre?: (a: Tensor, b: Tensor) => boolean;
}

/** No a–b tie within a step of the difference quotient (maximum/minimum switch there). */
const noTie = (a: Tensor, b: Tensor) => a.numel === 0 || b.numel === 0 || a.sub(b).abs().min().item() > 1e-4;

const BINARY: BinaryCase[] = [
  { name: 'add', fn: (a, b) => a.add(b) },
  { name: 'sub', fn: (a, b) => a.sub(b) },
  { name: 'mul', fn: (a, b) => a.mul(b) },
  { name: 'div', fn: (a, b) => a.div(b), b: { minAbs: 0.3 } },
  // Fractional exponents need a positive base; the exponent's gradient needs log(base).
  { name: 'pow', fn: (a, b) => a.pow(b), a: { min: 0.3, max: 2.5 }, b: { min: -2, max: 2 } },
  { name: 'maximum', fn: (a, b) => a.maximum(b), pre: noTie },
  { name: 'minimum', fn: (a, b) => a.minimum(b), pre: noTie },
];

/** Two tensors of mutually broadcastable shapes (rank differences and size-1 dims). */
function arbPair(c: BinaryCase, opts: { strided?: boolean; maxNumel?: number } = {}) {
  const make = opts.strided ? arbNonContiguous : arbTensor;
  return arbBroadcastShapes(2, { maxNumel: opts.maxNumel ?? 64 }).chain(([sa, sb]) =>
    fc.tuple(make({ ...c.a, shape: sa, requiresGrad: true }), make({ ...c.b, shape: sb, requiresGrad: true })),
  );
}

/** The property body: skip excluded draws, then run `check` on both arguments. */
function checkPair(c: BinaryCase, check: typeof gradcheck) {
  return ([a, b]: [Tensor, Tensor]) => {
    fc.pre(c.pre?.(a, b) ?? true);
    return check(c.fn, [a, b]);
  };
}

describe('gradients of binary elementwise ops (both arguments, broadcasting)', () => {
  for (const c of BINARY) {
    it(`${c.name}`, () => {
      fc.assert(fc.property(arbPair(c), checkPair(c, gradcheck)), RUNS);
    });
    it(`${c.name} on non-contiguous inputs`, () => {
      fc.assert(fc.property(arbPair(c, { strided: true }), checkPair(c, gradcheck)), RUNS);
    });
    it(`${c.name}: second order`, () => {
      fc.assert(fc.property(arbPair(c, { maxNumel: 16 }), checkPair(c, gradgradcheck)), RUNS2);
    });
  }

  it('with JS number operands (weak scalars)', () => {
    fc.assert(
      fc.property(arbTensor({ min: 0.3, max: 3, requiresGrad: true }), (x) => {
        fc.pre(x.numel === 0 || x.sub(1).abs().min().item() > 1e-4);
        return (
          gradcheck((t) => t.add(2).mul(3).sub(1).div(4), [x]) &&
          gradcheck((t) => t.pow(2.5), [x]) &&
          gradcheck((t) => t.pow(-1.5), [x]) &&
          gradcheck((t) => t.maximum(1).add(t.minimum(1)), [x])
        );
      }),
      RUNS,
    );
  });

  it('pow of a negative base with integer exponents (base gradient)', () => {
    fc.assert(
      fc.property(
        arbBroadcastShapes(2).chain(([sa, sb]) =>
          fc.tuple(arbTensor({ shape: sa, minAbs: 0.3, requiresGrad: true }), arbTensor({ shape: sb, dtype: 'int32', min: -2, max: 3 })),
        ),
        ([a, k]) => gradcheck((t) => t.pow(k.to('float64')), [a]),
      ),
      RUNS,
    );
  });

  it('pow with a number base (exponent gradient)', () => {
    fc.assert(fc.property(arbTensor({ requiresGrad: true }), (x) => gradcheck((t) => tensor(2.5, { dtype: 'float64' }).pow(t), [x])), RUNS);
  });
});

describe('gradients of where', () => {
  const cases = [
    ['flow into both branches, broadcast against the condition', false],
    ['on non-contiguous inputs', true],
  ] as const;
  for (const [name, strided] of cases) {
    it(name, () => {
      const make = strided ? arbNonContiguous : arbTensor;
      fc.assert(
        fc.property(
          arbBroadcastShapes(3).chain(([sc, sa, sb]) =>
            fc.tuple(make({ shape: sc, dtype: 'bool' }), make({ shape: sa, requiresGrad: true }), make({ shape: sb, requiresGrad: true })),
          ),
          ([c, a, b]) => gradcheck((x, y) => where(c, x, y), [a, b]),
        ),
        RUNS,
      );
    });
  }

  it('with a number branch, and second order', () => {
    fc.assert(
      fc.property(arbTensor({ requiresGrad: true, shapeArb: small }), (x) =>
        gradcheck((t) => where(t.gt(0), t.square(), 0.5), [x]) && gradgradcheck((t) => where(t.gt(0), t.exp(), t.sin()), [x]),
      ),
      RUNS2,
    );
  });
});

describe('gradients through casts', () => {
  it('float64 → float32 → float64 is the identity, gradient in the input dtype', () => {
    // The float32 leg rounds to ~6e-8 relative, so a difference quotient with step h is
    // off by ~|x|·1e-7/h: a wider step and atol sized to that round-off, not to a bug.
    fc.assert(
      fc.property(arbTensor({ requiresGrad: true }), (x) =>
        gradcheck((t) => t.to('float32').to('float64'), [x], { eps: 1e-2, atol: 1e-4, checkGradDtypes: true }) &&
        gradcheck((t) => t.to('float32').exp().mul(t.to('float32')).to('float64'), [x], { eps: 1e-2, atol: 1e-3, rtol: 1e-3, checkGradDtypes: true }),
      ),
      RUNS,
    );
  });

  it('a float32 leaf gets a float32 gradient through a float64 computation', () => {
    const x = tensor([0.5, -1, 2], { dtype: 'float32', requiresGrad: true });
    x.to('float64').square().sum().backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(Array.from(x.grad!.dataSync())).toEqual([1, -2, 4]);
  });

  it('mixed float32/float64 binary ops promote and un-promote the gradient', () => {
    const a = tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });
    const b = tensor([0.5, 0.25, 2], { dtype: 'float64', requiresGrad: true });
    a.mul(b).sum().backward();
    expect(a.grad!.dtype).toBe('float32');
    expect(b.grad!.dtype).toBe('float64');
    expect(Array.from(a.grad!.dataSync())).toEqual([0.5, 0.25, 2]);
    expect(Array.from(b.grad!.dataSync())).toEqual([1, 2, 3]);
  });
});
