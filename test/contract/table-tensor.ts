import * as T from '@tsgrad/tensor';
import { Tensor, type DType } from '@tsgrad/tensor';
import {
  BAD_BOOL, BAD_DTYPE, BAD_FINITE, BAD_OPTIONS, BAD_SHAPE, NOT_OPERAND, NOT_TENSOR, badInt, custom, dimMutators, each, replace,
  type Entry, type Mutator, type Rng,
} from './harness.js';

/*
 * The bad-call table of @tsgrad/tensor: every exported function (and the Tensor methods
 * that are not a functional op under the same name) with generators of valid arguments
 * and the ways to break them.
 */

const pick = <X>(r: Rng, xs: readonly X[]): X => xs[Math.floor(r() * xs.length)]!;

/** A random small shape (rank in [minRank, maxRank], dims in [1, 3]). */
export function randShape(r: Rng, minRank = 0, maxRank = 3): number[] {
  const rank = minRank + Math.floor(r() * (maxRank - minRank + 1));
  return Array.from({ length: rank }, () => 1 + Math.floor(r() * 3));
}

/** A float tensor of a random shape (float32 or float64), values in [-2, 2). */
export function randTensor(r: Rng, minRank = 0, maxRank = 3, dtype: DType = pick(r, ['float32', 'float64'] as const)): Tensor {
  const shape = randShape(r, minRank, maxRank);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, () => (dtype === 'bool' ? (r() < 0.5 ? 1 : 0) : dtype === 'int32' ? Math.floor(r() * 5) : r() * 4 - 2));
  return T.tensor(data, { dtype, shape });
}

const f = (name: string, make: (r: Rng) => unknown[], call: (a: readonly unknown[]) => unknown, bad: Mutator[], names = [name]): Entry => ({
  name, names, make, call, bad,
});

const fn = (g: unknown) => g as (...a: unknown[]) => unknown;
const apply = (g: unknown) => (a: readonly unknown[]) => fn(g)(...a);

const optionMutators = (i: number, extra: unknown[] = []): Mutator[] => [
  ...each(i, BAD_OPTIONS),
  ...each(i, BAD_DTYPE.map((d) => ({ dtype: d }))),
  ...each(i, [{ requiresGrad: 'yes' }, { requiresGrad: 1 }]),
  ...each(i, extra),
];

const creation: Entry[] = [
  f('tensor', (r) => [randTensor(r).toArray(), { dtype: 'float32' }], apply(T.tensor), [
    ...each(0, [undefined, null, 'x', {}, [[1, 2], [3]], [1, 'a'], new BigInt64Array(1), new DataView(new ArrayBuffer(4))]),
    ...optionMutators(1, [{ dtype: 'int32', requiresGrad: true }, { shape: 'x' }, { shape: [1e9, 1e9] }]),
    custom('fraction into int32', () => [[1.5], { dtype: 'int32' }]),
    custom('1e10 into int32', () => [[1e10], { dtype: 'int32' }]),
    custom('-2**31-1 into int32', () => [[-(2 ** 31) - 1], { dtype: 'int32' }]),
    custom('NaN into int32', () => [[Number.NaN], { dtype: 'int32' }]),
    custom('2 into bool', () => [[2], { dtype: 'bool' }]),
    custom('Int16Array [300, -5] into bool', () => [new Int16Array([300, -5]), { dtype: 'bool' }]),
    custom('Uint8Array [3] (bool)', () => [new Uint8Array([3]), undefined]),
    custom('Uint32Array [2**32-1] (int32)', () => [new Uint32Array([2 ** 32 - 1]), undefined]),
    custom('Float32Array [0.5] into int32', () => [new Float32Array([0.5]), { dtype: 'int32' }]),
    custom('shape with the wrong element count', () => [[1, 2, 3], { shape: [2, 2] }]),
  ]),
  f('zeros', (r) => [randShape(r), undefined], apply(T.zeros), [...each(0, BAD_SHAPE), ...optionMutators(1, [{ dtype: 'int32', requiresGrad: true }])]),
  f('ones', (r) => [randShape(r), { dtype: 'float64' }], apply(T.ones), [...each(0, BAD_SHAPE), ...optionMutators(1, [{ dtype: 'bool', requiresGrad: true }])]),
  f('full', (r) => [randShape(r), 2, undefined], apply(T.full), [
    ...each(0, BAD_SHAPE), ...each(1, [undefined, null, 'x', {}, true]), ...optionMutators(2),
    custom('1.5 into int32', (a) => [a[0], 1.5, { dtype: 'int32' }]),
    custom('1e10 into int32', (a) => [a[0], 1e10, { dtype: 'int32' }]),
    custom('NaN into int32', (a) => [a[0], Number.NaN, { dtype: 'int32' }]),
    custom('3 into bool', (a) => [a[0], 3, { dtype: 'bool' }]),
  ]),
  f('zerosLike', (r) => [randTensor(r), undefined], apply(T.zerosLike), [...each(0, NOT_TENSOR), ...optionMutators(1)]),
  f('onesLike', (r) => [randTensor(r), undefined], apply(T.onesLike), [...each(0, NOT_TENSOR), ...optionMutators(1)]),
  f('fullLike', (r) => [randTensor(r), 3, undefined], apply(T.fullLike), [
    ...each(0, NOT_TENSOR), ...each(1, [undefined, 'x', null]), ...optionMutators(2),
    custom('1.5 into an int32 tensor', (a) => [T.zeros([2], { dtype: 'int32' }), 1.5, a[2]]),
  ]),
  f('arange', (r) => [Math.floor(r() * 3), 5 + Math.floor(r() * 3), 1, undefined], apply(T.arange), [
    ...each(0, BAD_FINITE), ...each(1, [Number.NaN, Infinity, 'x', null]), ...each(2, [0, Number.NaN, 'x', null]), ...optionMutators(3),
    custom('past 2**31 as int32', () => [0, 2 ** 31 + 5, 2 ** 30]),
    custom('past 2**31 with explicit int32', () => [2 ** 31 - 2, 2 ** 31 + 2, 1, { dtype: 'int32' }]),
    custom('fractional steps into int32', () => [0, 2, 0.5, { dtype: 'int32' }]),
    custom('1e10 elements', () => [0, 1e10, 1, { dtype: 'float32' }]),
    custom('bool dtype', () => [0, 2, 1, { dtype: 'bool' }]),
    custom('requiresGrad on int32', () => [0, 3, 1, { requiresGrad: true }]),
  ]),
  f('linspace', (r) => [r(), 2 + r(), 3 + Math.floor(r() * 3), undefined], apply(T.linspace), [
    ...each(0, BAD_FINITE), ...each(1, BAD_FINITE), ...each(2, badInt(0)), ...optionMutators(3),
    custom('fractions into int32', () => [0, 1, 3, { dtype: 'int32' }]),
    custom('2 into bool', () => [0, 2, 3, { dtype: 'bool' }]),
  ]),
  f('eye', (r) => [1 + Math.floor(r() * 3), 1 + Math.floor(r() * 3), undefined], apply(T.eye), [
    ...each(0, badInt(0)), ...each(1, [-1, 1.5, 'x', null]), ...optionMutators(2),
    custom('1e5 × 1e5', () => [1e5, 1e5]),
  ]),
  f('rand', (r) => [randShape(r), undefined], apply(T.rand), [...each(0, BAD_SHAPE), ...optionMutators(1, [{ dtype: 'int32' }, { dtype: 'bool' }])]),
  f('randn', (r) => [randShape(r), { dtype: 'float64' }], apply(T.randn), [...each(0, BAD_SHAPE), ...optionMutators(1, [{ dtype: 'int32' }])]),
  f('randint', (r) => [0, 5 + Math.floor(r() * 3), randShape(r), undefined], apply(T.randint), [
    ...each(0, badInt(0).filter((v) => v !== -1)), ...each(1, [Number.NaN, 1.5, 'x', null, 0]), ...each(2, BAD_SHAPE), ...optionMutators(3),
    custom('bool with values up to 9', (a) => [0, 10, a[2], { dtype: 'bool' }]),
    custom('int32 range past 2**31', (a) => [0, 2 ** 32, a[2]]),
    custom('requiresGrad on int32', (a) => [0, 10, a[2], { requiresGrad: true }]),
    custom('high <= low', (a) => [5, 5, a[2]]),
  ]),
  f('manualSeed', () => [7], apply(T.manualSeed), each(0, [Number.NaN, 0.9, Infinity, -Infinity, 'x', null, undefined, 2 ** 60])),
];

const UNARY = ['neg', 'abs', 'sign', 'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'softplus', 'logSigmoid', 'contiguous'] as const;
const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;

const elementwise: Entry[] = [
  ...UNARY.map((op) => f(op, (r) => [randTensor(r)], apply(T[op]), each(0, NOT_TENSOR))),
  ...BINARY.map((op) => f(op, (r) => [randTensor(r, 0, 2), randTensor(r, 0, 0)], apply(T[op]), [
    ...each(0, NOT_OPERAND), ...each(1, NOT_OPERAND),
    custom('shapes that do not broadcast', () => [T.zeros([2, 3]), T.zeros([4])]),
    custom('a 1e10-element broadcast', () => [T.zeros([100000, 1]), T.zeros([1, 100000])]),
  ])),
  ...BINARY.map((op) => f(`t.${op}`, (r) => [randTensor(r, 0, 2), 2], (a) => (a[0] as unknown as Record<string, (x: unknown) => unknown>)[op]!.call(a[0], a[1]), [
    ...each(1, NOT_OPERAND),
  ], [op])),
  f('t.add(other, alpha)', (r) => [randTensor(r, 1, 2), 2, 0.5], (a) => (a[0] as Tensor).add(a[1] as number, a[2] as number), [
    ...each(1, NOT_OPERAND), ...each(2, [Number.NaN, 'x', null, {}]),
  ], ['add']),
  f('t.sub(other, alpha)', (r) => [randTensor(r, 1, 2), 2, 0.5], (a) => (a[0] as Tensor).sub(a[1] as number, a[2] as number), [
    ...each(1, NOT_OPERAND), ...each(2, [Number.NaN, Infinity, 'x']),
  ], ['sub']),
  f('where', (r) => { const x = randTensor(r, 1, 2); return [x.gt(0), x, 0]; }, apply(T.where), [
    ...each(0, [...NOT_TENSOR, T.zeros([1])]), ...each(1, NOT_OPERAND), ...each(2, NOT_OPERAND),
    custom('shapes that do not broadcast', () => [T.zeros([3]).gt(0), T.zeros([2, 2]), 0]),
  ]),
  f('clamp', (r) => [randTensor(r), -0.5, 0.5], apply(T.clamp), [
    ...each(0, NOT_TENSOR), ...each(1, ['x', [1], {}, true]), ...each(2, ['x', [1], {}]),
    custom('a tensor bound that does not broadcast', () => [T.zeros([2, 3]), T.zeros([4]), null]),
  ]),
  f('matmul', (r) => { const k = 1 + Math.floor(r() * 3); return [T.rand([2, k]), T.rand([k, 3])]; }, apply(T.matmul), [
    ...each(0, NOT_TENSOR), ...each(1, NOT_TENSOR),
    custom('inner sizes differ', () => [T.zeros([2, 3]), T.zeros([4, 2])]),
    custom('0-d operand', () => [T.tensor(1), T.zeros([2])]),
    custom('1e10-element result', () => [T.zeros([100000, 1]), T.zeros([1, 100000])]),
  ]),
];

const REDUCE = ['sum', 'mean', 'max', 'min', 'logSumExp'] as const;
const dupDims = (args: readonly unknown[]) => {
  const n = (args[0] as Tensor).ndim;
  return n === 0 ? [0, -1] : [0, -n];
};

const reductions: Entry[] = [
  ...REDUCE.map((op) => f(op, (r) => [randTensor(r), undefined, false], apply(T[op]), [
    ...each(0, NOT_TENSOR), ...dimMutators(1), replace(1, 'a repeated dim', dupDims), ...each(1, [[0.5], ['x']]), ...each(2, BAD_BOOL),
  ])),
  ...REDUCE.map((op) => f(`t.${op}`, (r) => [randTensor(r), undefined, false], (a) => (a[0] as unknown as Record<string, (...x: unknown[]) => unknown>)[op]!.call(a[0], a[1], a[2]), [
    ...dimMutators(1), ...each(2, BAD_BOOL),
  ], [op])),
  ...(['argmax', 'argmin'] as const).map((op) => f(op, (r) => [randTensor(r, 1), 0, false], apply(T[op]), [
    ...each(0, NOT_TENSOR), ...dimMutators(1), ...each(1, [[0], 'x']), ...each(2, BAD_BOOL),
  ])),
  f('var', (r) => [randTensor(r, 1), 0, {}], apply(T.variance), [
    ...each(0, NOT_TENSOR), ...dimMutators(1), replace(1, 'a repeated dim', dupDims),
    ...each(2, [...BAD_OPTIONS, { correction: Number.NaN }, { keepdim: 'yes' }]),
  ]),
  ...(['softmax', 'logSoftmax'] as const).map((op) => f(op, (r) => [randTensor(r), -1], apply(T[op]), [
    ...each(0, NOT_TENSOR), ...dimMutators(1), ...each(1, [undefined, null]),
  ])),
];

const shapeOps: Entry[] = [
  f('reshape', (r) => { const x = randTensor(r); return [x, [x.numel]]; }, apply(T.reshape), [
    ...each(0, NOT_TENSOR), ...each(1, [5, 'x', null, [1.5], [-2], [-1, -1], [Number.NaN]]),
    replace(1, 'one element too many', (a) => [(a[0] as Tensor).numel + 1]),
  ]),
  f('flatten', (r) => [randTensor(r), 0, -1], apply(T.flatten), [...each(0, NOT_TENSOR), ...dimMutators(1), ...dimMutators(2)]),
  f('squeeze', (r) => [randTensor(r), undefined], apply(T.squeeze), [...each(0, NOT_TENSOR), ...dimMutators(1), replace(1, 'a repeated dim', dupDims)]),
  f('unsqueeze', (r) => [randTensor(r), 0], apply(T.unsqueeze), [...each(0, NOT_TENSOR), ...dimMutators(1, 0, 1), ...each(1, [undefined, null])]),
  f('permute', (r) => { const x = randTensor(r); return [x, x.shape.map((_, i) => i)]; }, apply(T.permute), [
    ...each(0, NOT_TENSOR), ...each(1, [5, 'x', null, [0.5]]),
    replace(1, 'one dim too many', (a) => [...(a[0] as Tensor).shape.map((_, i) => i), 0]),
    replace(1, 'a repeated dim (or one too many)', (a) => {
      const n = (a[0] as Tensor).ndim;
      return n >= 2 ? new Array<number>(n).fill(0) : new Array<number>(n + 1).fill(0);
    }),
  ]),
  f('transpose', (r) => [randTensor(r), 0, -1], apply(T.transpose), [...each(0, NOT_TENSOR), ...dimMutators(1), ...dimMutators(2)]),
  f('t.transpose on a 1-d tensor', (r) => [randTensor(r, 1, 1)], (a) => (a[0] as Tensor).transpose(a[1] as number, a[2] as number), [
    custom('transpose(5, 7)', (a) => [a[0], 5, 7]),
  ], ['transpose']),
  f('expand', (r) => { const x = randTensor(r, 0, 2); return [x, [2, ...x.shape]]; }, apply(T.expand), [
    ...each(0, NOT_TENSOR), ...each(1, [5, 'x', null, [1.5], [-2]]),
    custom('incompatible', () => [T.zeros([2, 3]), [3, 3]]),
    custom('fewer dims', () => [T.zeros([2, 3]), [3]]),
    custom('1e10 elements', () => [T.zeros([1]), [100000, 100000]]),
  ]),
  f('slice', (r) => [randTensor(r, 1), 0, 0, 1, 1], apply(T.slice), [
    ...each(0, NOT_TENSOR), ...dimMutators(1),
    ...each(2, [0.5, Number.NaN, Infinity, 'x', {}]), ...each(3, [1.5, Number.NaN, '1']), ...each(4, [0, -1, 0.5, Number.NaN, null]),
  ]),
  f('t.slice', (r) => [randTensor(r, 2, 2)], (a) => (a[0] as Tensor).slice(a[1] as number, a[2] as number, a[3] as number).contiguous(), [
    custom('slice(0, 0.5)', (a) => [a[0], 0, 0.5]),
    custom('slice(0, NaN)', (a) => [a[0], 0, Number.NaN]),
  ], ['slice']),
  f('narrow', (r) => [randTensor(r, 1), 0, 0, 1], apply(T.narrow), [
    ...each(0, NOT_TENSOR), ...dimMutators(1), ...each(2, [0.5, Number.NaN, 'x', undefined]), ...each(3, [-1, 0.5, undefined]),
    replace(3, 'past the end', (a) => (a[0] as Tensor).shape[0]! + 1),
  ]),
  f('split', (r) => [randTensor(r, 1), 1, 0], apply(T.split), [
    ...each(0, NOT_TENSOR), ...each(1, [0, -1, 1.5, Number.NaN, 'x', null, [1.5], [-1]]), ...dimMutators(2),
    replace(1, 'sizes not summing to the dim', (a) => [(a[0] as Tensor).shape[0]! + 1]),
    replace(1, 'a negative size summing to the dim', (a) => [(a[0] as Tensor).shape[0]! + 1, -1]),
  ]),
  f('chunk', (r) => [randTensor(r, 1), 2, 0], apply(T.chunk), [...each(0, NOT_TENSOR), ...each(1, badInt(1)), ...dimMutators(2)]),
  f('cat', (r) => { const x = randTensor(r, 1); return [[x, x], 0]; }, apply(T.cat), [
    replace(0, 'a Tensor, not an array', (a) => (a[0] as Tensor[])[0]),
    ...each(0, [[], 'x', null, 5]),
    replace(0, 'a plain array inside', (a) => [(a[0] as Tensor[])[0], [1, 2]]),
    custom('0-d tensors', () => [[T.tensor(1), T.tensor(2)], 0]),
    custom('shapes differing outside dim', () => [[T.zeros([2, 3]), T.zeros([3, 3])], 1]),
    replace(1, 'dim out of range', (a) => (a[0] as Tensor[])[0]!.ndim),
    ...each(1, [0.5, 'x', null]),
  ]),
  f('stack', (r) => { const x = randTensor(r); return [[x, x], 0]; }, apply(T.stack), [
    replace(0, 'a Tensor, not an array', (a) => (a[0] as Tensor[])[0]),
    ...each(0, [[], 'x', null]),
    replace(0, 'a plain array inside', (a) => [(a[0] as Tensor[])[0], [1, 2]]),
    custom('different shapes', () => [[T.zeros([2]), T.zeros([3])], 0]),
    replace(1, 'dim out of range', (a) => (a[0] as Tensor[])[0]!.ndim + 1),
    ...each(1, [0.5, 'x']),
  ]),
];

const int32 = (v: number[], shape?: number[]) => T.tensor(v, { dtype: 'int32', shape });

const indexing: Entry[] = [
  f('gather', () => [T.rand([2, 3]), 1, int32([0, 2, 1, 1], [2, 2])], apply(T.gather), [
    ...each(0, NOT_TENSOR), ...dimMutators(1), ...each(2, [...NOT_TENSOR, T.zeros([2, 2])]),
    replace(2, 'an index out of range', () => int32([0, 3, 1, 1], [2, 2])),
    replace(2, 'a negative index', () => int32([0, -1, 1, 1], [2, 2])),
  ]),
  f('scatterAdd', () => [T.zeros([2, 3]), 1, int32([0, 2, 1, 1], [2, 2]), T.ones([2, 2])], apply(T.scatterAdd), [
    ...each(0, NOT_TENSOR), ...dimMutators(1), ...each(2, [...NOT_TENSOR, T.zeros([2, 2])]), ...each(3, NOT_TENSOR),
    replace(2, 'an index out of range', () => int32([0, 3, 1, 1], [2, 2])),
    replace(3, 'src smaller than index', () => T.ones([1, 1])),
  ]),
  f('indexSelect', () => [T.rand([3, 2]), 0, int32([2, 0])], apply(T.indexSelect), [
    ...each(0, NOT_TENSOR), ...dimMutators(1), ...each(2, [...NOT_TENSOR, T.zeros([2]), int32([0, 1], [1, 2])]),
    replace(2, 'an index out of range', () => int32([3])),
    custom('0-d input with two indices', () => [T.tensor(1), 0, int32([0, 0])]),
  ]),
  f('oneHot', () => [int32([0, 2, 1]), 3], apply(T.oneHot), [
    ...each(0, [...NOT_TENSOR, T.zeros([2])]), ...each(1, [-2, 1.5, Number.NaN, 'x', null, 2]),
    replace(0, 'a negative class', () => int32([-1])),
    custom('1e10 classes', () => [int32([0, 1]), 1e10]),
  ]),
];

/** y = sum(a·b) with a, b leaves (the graph a grad/backward entry works on). */
function graph(r: Rng): { a: Tensor; b: Tensor; y: Tensor; unrelated: Tensor } {
  const a = randTensor(r, 1, 2, 'float64').requiresGrad_();
  const b = randTensor(r, 0, 0, 'float64').requiresGrad_();
  return { a, b, y: a.mul(b).sum(), unrelated: T.zeros([2], { dtype: 'float64', requiresGrad: true }) };
}

const autograd: Entry[] = [
  f('grad', (r) => { const g = graph(r); return [g.y, [g.a, g.b], {}, g.unrelated]; }, (a) => T.grad(a[0] as Tensor, a[1] as Tensor[], a[2] as T.GradOptions), [
    replace(1, 'an unrelated input', (a) => [...(a[1] as Tensor[]), a[3]]),
    ...each(0, [null, 5, 'x', [5]]), ...each(1, [null, 5, 'x', [5], {}]),
    ...each(2, [...BAD_OPTIONS, { createGraph: 'yes' }, { retainGraph: 1 }, { allowUnused: null }]),
    replace(2, 'gradOutputs of the wrong shape', () => ({ gradOutputs: T.ones([3], { dtype: 'float64' }) })),
    replace(2, 'gradOutputs not a Tensor', () => ({ gradOutputs: [5] })),
    replace(1, 'an input that does not require grad', () => [T.zeros([1])]),
  ]),
  f('t.backward', (r) => { const g = graph(r); return [g.y, undefined, undefined, g.a]; }, (a) => (a[0] as Tensor).backward(a[1] as Tensor, a[2] as object), [
    ...each(1, [1, 'x', null, [1], {}]), ...each(2, [...BAD_OPTIONS, { retainGraph: 'x' }]),
    replace(1, 'a gradient of the wrong shape', () => T.ones([2], { dtype: 'float64' })),
    replace(0, 'a non-scalar output without a gradient', () => T.ones([2], { dtype: 'float64', requiresGrad: true }).mul(2)),
    replace(0, 'a tensor outside the graph', () => T.zeros([1])),
  ], ['backward']),
  f('t.to', (r) => [randTensor(r), 'float64'], (a) => (a[0] as Tensor).to(a[1] as DType), each(1, [...BAD_DTYPE, undefined]), ['to']),
  f('t.requiresGrad_', (r) => [randTensor(r), true], (a) => (a[0] as Tensor).requiresGrad_(a[1] as boolean), [
    ...each(1, ['yes', 1, null]),
    replace(0, 'an int32 tensor', () => T.zeros([2], { dtype: 'int32' })),
  ], ['requiresGrad']),
  f('t.grad =', (r) => [randTensor(r)], (a) => { (a[0] as Tensor).grad = a[1] as Tensor; }, each(1, [5, 'x', {}, [1]]), ['grad']),
  f('t.item', () => [T.zeros([2])], (a) => (a[0] as Tensor).item(), [custom('two elements', (a) => [a[0]])], ['item']),
  f('unbroadcast', () => [T.ones([2, 3]), [1, 3]], apply(T.unbroadcast), [
    ...each(0, NOT_TENSOR), ...each(1, BAD_SHAPE),
    replace(1, 'a shape that does not broadcast to the gradient', () => [4]),
  ]),
];

/** The ops added with tensor-extras (select, sort, cumsum, norms, in-place writes, unfold). */
const extras: Entry[] = [
  f('clone', (r) => [randTensor(r)], apply(T.clone), each(0, NOT_TENSOR)),
  f('select', (r) => [randTensor(r, 1), 0, 0], apply(T.select), [
    ...each(0, NOT_TENSOR), ...dimMutators(1), ...each(2, [0.5, Number.NaN, 'x', null, undefined]),
    replace(2, 'an index past the end', (a) => (a[0] as Tensor).shape[0]!),
  ]),
  f('maskedFill', (r) => { const x = randTensor(r, 1, 2); return [x, x.gt(0), 0]; }, apply(T.maskedFill), [
    ...each(0, NOT_TENSOR), ...each(1, [...NOT_TENSOR, T.zeros([1])]), ...each(2, [undefined, null, 'x', [1], {}]),
    custom('a mask that does not broadcast', () => [T.zeros([2, 3]), T.zeros([4]).gt(0), 0]),
  ]),
  ...(['sort', 'argsort'] as const).map((op) => f(op, (r) => [randTensor(r, 1), -1, false], apply(T[op]), [
    ...each(0, NOT_TENSOR), ...dimMutators(1), ...each(2, BAD_BOOL),
  ])),
  f('topk', (r) => [randTensor(r, 1), 1, -1, true, true], apply(T.topk), [
    ...each(0, NOT_TENSOR), ...each(1, [-1, 0.5, Number.NaN, 'x', undefined]), ...dimMutators(2), ...each(3, BAD_BOOL), ...each(4, BAD_BOOL),
    replace(1, 'k past the dim size', (a) => (a[0] as Tensor).shape[(a[0] as Tensor).ndim - 1]! + 1),
  ]),
  f('cumsum', (r) => [randTensor(r), 0], apply(T.cumsum), [...each(0, NOT_TENSOR), ...dimMutators(1), ...each(1, [undefined, null])]),
  f('std', (r) => [randTensor(r, 1), undefined, {}], apply(T.std), [
    ...each(0, NOT_TENSOR), ...dimMutators(1), replace(1, 'a repeated dim', dupDims),
    ...each(2, [...BAD_OPTIONS, { correction: -1 }, { keepdim: 'yes' }, { correction: 1, unbiased: true }]),
  ]),
  f('norm', (r) => [randTensor(r, 1), 2, undefined, false], apply(T.norm), [
    ...each(0, [...NOT_TENSOR, T.zeros([2], { dtype: 'int32' })]), ...each(1, [Number.NaN, 'nuc', null, {}]), ...dimMutators(2), ...each(3, BAD_BOOL),
  ]),
  f('fill_', (r) => [randTensor(r), 1], apply(T.fill_), [
    ...each(0, NOT_TENSOR), ...each(1, [undefined, null, 'x', {}, [1]]),
    replace(0, 'a leaf that requires grad', () => T.zeros([2], { requiresGrad: true })),
    replace(0, 'a non-leaf in the graph', () => T.zeros([2], { requiresGrad: true }).mul(2)),
    custom('1e10 into an int32 tensor (would wrap)', () => [T.zeros([2], { dtype: 'int32' }), 1e10]),
  ]),
  f('zero_', (r) => [randTensor(r)], apply(T.zero_), [
    ...each(0, NOT_TENSOR), replace(0, 'a leaf that requires grad', () => T.zeros([2], { requiresGrad: true })),
  ]),
  f('unfold', (r) => [randTensor(r, 1), 0, 1, 1, 1], apply(T.unfold), [
    ...each(0, [...NOT_TENSOR, T.tensor(1)]), ...dimMutators(1), ...each(2, badInt(1)), ...each(3, badInt(1)), ...each(4, [0, 1.5, 'x']),
    replace(2, 'a window larger than the dim', (a) => (a[0] as Tensor).shape[0]! + 1),
  ]),
];

/** Entries whose `make` is not a valid call by design (the mutator passes it on unchanged), with the reason. */
export const TENSOR_INVALID_BASE: Readonly<Record<string, string>> = {
  't.transpose on a 1-d tensor': 'the call reads its dims from the mutator (the base has none)',
  't.slice': 'the call reads its bounds from the mutator (the base has none)',
  't.item': 'the base is a two-element tensor, the bad call itself',
};

/** Memory scopes, thread-pool control and printing (landed alongside the validation layer). */
const NOT_FUNCTION: unknown[] = [undefined, null, 5, 'x', {}, [() => 1], true];
const runtime: Entry[] = [
  f('tidy', (r) => { const x = randTensor(r); return [() => x.add(1).mul(2)]; }, apply(T.tidy), each(0, [...NOT_FUNCTION, T.ones([2])])),
  f('tidyUpdates', (r) => { const x = randTensor(r); return [() => x.add(1)]; }, apply(T.tidyUpdates), each(0, NOT_FUNCTION)),
  f('keep', (r) => [randTensor(r)], apply(T.keep), each(0, [...NOT_TENSOR, { storage: {}, gradFn: null, shape: [1] }])),
  f('releaseToScope', (r) => [randTensor(r)], apply(T.releaseToScope), each(0, [...NOT_TENSOR, { storage: {}, gradFn: null, shape: [1] }])),
  f('setNumThreads', () => [T.getNumThreads()], apply(T.setNumThreads), each(0, [0, -1, 257, 1.5, Number.NaN, Infinity, '2', null, undefined, [2]])),
  f('threadsReady', () => [0], apply(T.threadsReady), each(0, [-1, Number.NaN, Infinity, '5', null, [5]])),
  f('formatTensor', (r) => [randTensor(r)], apply(T.formatTensor), each(0, [
    ...NOT_TENSOR, { shape: 'x', dtype: 'float32', dataSync: () => new Float32Array(2) }, { shape: [-1], dtype: 'float32', dataSync: () => new Float32Array(0) },
    { shape: [2], dtype: 'float16', dataSync: () => new Float32Array(2) }, { shape: [2], dtype: 'float32' }, { shape: [2], dtype: 'float32', dataSync: () => new Float32Array(2), gradFn: 5 },
  ])),
];

export const TENSOR_TABLE: readonly Entry[] = [...creation, ...elementwise, ...reductions, ...shapeOps, ...indexing, ...autograd, ...extras, ...runtime];

/**
 * Exports of @tsgrad/tensor deliberately outside the bad-call table, each with the
 * reason. Anything exported that is neither in the table nor here fails the coverage test.
 */
export const TENSOR_EXEMPT: Readonly<Record<string, string>> = {
  Tensor: 'the class: its methods are covered through the functional ops and the t.* entries',
  TsgradError: 'error class', ShapeError: 'error class', DTypeError: 'error class', IndexError: 'error class',
  ValueError: 'error class', AutogradError: 'error class', BackendError: 'error class',
  promoteTypes: 'dtype lattice helper for op authors (takes dtype names TypeScript already checks)',
  spec: 'the validation layer itself (tested in validate.test.ts)',
  checked: 'the validation layer itself', declare: 'the validation layer itself', validateArgs: 'the validation layer itself',
  signatureOf: 'the validation layer itself', checkArg: 'the validation layer itself', checkSize: 'the validation layer itself',
  describeValue: 'the validation layer itself', isTensor: 'the validation layer itself', MAX_ELEMENTS: 'a constant',
  noGrad: 'takes a callback; grad mode is restored by try/finally', enableGrad: 'takes a callback', isGradEnabled: 'no arguments',
  var_: 'alias of variance (covered as var)', variance: 'covered as var',
  VJP: 'the primitive table, for op authors', setBackend: 'backend selection: BackendError tested in backend.test.ts',
  getBackend: 'no arguments', backendInfo: 'no arguments', registerBackend: 'backend plug-in API (backend.test.ts)',
  listBackends: 'no arguments', getBackendByName: 'BackendError tested in backend.test.ts', cpuBackend: 'no arguments',
  CpuBackend: 'backend class', CpuStorage: 'backend class', WasmBackend: 'backend class', WasmStorage: 'backend class',
  wasm: 'backend instance', evaluate: 'a no-op on eager backends', hostBackend: 'backend plumbing', transferStats: 'no arguments',
  resetTransferStats: 'no arguments', broadcastShapes: 'shape helper for op authors (throws ShapeError naming its caller)',
  contiguousStrides: 'shape helper for op authors', isContiguous: 'shape helper for op authors', numelOf: 'shape helper for op authors',
  LazyNode: 'fusion internals', sourceOfNode: 'fusion internals', opsOf: 'fusion internals', opName: 'fusion internals',
  nextGraphId: 'fusion internals', unaryOp: 'fusion internals', binaryOp: 'fusion internals', foldConstants: 'fusion internals', markCaptured: 'fusion internals', blockReplaced: 'memory-scope hook for backends (called by lazy backends, not by users)',
  syncCollector: 'memory plumbing', cleanupSome: 'memory plumbing', envVar: 'environment helper', nodeBuiltin: 'environment helper',
  inScope: 'no arguments', getNumThreads: 'no arguments', terminateThreads: 'no arguments (stops the worker pool; tested in threads.test.ts)',
};
