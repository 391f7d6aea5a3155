import { describe, expect, it } from 'vitest';
import { DTypeError, IndexError, ShapeError, TsgradError, ValueError, tensor, type Tensor } from '@tsgrad/tensor';
import {
  BCELoss, CrossEntropyLoss, DualFocalLoss, SigmoidFocalLoss, SoftmaxFocalLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy,
  dualFocalLoss, nllLoss, sigmoidFocalLoss, softMarginLoss, softmaxFocalLoss, type Reduction,
} from './index.js';
import { f64, i32 } from './test-support/harness.js';

type ErrorClass = new (message: string) => TsgradError;

function expectError(f: () => unknown, cls: ErrorClass, pattern: RegExp): void {
  let caught: unknown = null;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${cls.name} matching ${pattern}`).toBeInstanceOf(cls);
  expect((caught as Error).message).toMatch(pattern);
}

const x23 = () => f64([1, 2, 3, 4, 5, 6], [2, 3], true);
const t2 = (a: number, b: number) => i32([a, b], [2]);

describe('class-index losses reject bad targets before computing anything', () => {
  const losses: [string, (x: Tensor, t: Tensor) => Tensor][] = [
    ['crossEntropy', (x, t) => crossEntropy(x, t)],
    ['nllLoss', (x, t) => nllLoss(x, t)],
    ['softmaxFocalLoss', (x, t) => softmaxFocalLoss(x, t)],
    ['dualFocalLoss', (x, t) => dualFocalLoss(x, t)],
  ];
  for (const [name, loss] of losses) {
    it(`${name}: class index outside [0, C) names the index and C`, () => {
      const x = x23();
      expectError(() => loss(x, t2(0, 3)), IndexError, new RegExp(`^${name}: argument 'target' contains class index 3, expected an index in \\[0, 3\\) \\(C = 3\\)`));
      expectError(() => loss(x, t2(-1, 0)), IndexError, /class index -1/);
      expect(x.grad).toBeNull();
    });
    it(`${name}: float targets where indices are required`, () => {
      expectError(() => loss(x23(), f64([0, 1], [2])), DTypeError, new RegExp(`^${name}: argument 'target' expected int32 class indices .*got dtype float64`));
    });
    it(`${name}: target shape mismatch names both shapes`, () => {
      expectError(() => loss(x23(), i32([0, 1, 2], [3])), ShapeError, new RegExp(`^${name}: argument 'target' expected class indices of shape \\[2\\] for input of shape \\[2, 3\\].*got \\[3\\]`));
      expectError(() => loss(f64(new Array(12).fill(0), [2, 3, 2]), i32([0, 1], [2])), ShapeError, /shape \[2, 2\] for input of shape \[2, 3, 2\].*got \[2\]/);
    });
    it(`${name}: non-float input and 0-d input`, () => {
      expectError(() => loss(i32([1, 2, 3, 4, 5, 6], [2, 3]), t2(0, 1)), DTypeError, new RegExp(`^${name}: argument 'input' expected a floating point Tensor .*got dtype int32`));
      expectError(() => loss(f64([1], []), i32([0], [])), ShapeError, new RegExp(`^${name}: argument 'input' expected shape \\[C\\] or \\[N, C, d1, …\\]`));
    });
    it(`${name}: unknown reduction`, () => {
      const bad = 'avg' as Reduction;
      const call = name === 'crossEntropy' ? () => crossEntropy(x23(), t2(0, 1), { reduction: bad })
        : name === 'nllLoss' ? () => nllLoss(x23(), t2(0, 1), { reduction: bad })
          : name === 'softmaxFocalLoss' ? () => softmaxFocalLoss(x23(), t2(0, 1), { reduction: bad })
            : () => dualFocalLoss(x23(), t2(0, 1), { reduction: bad });
      expectError(call, ValueError, new RegExp(`^${name}: argument 'reduction' expected 'mean', 'sum' or 'none', got 'avg'$`));
    });
  }

  it('crossEntropy: int32 indices with the input shape, float targets of a third shape', () => {
    expectError(() => crossEntropy(x23(), i32([0, 1, 2, 0, 1, 2], [2, 3])), ShapeError, /expected class indices of shape \[2\] for input of shape \[2, 3\] \(or float class probabilities of shape \[2, 3\]\), got \[2, 3\]/);
    expectError(() => crossEntropy(x23(), f64([0.5, 0.5, 0.5, 0.5], [2, 2])), ShapeError, /^crossEntropy: argument 'target' expected float class probabilities of the input's shape \[2, 3\] or int32 class indices of shape \[2\], got float64 of shape \[2, 2\]/);
    expectError(() => crossEntropy(x23(), tensor([true, false])), DTypeError, /expected int32 class indices.*got dtype bool/);
  });

  it('crossEntropy / nllLoss: weight of the wrong length, labelSmoothing outside [0, 1], bad ignoreIndex, unknown option', () => {
    expectError(() => crossEntropy(x23(), t2(0, 1), { weight: f64([1, 2, 3, 4], [4]) }), ShapeError, /^crossEntropy: argument 'weight' expected shape \[3\] \(one value per class, C = 3\), got \[4\]$/);
    expectError(() => nllLoss(x23(), t2(0, 1), { weight: f64([1, 2], [2]) }), ShapeError, /^nllLoss: argument 'weight' expected shape \[3\].*got \[2\]$/);
    expectError(() => crossEntropy(x23(), t2(0, 1), { weight: i32([1, 2, 3], [3]) }), DTypeError, /argument 'weight' expected a floating point Tensor/);
    expectError(() => crossEntropy(x23(), t2(0, 1), { labelSmoothing: 1.5 }), ValueError, /^crossEntropy: argument 'labelSmoothing' expected a finite number in \[0, 1\], got 1.5$/);
    expectError(() => crossEntropy(x23(), t2(0, 1), { labelSmoothing: -0.1 }), ValueError, /labelSmoothing.*got -0.1/);
    expectError(() => crossEntropy(x23(), t2(0, 1), { ignoreIndex: 0.5 }), ValueError, /^crossEntropy: argument 'ignoreIndex' expected an integer, got 0.5$/);
    expectError(() => crossEntropy(x23(), t2(0, 1), { label_smoothing: 0.1 } as object), ValueError, /^crossEntropy: unknown option 'label_smoothing'/);
  });
});

describe('binary losses', () => {
  it('binaryCrossEntropy: input outside [0, 1] (and NaN) names the value', () => {
    expectError(() => binaryCrossEntropy(f64([0.5, 1.5], [2]), f64([0, 1], [2])), ValueError, /^binaryCrossEntropy: argument 'input' expected probabilities in \[0, 1\], got 1.5 \(element 1 of shape \[2\]\)/);
    expectError(() => binaryCrossEntropy(f64([-0.1], [1]), f64([0], [1])), ValueError, /got -0.1/);
    expectError(() => binaryCrossEntropy(f64([NaN], [1]), f64([0], [1])), ValueError, /got NaN/);
    expectError(() => binaryCrossEntropy(f64([0.5], [1]), f64([2], [1])), ValueError, /^binaryCrossEntropy: argument 'target' expected probabilities in \[0, 1\], got 2 \(element 0 of shape \[1\]\)$/);
  });
  it('input/target shape mismatch names both shapes; integer targets are rejected', () => {
    expectError(() => binaryCrossEntropy(f64([0.5, 0.5], [2]), f64([0, 1, 1], [3])), ShapeError, /^binaryCrossEntropy: argument 'target' expected the shape of input \[2\], got \[3\]$/);
    expectError(() => binaryCrossEntropyWithLogits(f64([0.5, 0.5], [2, 1]), f64([0, 1], [2])), ShapeError, /^binaryCrossEntropyWithLogits: argument 'target' expected the shape of input \[2, 1\], got \[2\]$/);
    expectError(() => binaryCrossEntropyWithLogits(f64([0.5, 0.5], [2]), i32([0, 1], [2])), DTypeError, /^binaryCrossEntropyWithLogits: argument 'target' expected a floating point Tensor of targets in \[0, 1\] \(float32 or float64\), got dtype int32$/);
    expectError(() => softMarginLoss(f64([0.5, 0.5], [2]), f64([1], [1])), ShapeError, /^softMarginLoss: argument 'target' expected the shape of input \[2\], got \[1\]$/);
    expectError(() => softMarginLoss(f64([0.5], [1]), tensor([true])), DTypeError, /^softMarginLoss: argument 'target'.*got dtype bool$/);
  });
  it('weight and posWeight that do not broadcast to the input', () => {
    const x = f64([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [2, 3]);
    const t = f64([0, 1, 0, 1, 0, 1], [2, 3]);
    expectError(() => binaryCrossEntropyWithLogits(x, t, { posWeight: f64([1, 2, 3, 4], [4]) }), ShapeError, /^binaryCrossEntropyWithLogits: argument 'posWeight' expected a shape that broadcasts to input \[2, 3\] \(one weight per class along the last dim: length 3\), got \[4\]$/);
    expectError(() => binaryCrossEntropyWithLogits(x, t, { weight: f64([1, 2], [2]) }), ShapeError, /argument 'weight' expected a shape that broadcasts to input \[2, 3\], got \[2\]$/);
    expectError(() => binaryCrossEntropy(x, t, { weight: f64(new Array(12).fill(1), [2, 2, 3]) }), ShapeError, /^binaryCrossEntropy: argument 'weight'.*got \[2, 2, 3\]$/);
    expectError(() => binaryCrossEntropy(x, t, { reduction: 'all' as Reduction }), ValueError, /^binaryCrossEntropy: argument 'reduction'.*got 'all'$/);
  });
});

describe('focal and Dual Focal coefficients', () => {
  it('gamma: negative, not 0-d, not float', () => {
    const x = f64([0.1, -0.2], [2]);
    const t = f64([0, 1], [2]);
    expectError(() => sigmoidFocalLoss(x, t, { gamma: -1 }), ValueError, /^sigmoidFocalLoss: argument 'gamma' expected a finite number >= 0, got -1$/);
    expectError(() => sigmoidFocalLoss(x, t, { gamma: f64([1, 2], [2]) }), ShapeError, /^sigmoidFocalLoss: argument 'gamma' expected a number or a 0-d Tensor, got shape \[2\]$/);
    expectError(() => softmaxFocalLoss(x23(), t2(0, 1), { gamma: i32([2], []) }), DTypeError, /^softmaxFocalLoss: argument 'gamma' expected a number or a 0-d floating point Tensor.*got dtype int32$/);
    expectError(() => dualFocalLoss(x23(), t2(0, 1), { gamma: f64([-0.5], []) }), ValueError, /^dualFocalLoss: argument 'gamma' expected a finite value >= 0, got -0.5$/);
    expectError(() => sigmoidFocalLoss(x, t, { reduction: 'avg' as Reduction }), ValueError, /^sigmoidFocalLoss: argument 'reduction'/);
  });
  it('softmaxFocalLoss: alpha of the wrong length; one class', () => {
    expectError(() => softmaxFocalLoss(x23(), t2(0, 1), { alpha: f64([0.25, 0.75], [2]) }), ShapeError, /^softmaxFocalLoss: argument 'alpha' expected shape \[3\] \(one value per class, C = 3\), got \[2\]$/);
    expectError(() => softmaxFocalLoss(f64([1, 2], [2, 1]), t2(0, 0)), ShapeError, /^softmaxFocalLoss: argument 'input' expected at least 2 classes in dim 1.*got shape \[2, 1\]$/);
  });
  it('dualFocalLoss: rho < 1, alpha/beta not scalar, ignore-like targets are out of range', () => {
    expectError(() => dualFocalLoss(x23(), t2(0, 1), { rho: 0.5 }), ValueError, /^dualFocalLoss: argument 'rho' expected a finite number in \[1, inf\], got 0.5$/);
    expectError(() => dualFocalLoss(x23(), t2(0, 1), { alpha: f64([1, 2], [2]) }), ShapeError, /^dualFocalLoss: argument 'alpha' expected a number or a 0-d Tensor, got shape \[2\]$/);
    expectError(() => dualFocalLoss(x23(), t2(0, 1), { beta: NaN }), ValueError, /^dualFocalLoss: argument 'beta' expected a finite number, got NaN$/);
    expectError(() => dualFocalLoss(x23(), t2(-100, 1)), IndexError, /^dualFocalLoss: argument 'target' contains class index -100, expected an index in \[0, 3\) \(C = 3\)$/);
  });
});

describe('loss modules check their options at construction', () => {
  it('reduction, labelSmoothing', () => {
    expectError(() => new CrossEntropyLoss({ reduction: 'avg' as Reduction }), ValueError, /^CrossEntropyLoss: argument 'reduction'/);
    expectError(() => new CrossEntropyLoss({ labelSmoothing: 2 }), ValueError, /^CrossEntropyLoss: argument 'labelSmoothing'/);
    expectError(() => new BCELoss({ reduction: 'x' as Reduction }), ValueError, /^BCELoss: argument 'reduction'/);
  });
  it('trainable gamma bounds', () => {
    expectError(() => new DualFocalLoss({ gamma: { init: 7, min: 0.5, max: 5 } }), ValueError, /^DualFocalLoss: argument 'gamma' expected min < init < max, got min 0.5, init 7, max 5$/);
    expectError(() => new DualFocalLoss({ gamma: { init: 0.5, min: 0.5, max: 5 } }), ValueError, /min < init < max/);
    expectError(() => new SigmoidFocalLoss({ gamma: { init: 1, min: 2, max: 0 } }), ValueError, /^SigmoidFocalLoss: argument 'gamma' expected min < init < max/);
    expectError(() => new SoftmaxFocalLoss({ gamma: { init: 1, min: -1, max: 3 } }), ValueError, /^SoftmaxFocalLoss: argument 'gamma.min' expected a number >= 0, got -1$/);
    expectError(() => new DualFocalLoss({ gamma: { init: 1, min: 0, max: Infinity } }), ValueError, /^DualFocalLoss: argument 'gamma.max' expected a finite number, got Infinity$/);
    expectError(() => new DualFocalLoss({ gamma: { init: 1, min: 0, max: 3, lr: 1 } as never }), ValueError, /^DualFocalLoss: unknown option 'gamma.lr'/);
    expectError(() => new DualFocalLoss({ rho: 0 }), ValueError, /^DualFocalLoss: argument 'rho'/);
  });
});
