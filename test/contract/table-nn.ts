import * as NN from '@tsgrad/nn';
import { Adagrad, Adam, AdamW, Linear, Module, Optimizer, Parameter, RMSprop, SGD, init } from '@tsgrad/nn';
import * as T from '@tsgrad/tensor';
import { Tensor } from '@tsgrad/tensor';
import {
  BAD_BOOL, BAD_FINITE, BAD_OPTIONS, BAD_SHAPE, NOT_TENSOR, badInt, custom, each, replace, type Entry, type Mutator, type Rng,
} from './harness.js';
import { randTensor } from './table-tensor.js';

/*
 * The bad-call table of @tsgrad/nn: losses (functions and modules, options checked at
 * construction), layers, optimisers (every gradient and option checked before any
 * update), initialisers and state dicts.
 */

/** The called function's name: `new Linear` → Linear, `Adam.step` → Adam (optimiser messages read "Adam.step: …"), `init.uniform` → uniform. */
const calledName = (name: string) => name.replace(/^new /, '').replace(/^init\./, '').replace(/[.(].*$/, '');
const f = (name: string, make: (r: Rng) => unknown[], call: (a: readonly unknown[]) => unknown, bad: Mutator[], names = [calledName(name)]): Entry => ({
  name, names, make, call, bad,
});
const apply = (g: unknown) => (a: readonly unknown[]) => (g as (...x: unknown[]) => unknown)(...a);
const construct = (C: unknown) => (a: readonly unknown[]) => new (C as new (...x: unknown[]) => unknown)(...a);

const int32 = (v: number[]) => T.tensor(v, { dtype: 'int32' });
const logits = (r: Rng) => T.tensor(Array.from({ length: 6 }, () => r() * 4 - 2), { shape: [2, 3], dtype: 'float64' });
const probs = (r: Rng) => T.tensor(Array.from({ length: 6 }, () => 0.05 + 0.9 * r()), { shape: [2, 3], dtype: 'float64' });

const NULL_REDUCTION = [{ reduction: null }, { reduction: 'avg' }, { reduction: 1 }];

/** Mutators shared by the (input, target, options) losses. */
const lossMutators = (extraOptions: unknown[]): Mutator[] => [
  ...each(0, NOT_TENSOR), ...each(1, NOT_TENSOR),
  replace(0, 'an int32 input', () => T.zeros([2, 3], { dtype: 'int32' })),
  ...each(2, [...BAD_OPTIONS, ...NULL_REDUCTION, ...extraOptions]),
];

const classLoss = (name: string, fn: unknown, extra: unknown[], minClasses = 1): Entry =>
  f(name, (r) => [logits(r), int32([0, 2]), {}], apply(fn), [
    ...lossMutators([...extra, { ignoreIndex: null }]),
    replace(1, 'a class index out of range', () => int32([0, 3])),
    replace(1, 'float targets of the index shape', () => T.zeros([2])),
    replace(1, 'index targets of the wrong shape', () => int32([0, 1, 2])),
    ...(minClasses > 1 ? [replace(0, 'one class', () => T.zeros([2, 1]))] : []),
  ]);

const losses: Entry[] = [
  classLoss('crossEntropy', NN.crossEntropy, [{ labelSmoothing: 2 }, { labelSmoothing: Number.NaN }, { weight: T.ones([4]) }, { ignoreIndex: 0.5 }, { label_smoothing: 0.1 }]),
  classLoss('nllLoss', NN.nllLoss, [{ weight: T.ones([2]) }, { weight: 'x' }, { ignoreIndex: 'x' }]),
  classLoss('softmaxFocalLoss', NN.softmaxFocalLoss, [{ gamma: -1 }, { gamma: Number.NaN }, { alpha: T.ones([4]) }, { alpha: 'x' }], 2),
  classLoss('dualFocalLoss', NN.dualFocalLoss, [{ gamma: -1 }, { rho: 0.5 }, { alpha: 'x' }, { beta: T.ones([2]) }], 2),
  f('binaryCrossEntropy', (r) => [probs(r), probs(r), {}], apply(NN.binaryCrossEntropy), [
    ...lossMutators([{ weight: T.ones([4]) }, { posWeight: T.ones([3]) }]),
    replace(0, 'a probability above 1', () => T.full([2, 3], 1.5, { dtype: 'float64' })),
    replace(1, 'a target of another shape', () => T.zeros([3, 2])),
  ]),
  f('binaryCrossEntropyWithLogits', (r) => [logits(r), probs(r), {}], apply(NN.binaryCrossEntropyWithLogits), [
    ...lossMutators([{ weight: T.ones([4]) }, { posWeight: T.ones([4]) }, { posWeight: 'x' }]),
    replace(1, 'a target of another shape', () => T.zeros([3, 2])),
  ]),
  f('softMarginLoss', (r) => [logits(r), T.ones([2, 3]), {}], apply(NN.softMarginLoss), [
    ...lossMutators([]),
    replace(1, 'a bool target', () => T.ones([2, 3]).gt(0)),
  ]),
  f('sigmoidFocalLoss', (r) => [logits(r), probs(r), {}], apply(NN.sigmoidFocalLoss), [
    ...lossMutators([{ alpha: 1.5 }, { alpha: Number.NaN }, { gamma: -1 }, { gamma: T.ones([2]) }]),
    replace(1, 'a target of another shape', () => T.zeros([3, 2])),
  ]),
];

type LossModule = { forward(a: Tensor, b: Tensor): Tensor };
const lossModule = (name: string, C: unknown, badOptions: unknown[], fnName: string, target: (r: Rng) => Tensor, input = logits): Entry[] => [
  f(`new ${name}`, () => [{}], construct(C), each(0, [...BAD_OPTIONS, ...NULL_REDUCTION, ...badOptions])),
  f(`${name}.forward`, (r) => [new (C as new () => LossModule)(), input(r), target(r)], (a) => (a[0] as LossModule).forward(a[1] as Tensor, a[2] as Tensor), [
    ...each(1, NOT_TENSOR), ...each(2, NOT_TENSOR), replace(2, 'a target of another shape', () => T.zeros([5])),
  ], [name, fnName]),
];

const lossModules: Entry[] = [
  ...lossModule('CrossEntropyLoss', NN.CrossEntropyLoss, [{ weight: 'x' }, { weight: T.ones([2, 2]) }, { labelSmoothing: 3 }], 'crossEntropy', () => int32([0, 2])),
  ...lossModule('NLLLoss', NN.NLLLoss, [{ weight: T.zeros([2], { dtype: 'int32' }) }, { ignoreIndex: 0.5 }], 'nllLoss', () => int32([0, 2])),
  ...lossModule('BCELoss', NN.BCELoss, [{ weight: 'x' }, { posWeight: T.ones([3]) }], 'binaryCrossEntropy', probs, probs),
  ...lossModule('BCEWithLogitsLoss', NN.BCEWithLogitsLoss, [{ posWeight: 5 }], 'binaryCrossEntropyWithLogits', probs),
  ...lossModule('SoftMarginLoss', NN.SoftMarginLoss, [{ margin: 1 }], 'softMarginLoss', () => T.ones([2, 3])),
  ...lossModule('SigmoidFocalLoss', NN.SigmoidFocalLoss, [{ alpha: 1.5 }, { gamma: -1 }, { gamma: { init: 5, min: 0, max: 1 } }], 'sigmoidFocalLoss', probs),
  ...lossModule('SoftmaxFocalLoss', NN.SoftmaxFocalLoss, [{ gamma: -1 }, { gamma: Number.NaN }, { gamma: 'x' }, { alpha: 'x' }, { alpha: T.ones([2, 2]) }, { gamma: { init: 1, min: 0, max: 2, typo: 1 } }], 'softmaxFocalLoss', () => int32([0, 2])),
  ...lossModule('DualFocalLoss', NN.DualFocalLoss, [{ gamma: -1 }, { rho: 0 }, { alpha: Number.NaN }, { beta: 'x' }], 'dualFocalLoss', () => int32([0, 2])),
];

const layers: Entry[] = [
  f('new Linear', () => [2, 3, {}], construct(Linear), [
    ...each(0, badInt(0)), ...each(1, badInt(0)), ...each(2, [...BAD_OPTIONS, { dtype: 'int32' }, { bias: 'yes' }]),
    custom('1e5 × 1e5 weight', () => [1e5, 1e5, {}]),
  ]),
  f('Linear.forward', (r) => [new Linear(3, 2, { dtype: 'float64' }), randTensor(r, 2, 2, 'float64').reshape([-1]).narrow(0, 0, 1).expand([2, 3])],
    (a) => (a[0] as Linear).forward(a[1] as Tensor), [...each(1, NOT_TENSOR), replace(1, 'a wrong last dim', () => T.zeros([2, 4]))], ['Linear']),
  f('new LayerNorm', () => [4, {}], construct(NN.LayerNorm), [
    ...each(0, [0, -1, 1.5, 'x', null, [], [2, 0], [1e9, 1e9]]), ...each(1, [...BAD_OPTIONS, { eps: -1 }, { dtype: 'int32' }, { elementwiseAffine: 'yes' }]),
  ]),
  f('LayerNorm.forward', () => [new NN.LayerNorm(4), T.rand([2, 4])], (a) => (a[0] as Module).forward(a[1] as Tensor), [
    ...each(1, [...NOT_TENSOR, [1, 2, 3, 4]]), replace(1, 'a wrong trailing dim', () => T.zeros([2, 3])),
  ], ['LayerNorm', 'layerNorm']),
  f('layerNorm', () => [T.rand([2, 4]), 4, {}], apply(NN.layerNorm), [
    ...each(0, NOT_TENSOR), ...each(1, [0, 1.5, 'x', null]), ...each(2, [...BAD_OPTIONS, { eps: -1 }, { weight: 'x' }]),
  ]),
  f('new GELU', () => [{}], construct(NN.GELU), each(0, [...BAD_OPTIONS, { approximate: 'fast' }])),
  f('gelu', (r) => [randTensor(r), {}], apply(NN.gelu), [...each(0, NOT_TENSOR), ...each(1, [...BAD_OPTIONS, { approximate: 'fast' }])]),
  f('new Dropout', () => [0.5], construct(NN.Dropout), each(0, [1, -0.1, Number.NaN, 'x', null])),
  f('dropout', (r) => [randTensor(r), 0.5, true], apply(NN.dropout), [...each(0, NOT_TENSOR), ...each(1, [1, 1.5, -0.1, 'x']), ...each(2, BAD_BOOL)]),
  f('new Flatten', () => [1, -1], construct(NN.Flatten), [...each(0, [0.5, 'x', null]), ...each(1, [Number.NaN, 'x'])]),
  ...(['ReLU', 'Sigmoid', 'Tanh', 'GELU', 'Flatten', 'Dropout'] as const).map((name) =>
    f(`${name}.forward`, () => [new (NN[name] as unknown as new () => Module)(), T.rand([2, 3])], (a) => (a[0] as Module).forward(a[1] as Tensor),
      each(1, [...NOT_TENSOR, [1, 2, 3]]), [name])),
  f('new Sequential', () => [new NN.ReLU()], construct(NN.Sequential), each(0, [null, 5, {}, (x: Tensor) => x])),
];

// ---------------------------------------------------------------- optimisers

interface OptimCase {
  opt: Optimizer<object, unknown>;
  w: Parameter;
  b: Parameter;
}

/** Two parameters, one valid step already taken (so state exists), fresh valid gradients. */
function trained(C: new (p: Parameter[], o?: object) => Optimizer<object, unknown>, r: Rng, opts: object = {}): OptimCase {
  const w = new Parameter(T.rand([3]).add(r()));
  const b = new Parameter(T.rand([3]));
  const opt = new C([w, b], opts);
  w.mul(b).sum().backward();
  opt.step();
  w.grad = T.ones([3]);
  b.grad = T.ones([3]);
  return { opt, w, b };
}

const OPTIMIZERS = { SGD, Adam, AdamW, RMSprop, Adagrad } as const;
const OPTIONS_OF: Record<keyof typeof OPTIMIZERS, unknown[]> = {
  SGD: [{ lr: 0.1, momentun: 0.9 }, { lr: -1 }, { momentum: Number.NaN }, { nesterov: true }, { lr: null }],
  Adam: [{ learningRate: 0.5 }, { betas: [0.9, 1] }, { eps: -1 }, { amsgrad: 'yes' }, { lr: null }],
  AdamW: [{ learningRate: 0.5 }, { weightDecay: -1 }, { betas: 0.9 }],
  RMSprop: [{ learningRate: 0.5 }, { alpha: -1 }, { centred: true }],
  Adagrad: [{ learningRate: 0.5 }, { lrDecay: -1 }, { eps: Number.NaN }],
};

const optimizers: Entry[] = (Object.keys(OPTIMIZERS) as (keyof typeof OPTIMIZERS)[]).flatMap((name) => {
  const C = OPTIMIZERS[name] as unknown as new (p: unknown, o?: object) => Optimizer<object, unknown>;
  return [
    f(`new ${name}`, () => [[new Parameter(T.rand([2]))], { lr: 0.1 }], construct(C), [
      ...each(1, [...BAD_OPTIONS, ...OPTIONS_OF[name]]),
      ...each(0, [null, 5, [], [5], T.rand([2])]),
      replace(0, 'a parameter group with an unknown option', (a) => [{ params: a[0], learningRate: 0.1 }]),
      replace(0, 'a parameter group with a bad value', (a) => [{ params: a[0], lr: -1 }]),
      replace(0, 'an int32 parameter', () => [T.zeros([2], { dtype: 'int32' })]),
    ]),
    f(`${name}.step`, (r) => { const c = trained(C as never, r); return [c.opt, c.w, c.b]; }, (a) => (a[0] as Optimizer<object, unknown>).step(), [
      custom('a broadcastable wrong-shaped gradient on the second parameter', (a) => { (a[2] as Tensor).grad = T.tensor([5]); return [...a]; }),
      custom('a wrong-shaped gradient on the second parameter', (a) => { (a[2] as Tensor).grad = T.ones([4]); return [...a]; }),
      custom('a float64 gradient on a float32 parameter', (a) => { (a[2] as Tensor).grad = T.ones([3], { dtype: 'float64' }); return [...a]; }),
      custom('an invalid option set between steps', (a) => { (a[0] as Optimizer<{ lr: number }, unknown>).paramGroups[0]!.lr = -1; return [...a]; }),
    ], [name]),
  ];
});
// loadStateDict: the optimiser's own snapshot, broken one entry at a time.
for (const name of Object.keys(OPTIMIZERS) as (keyof typeof OPTIMIZERS)[]) {
  const C = OPTIMIZERS[name] as unknown as new (p: unknown, o?: object) => Optimizer<object, unknown>;
  type SD = ReturnType<Optimizer<object, unknown>['stateDict']>;
  optimizers.push(
    f(`${name}.loadStateDict`, (r) => { const c = trained(C as never, r); return [c.opt, c.opt.stateDict()]; }, (a) => (a[0] as Optimizer<object, unknown>).loadStateDict(a[1] as SD), [
      ...each(1, [null, 5, 'x', [], T.rand([2])]),
      replace(1, 'an extra entry', (a) => ({ ...(a[1] as SD), extra: 1 })),
      replace(1, 'no parameter groups', (a) => ({ ...(a[1] as SD), paramGroups: [] })),
      replace(1, 'an unknown option', (a) => ({ ...(a[1] as SD), paramGroups: [{ ...(a[1] as SD).paramGroups[0]!, learningRate: 1 }] })),
      replace(1, 'a negative lr', (a) => ({ ...(a[1] as SD), paramGroups: [{ ...(a[1] as SD).paramGroups[0]!, lr: -1 }] })),
      replace(1, 'state for an index no group has', (a) => ({ ...(a[1] as SD), state: { ...(a[1] as SD).state, 9: {} } })),
      replace(1, 'a state entry of the wrong shape', (a) => {
        const sd = a[1] as SD;
        // SGD without momentum keeps no state: give it a momentum buffer of the wrong shape.
        const first = sd.state[0] ?? { momentumBuffer: T.zeros([7]) };
        const entry = Object.fromEntries(Object.entries(first).map(([k, v]) => [k, v instanceof Tensor ? T.zeros([7]) : v]));
        return { ...sd, state: { ...sd.state, 0: entry } };
      }),
    ], [name]),
  );
}
// step(closure) with a non-function closure: the entry's call ignores args beyond the optimiser, so it is its own entry.
optimizers.push(
  f('SGD.step(closure)', (r) => [trained(SGD as never, r).opt, () => T.tensor(0)], (a) => (a[0] as Optimizer<object, unknown>).step(a[1] as () => Tensor), each(1, [5, 'x', {}]), ['SGD']),
);

// ---------------------------------------------------------------- init and state dicts

const INIT_SHAPE_BAD = BAD_SHAPE;
const initEntries: Entry[] = [
  f('init.uniform', () => [[2, 3], -1, 1, {}], apply(init.uniform), [
    ...each(0, INIT_SHAPE_BAD), ...each(1, BAD_FINITE), ...each(2, BAD_FINITE), custom('low > high', () => [[2], 1, 0]),
    ...each(3, [...BAD_OPTIONS, { dtype: 'int32' }]),
  ], ['uniform']),
  f('init.normal', () => [[2, 3], 0, 1, {}], apply(init.normal), [...each(0, INIT_SHAPE_BAD), ...each(2, [-1, ...BAD_FINITE]), ...each(3, BAD_OPTIONS)], ['normal']),
  f('init.constant', () => [[2, 3], 0.5, {}], apply(init.constant), [...each(0, INIT_SHAPE_BAD), ...each(1, ['x', null, undefined]), ...each(2, BAD_OPTIONS)], ['constant']),
  f('init.zeros', () => [[2, 3], {}], apply(init.zeros), [...each(0, INIT_SHAPE_BAD), ...each(1, BAD_OPTIONS)], ['zeros']),
  f('init.xavierUniform', () => [[2, 3], 1, {}], apply(init.xavierUniform), [...each(0, [...INIT_SHAPE_BAD, [3]]), ...each(1, BAD_FINITE), ...each(2, BAD_OPTIONS)], ['xavierUniform']),
  f('init.xavierNormal', () => [[2, 3], 1, {}], apply(init.xavierNormal), [...each(0, [...INIT_SHAPE_BAD, [3]]), ...each(1, BAD_FINITE), ...each(2, BAD_OPTIONS)], ['xavierNormal']),
  f('init.kaimingUniform', () => [[2, 3], {}], apply(init.kaimingUniform), [
    ...each(0, [...INIT_SHAPE_BAD, [3]]), ...each(1, [...BAD_OPTIONS, { mode: 'fan_in' }, { nonlinearity: 'swish' }, { a: Number.NaN }, { dtype: 'int32' }, { gain: 2 }]),
  ], ['kaimingUniform']),
  f('init.kaimingNormal', () => [[2, 3], {}], apply(init.kaimingNormal), [
    ...each(0, [...INIT_SHAPE_BAD, [3]]), ...each(1, [...BAD_OPTIONS, { mode: 'x' }]),
  ], ['kaimingNormal']),
  f('init.uniform on a tensor', () => [T.zeros([2, 3], { dtype: 'int32' })], apply(init.uniform), [custom('an int32 tensor', (a) => [a[0]])], ['uniform']),
  f('init.calculateGain', () => ['relu'], apply(init.calculateGain), [...each(0, ['swish', null, 5]), custom('leakyRelu with NaN', () => ['leakyRelu', Number.NaN])]),
  f('init.calculateFanInAndFanOut', () => [[2, 3]], apply(init.calculateFanInAndFanOut), each(0, [5, 'x', null, [3], [-1, 2]])),
];

const stateDicts: Entry[] = [
  f('loadStateDict', () => { const m = new Linear(2, 3); return [m, m.stateDict()]; }, (a) => (a[0] as Module).loadStateDict(a[1] as Record<string, Tensor>), [
    ...each(1, [null, 5, 'x']),
    replace(1, 'a missing key', (a) => ({ weight: (a[1] as Record<string, Tensor>).weight })),
    replace(1, 'an unexpected key', (a) => ({ ...(a[1] as object), extra: T.zeros([1]) })),
    replace(1, 'a mis-shaped entry', (a) => ({ ...(a[1] as object), bias: T.zeros([4]) })),
    replace(1, 'an entry that is not a Tensor', (a) => ({ ...(a[1] as object), bias: [0, 0, 0] })),
  ]),
];

/** Exports that landed alongside the validation layer: regression losses, KL divergence, layers, clipping, schedulers. */
const regression = (name: string, fn: unknown, extra: unknown[]): Entry =>
  f(name, (r) => [logits(r), probs(r), {}], apply(fn), [...lossMutators(extra), replace(1, 'a target of another shape', () => T.zeros([3, 2]))]);

/** A second parameter whose gradient is wrong, after a valid one (nothing may be clipped). */
const gradListMutators: Mutator[] = [
  custom('a wrongly shaped gradient on the second parameter', (a) => { const q = T.rand([2]).requiresGrad_(); q.grad = T.ones([3]); return [[...(a[0] as Tensor[]), q], ...a.slice(1)]; }),
  custom('an int32 gradient on the second parameter', (a) => { const q = T.rand([2]).requiresGrad_(); q.grad = T.ones([2], { dtype: 'int32' }); return [[...(a[0] as Tensor[]), q], ...a.slice(1)]; }),
  custom('a non-Tensor second parameter', (a) => [[...(a[0] as Tensor[]), 'w'], ...a.slice(1)]),
];

const later: Entry[] = [
  regression('mseLoss', NN.mseLoss, []),
  regression('l1Loss', NN.l1Loss, []),
  regression('smoothL1Loss', NN.smoothL1Loss, [{ beta: -1 }, { beta: Number.NaN }]),
  regression('huberLoss', NN.huberLoss, [{ delta: 0 }, { delta: -1 }]),
  f('klDiv', (r) => [logits(r).logSoftmax(1), probs(r), {}], apply(NN.klDiv), [
    ...lossMutators([{ logTarget: 'yes' }, { reduction: 'avg' }]), replace(1, 'a target of another shape', () => T.zeros([3, 2])),
  ]),
  ...lossModule('MSELoss', NN.MSELoss, [{ beta: 1 }], 'mseLoss', probs),
  ...lossModule('L1Loss', NN.L1Loss, [], 'l1Loss', probs),
  ...lossModule('SmoothL1Loss', NN.SmoothL1Loss, [{ beta: -1 }], 'smoothL1Loss', probs),
  ...lossModule('HuberLoss', NN.HuberLoss, [{ delta: -1 }], 'huberLoss', probs),
  ...lossModule('KLDivLoss', NN.KLDivLoss, [{ logTarget: 1 }], 'klDiv', probs),
  f('new Embedding', () => [4, 3, {}], construct(NN.Embedding), [...each(0, badInt(0)), ...each(1, badInt(0)), ...each(2, [...BAD_OPTIONS, { paddingIdx: 9 }, { paddingIdx: 0.5 }])]),
  f('embedding', () => [int32([0, 3]), T.rand([4, 2]), {}], apply(NN.embedding), [
    ...each(0, [...NOT_TENSOR, T.zeros([2])]), ...each(1, NOT_TENSOR), replace(0, 'an index out of range', () => int32([4])),
    ...each(2, [...BAD_OPTIONS, { paddingIdx: 9 }]),
  ]),
  f('new BatchNorm1d', () => [3, {}], construct(NN.BatchNorm1d), [...each(0, badInt(1)), ...each(1, [...BAD_OPTIONS, { momentum: 2 }, { eps: -1 }, { affine: 'yes' }])]),
  f('BatchNorm1d.forward', () => [new NN.BatchNorm1d(3), T.rand([4, 3])], (a) => (a[0] as Module).forward(a[1] as Tensor), [
    ...each(1, NOT_TENSOR), replace(1, 'a wrong channel count', () => T.zeros([4, 2])), replace(1, 'a 4-d input', () => T.zeros([2, 3, 2, 2])),
  ], ['BatchNorm1d', 'batchNorm']),
  f('new BatchNorm2d', () => [3, {}], construct(NN.BatchNorm2d), [...each(0, badInt(1)), ...each(1, BAD_OPTIONS)]),
  f('batchNorm', () => [T.rand([4, 3]), null, null, { training: true }], apply(NN.batchNorm), [
    ...each(0, NOT_TENSOR), ...each(3, [...BAD_OPTIONS, { training: 'yes' }, { eps: -1 }]),
  ]),
  f('leakyRelu', (r) => [randTensor(r), 0.01], apply(NN.leakyRelu), [...each(0, NOT_TENSOR), ...each(1, [Number.NaN, 'x', null])]),
  f('new LeakyReLU', () => [0.01], construct(NN.LeakyReLU), each(0, [Number.NaN, 'x', null])),
  f('new Softmax', () => [1], construct(NN.Softmax), each(0, [0.5, 'x', null, Number.NaN])),
  f('Softmax.forward', () => [new NN.Softmax(1), T.rand([2, 3])], (a) => (a[0] as Module).forward(a[1] as Tensor), [
    ...each(1, NOT_TENSOR), replace(1, 'a 1-d input for dim 1', () => T.rand([3])),
  ], ['Softmax', 'softmax']),
  f('Identity.forward', () => [new NN.Identity(), T.rand([2])], (a) => (a[0] as Module).forward(a[1] as Tensor), each(1, NOT_TENSOR), ['Identity']),
  f('new ModuleList', () => [[new NN.ReLU()]], construct(NN.ModuleList), each(0, [5, [5], [null], 'x'])),
  f('new ModuleDict', () => [{ a: new NN.ReLU() }], construct(NN.ModuleDict), each(0, [5, { a: 5 }, 'x'])),
  f('clipGradNorm_', () => { const p = T.rand([3]).requiresGrad_(); p.grad = T.ones([3]); return [[p], 1, 2, {}]; }, apply(NN.clipGradNorm_), [
    ...each(0, [null, 5, [5]]), ...each(1, [-1, Number.NaN, 'x']), ...each(2, [0, -1, 'x']), ...each(3, [...BAD_OPTIONS, { errorIfNonfinite: 'yes' }]),
    ...gradListMutators,
    custom('a NaN gradient with errorIfNonfinite', (a) => { (a[0] as Tensor[])[0]!.grad = T.tensor([Number.NaN, 1, 1]); return [a[0], 1, 2, { errorIfNonfinite: true }]; }),
  ]),
  f('clipGradValue_', () => { const p = T.rand([3]).requiresGrad_(); p.grad = T.ones([3]); return [[p], 1]; }, apply(NN.clipGradValue_), [
    ...each(0, [null, 5, [5]]), ...each(1, [-1, Number.NaN, 'x']), ...gradListMutators,
  ]),
];

// ---------------------------------------------------------------- schedulers

const schedOpt = (): Optimizer<object, unknown> => new SGD([{ params: [new Parameter(T.rand([2]))] }, { params: [new Parameter(T.rand([2]))], lr: 0.5 }], { lr: 0.1, momentum: 0.9 });
/** Objects shaped like an optimiser that are not one (a scheduler must not write into them). */
const NOT_OPTIMIZER: unknown[] = [null, 5, {}, 'x', { paramGroups: [{ lr: 0.1 }], defaults: {} }, { paramGroups: [], defaults: {} }];
const SCHEDULERS = { StepLR: NN.StepLR, MultiStepLR: NN.MultiStepLR, ExponentialLR: NN.ExponentialLR, CosineAnnealingLR: NN.CosineAnnealingLR, LinearLR: NN.LinearLR, OneCycleLR: NN.OneCycleLR } as const;
type SchedulerName = keyof typeof SCHEDULERS;
/** Valid constructor arguments after the optimiser, and the bad ones, of each scheduler. */
const SCHEDULER_ARGS: Record<SchedulerName, { args: unknown[]; bad: Mutator[] }> = {
  StepLR: { args: [2, {}], bad: [...each(1, [0, -1, 1.5, Number.NaN, 'x', null]), ...each(2, [...BAD_OPTIONS, { gamma: -1 }, { gamma: Number.NaN }, { gamma: 'x' }, { step_size: 2 }])] },
  MultiStepLR: { args: [[2, 4], { gamma: 0.5 }], bad: [
    ...each(1, [null, 5, 'x', [-1], [1.5], [Number.NaN], ['2']]), ...each(2, [...BAD_OPTIONS, { gamma: -0.5 }, { gamma: Infinity }, { milestones: [1] }]),
  ] },
  ExponentialLR: { args: [0.9], bad: each(1, [-1, Number.NaN, Infinity, 'x', null, undefined]) },
  CosineAnnealingLR: { args: [5, {}], bad: [...each(1, [0, -3, 2.5, Number.NaN, 'x', null]), ...each(2, [...BAD_OPTIONS, { etaMin: -1 }, { etaMin: Number.NaN }, { eta_min: 0 }])] },
  LinearLR: { args: [{ startFactor: 0.5, totalIters: 3 }], bad: each(1, [
    ...BAD_OPTIONS, { startFactor: 0 }, { startFactor: 1.5 }, { endFactor: -0.1 }, { endFactor: 2 }, { totalIters: 0 }, { totalIters: 2.5 }, { startFactor: Number.NaN }, { start_factor: 0.5 },
  ]) },
  OneCycleLR: { args: [0.5, { totalSteps: 10 }], bad: [
    ...each(1, [-1, Number.NaN, 'x', null, [0.5], [0.5, 0.5, 0.5], [0.5, Number.NaN]]),
    ...each(2, [
      ...BAD_OPTIONS, {}, { epochs: 2 }, { totalSteps: 0 }, { totalSteps: 2.5 }, { totalSteps: 10, pctStart: 1.5 }, { totalSteps: 10, pctStart: 0.1 },
      { totalSteps: 10, annealStrategy: 'exp' }, { totalSteps: 10, divFactor: 0 }, { totalSteps: 10, finalDivFactor: -1 }, { totalSteps: 10, cycleMomentum: 'yes' },
      { totalSteps: 10, threePhase: 1 }, { total_steps: 10 }, { totalSteps: 10, baseMomentum: -1 }, { totalSteps: 10, maxMomentum: [0.9] }, { epochs: 2, stepsPerEpoch: 0.5 },
    ]),
    custom('cycleMomentum with an optimiser without momentum', (a) => [new Adagrad([new Parameter(T.rand([2]))]), ...a.slice(1)]),
  ] },
};

type AnyScheduler = InstanceType<(typeof SCHEDULERS)[SchedulerName]>;
const scheduler = (name: SchedulerName, steps = 2): AnyScheduler => {
  const s = new (SCHEDULERS[name] as unknown as new (...a: unknown[]) => AnyScheduler)(schedOpt(), ...SCHEDULER_ARGS[name].args);
  for (let i = 0; i < steps; i++) s.step();
  return s;
};

const schedulers: Entry[] = (Object.keys(SCHEDULERS) as SchedulerName[]).flatMap((name) => [
  f(`new ${name}`, () => [schedOpt(), ...SCHEDULER_ARGS[name].args], construct(SCHEDULERS[name]), [...each(0, NOT_OPTIMIZER), ...SCHEDULER_ARGS[name].bad]),
  f(`${name}.step`, () => [scheduler(name)], (a) => (a[0] as { step(...x: unknown[]): void }).step(...a.slice(1)), [
    custom('an epoch argument (PyTorch’s deprecated step(epoch))', (a) => [a[0], 3]),
    custom('a parameter group added to the optimiser', (a) => {
      // The optimiser is a field of the argument, so the snapshot covers it.
      ((a[0] as AnyScheduler).optimizer as unknown as Optimizer<object, unknown>).addParamGroup({ params: [new Parameter(T.rand([1]))] });
      return [...a];
    }),
  ]),
  f(`${name}.loadStateDict`, () => { const s = scheduler(name, 1); return [s, scheduler(name, 3).stateDict()]; },
    (a) => (a[0] as AnyScheduler).loadStateDict(a[1] as Record<string, unknown>), [
      ...each(1, [null, 5, 'x']),
      replace(1, 'an unknown entry', (a) => ({ ...(a[1] as object), last_epoch: 2 })),
      replace(1, 'a string lastEpoch', (a) => ({ ...(a[1] as object), lastEpoch: '3' })),
      replace(1, 'a fractional lastEpoch', (a) => ({ ...(a[1] as object), lastEpoch: 1.5 })),
      replace(1, 'a negative lastEpoch', (a) => ({ ...(a[1] as object), lastEpoch: -4 })),
      replace(1, 'baseLrs for another number of groups', (a) => ({ ...(a[1] as object), baseLrs: [0.1] })),
      replace(1, 'a NaN in baseLrs', (a) => ({ ...(a[1] as object), baseLrs: [0.1, Number.NaN] })),
      replace(1, 'baseLrs that are not an array', (a) => ({ ...(a[1] as object), baseLrs: 0.1 })),
      replace(1, 'another scheduler’s name', (a) => ({ ...(a[1] as object), schedulerName: 'Other' })),
    ]),
]);
// Stepping OneCycleLR past its total steps is an error (as in PyTorch) that leaves it as it was.
schedulers.push(f('OneCycleLR.step past totalSteps', () => [scheduler('OneCycleLR', 0)], (a) => { const s = a[0] as NN.OneCycleLR; for (;;) s.step(); }, [
  custom('11 steps of a 10-step cycle', (a) => { const s = a[0] as NN.OneCycleLR; while (s.lastEpoch < s.totalSteps) s.step(); return [...a]; }),
], ['OneCycleLR']));

// ---------------------------------------------------------------- functionalCall, tuning, safetensors

const fcModel = () => new NN.Sequential(new Linear(2, 3, { dtype: 'float64' }), new NN.BatchNorm1d(3, { dtype: 'float64' }));
const fcInput = (r: Rng) => randTensor(r, 2, 2, 'float64').reshape([-1]).narrow(0, 0, 1).expand([4, 2]).add(T.rand([4, 2], { dtype: 'float64' }));

const tunerParts = () => {
  const model = new Linear(2, 3);
  const loss = new NN.DualFocalLoss({ gamma: { init: 2, min: 0, max: 5 } });
  return { model, losses: [loss], optimizer: new SGD(model.parameters(), { lr: 0.1 }) };
};
const batch = (r: Rng, n = 4) => ({ x: T.tensor(Array.from({ length: 2 * n }, () => r() * 2 - 1), { shape: [n, 2] }), y: int32(Array.from({ length: n }, (_, i) => i % 3)) });
const BAD_BATCH: unknown[] = [null, 5, 'x', {}, { x: T.rand([4, 2]) }, { x: [1, 2], y: int32([0]) }, [T.rand([4, 2]), int32([0, 1, 2, 0])]];

const bytesOf = (sd: Record<string, Tensor>) => NN.serializeSafetensors(sd);
const SAFE_SD = () => ({ w: T.tensor([[1, 2], [3, 4]]), n: int32([7, -1]), m: T.tensor([1, 0], { dtype: 'bool' }) });
/** Bytes that are not a valid safetensors buffer (or not bytes at all). */
const BAD_BYTES = (): unknown[] => {
  const good = bytesOf(SAFE_SD());
  const cut = good.slice(0, good.length - 3);
  const badLen = good.slice();
  badLen[0] = 0xff;
  badLen[1] = 0xff;
  const badJson = good.slice();
  badJson[8] = 0x5b; // '[' where the header's '{' was
  return [undefined, null, 'x', 5, [1, 2, 3], {}, good.buffer, new Int8Array(good.buffer), new Uint16Array(8), new Uint8Array(0), new Uint8Array(7), cut, badLen, badJson, T.tensor([1])];
};
type NodeFs = { writeFileSync(p: string, b: Uint8Array): void; rmSync(p: string, o: { force: boolean }): void };
const nodeProcess = (globalThis as { process?: { pid: number; env: Record<string, string | undefined> } }).process;
const fs = T.nodeBuiltin<NodeFs>('node:fs') ?? undefined;
/** One file per test process and purpose (removed by `removeContractFiles`). */
const tmpFile = (tag: string) => `${nodeProcess?.env['TMPDIR'] ?? '/tmp'}/tsgrad-contract-${tag}-${nodeProcess?.pid ?? 0}.safetensors`;
/** A safetensors file of SAFE_SD() to load. */
const loadable = (): string => {
  const path = tmpFile('load');
  fs?.writeFileSync(path, bytesOf(SAFE_SD()));
  return path;
};

/** Removes the files the safetensors entries write (call after the suite). */
export function removeContractFiles(): void {
  for (const tag of ['save', 'load']) fs?.rmSync(tmpFile(tag), { force: true });
}

const landed: Entry[] = [
  f('functionalCall', (r) => [fcModel(), { '0.weight': T.zeros([3, 2], { dtype: 'float64' }), '1.running_mean': T.ones([3], { dtype: 'float64' }) }, fcInput(r)], apply(NN.functionalCall), [
    ...each(0, [null, 5, {}, (x: Tensor) => x, [new Linear(2, 3)]]),
    ...each(1, [null, 5, 'x', [T.zeros([3, 2])], T.zeros([3, 2]), new Map([['0.weight', T.zeros([3, 2])]])]),
    replace(1, 'an unknown name', () => ({ 'weight': T.zeros([3, 2], { dtype: 'float64' }) })),
    replace(1, 'a name of the wrong module', () => ({ '2.weight': T.zeros([3, 2], { dtype: 'float64' }) })),
    replace(1, 'a wrongly shaped replacement', () => ({ '0.weight': T.zeros([2, 3], { dtype: 'float64' }) })),
    replace(1, 'a broadcastable replacement', () => ({ '0.bias': T.zeros([1], { dtype: 'float64' }) })),
    replace(1, 'an int32 replacement of a float parameter', () => ({ '0.weight': T.zeros([3, 2], { dtype: 'int32' }) })),
    replace(1, 'a replacement that is not a Tensor', () => ({ '0.weight': [[0, 0], [0, 0], [0, 0]] })),
    replace(1, 'a float replacement of the int32 step counter', () => ({ '1.num_batches_tracked': T.zeros([], { dtype: 'float64' }) })),
  ]),
  f('functionalCall(module inputs)', (r) => [fcModel(), { '0.bias': T.ones([3], { dtype: 'float64' }) }, fcInput(r)], apply(NN.functionalCall), [
    ...each(2, NOT_TENSOR), replace(2, 'an input of the wrong width', () => T.zeros([4, 5], { dtype: 'float64' })),
  ], ['functionalCall', 'Linear', 'Sequential']),
  f('balancedCrossEntropy', (r) => [logits(r), int32([0, 2])], apply(NN.balancedCrossEntropy), [
    ...each(0, NOT_TENSOR), ...each(1, NOT_TENSOR),
    replace(0, 'an int32 input', () => T.zeros([2, 3], { dtype: 'int32' })),
    replace(1, 'a class index out of range', () => int32([0, 3])),
    replace(1, 'a negative class index', () => int32([0, -1])),
    replace(1, 'the ignore index (it has no weight here)', () => int32([0, -100])),
    replace(1, 'float targets of the index shape', () => T.zeros([2])),
    replace(1, 'index targets of the wrong shape', () => int32([0, 1, 2])),
    replace(0, 'a 1-d input', () => T.zeros([3])),
  ]),
  f('new HyperTuner', () => [tunerParts()], construct(NN.HyperTuner), [
    ...each(0, [undefined, null, 5, 'x', [1]]),
    ...[
      { typo: 1 }, { model: 5 }, { model: null }, { losses: [] }, { losses: 'x' }, { losses: [5] }, { losses: [new NN.ReLU()] }, { losses: [new NN.DualFocalLoss()] },
      { optimizer: null }, { optimizer: { step() {}, paramGroups: [] } }, { every: 0 }, { every: 1.5 }, { every: 'x' }, { every: null }, { lookaheadLr: 0 }, { lookaheadLr: Number.NaN },
      { lookaheadLr: 'x' }, { valObjective: 5 }, { trainObjective: 'x' }, { hyperOptimizer: 'x' }, { hyperOptimizer: { step() {}, paramGroups: [] } },
      { bounds: 'x' }, { bounds: { nope: [0, 1] } }, { bounds: { '0.gammaTheta': [1, 0] } }, { bounds: { '0.gammaTheta': ['a', 'b'] } },
      { bounds: { '0.gammaTheta': [Number.NaN, 1] } }, { bounds: { '0.gammaTheta': [0] } }, { bounds: { '0.gammaTheta': [-Infinity, 1] } }, { bounds: null },
    ].map((o) => replace(0, `options with ${Object.keys(o).join()} = ${String(Object.values(o)[0])}`, (a) => ({ ...(a[0] as object), ...o }))),
    replace(0, 'a hyper-parameter the model optimiser also trains', (a) => {
      const p = a[0] as ReturnType<typeof tunerParts>;
      return { ...p, optimizer: new SGD([...p.model.parameters(), ...p.losses[0]!.parameters()], { lr: 0.1 }) };
    }),
    replace(0, 'a hyper-optimiser over a model parameter', (a) => {
      const p = a[0] as ReturnType<typeof tunerParts>;
      return { ...p, hyperOptimizer: new Adam(p.model.parameters(), { lr: 0.1 }) };
    }),
  ]),
  ...(['step', 'hyperStep', 'lookaheadObjective', 'hypergradient'] as const).map((method) =>
    f(`HyperTuner.${method}`, (r) => [new NN.HyperTuner(tunerParts()), batch(r), batch(r, 3)],
      (a) => (a[0] as Record<string, (...x: unknown[]) => unknown>)[method]!.call(a[0], a[1], a[2], ...a.slice(3)), [
        ...each(1, BAD_BATCH), ...each(2, BAD_BATCH),
        ...(method === 'lookaheadObjective' ? [
          custom('hyper with an unknown name', (a) => [...a.slice(0, 3), { nope: T.zeros([]) }]),
          custom('hyper of the wrong shape', (a) => [...a.slice(0, 3), { '0.gammaTheta': T.zeros([2]) }]),
          custom('hyper that is not a Tensor', (a) => [...a.slice(0, 3), { '0.gammaTheta': 0.5 }]),
          custom('hyper null', (a) => [...a.slice(0, 3), null]),
        ] : []),
      ], ['HyperTuner'])),
  f('serializeSafetensors', () => [SAFE_SD(), { format: 'pt' }], apply(NN.serializeSafetensors), [
    ...each(0, [undefined, null, 5, 'x', [T.zeros([1])], T.zeros([2]), new Map([['w', T.zeros([1])]])]),
    replace(0, 'an entry that is not a Tensor', () => ({ w: [1, 2] })),
    replace(0, 'an entry named __metadata__', () => ({ __metadata__: T.zeros([1]) })),
    ...each(1, [null, 5, 'x', [1], { format: 5 }, { a: null }, new Map([['format', 'pt']])]),
  ]),
  f('deserializeSafetensors', () => [bytesOf(SAFE_SD())], apply(NN.deserializeSafetensors), BAD_BYTES().map((b, i) => replace(0, `bad bytes #${i}`, () => b))),
  f('parseSafetensorsHeader', () => [bytesOf(SAFE_SD())], apply(NN.parseSafetensorsHeader), BAD_BYTES().map((b, i) => replace(0, `bad bytes #${i}`, () => b))),
  f('saveSafetensors', () => [SAFE_SD(), tmpFile('save')], apply(NN.saveSafetensors), [
    ...each(0, [null, 5, 'x', T.zeros([2]), { w: 'x' }, new Map()]),
    ...each(1, [undefined, null, 5, '', ['a.safetensors']]),
    replace(1, 'a path in a missing folder', () => '/nonexistent-tsgrad-dir/x/y.safetensors'),
    replace(2, 'metadata that is not strings', () => ({ epoch: 3 })),
  ]),
  f('loadSafetensors', () => [loadable()], apply(NN.loadSafetensors), [
    ...each(0, [undefined, null, 5, '', ['a.safetensors'], {}]),
    replace(0, 'a file that does not exist', () => '/nonexistent-tsgrad-dir/none.safetensors'),
    replace(0, 'a directory', () => '/'),
  ]),
];

const convPool: Entry[] = [
  f('conv2d', () => [T.rand([1, 2, 4, 4]), T.rand([3, 2, 3, 3]), null, {}], apply(NN.conv2d), [
    ...each(0, NOT_TENSOR), ...each(1, NOT_TENSOR), ...each(2, ['x', 5]),
    replace(1, 'channels that do not match', () => T.rand([3, 5, 3, 3])),
    replace(0, 'a 2-d input', () => T.rand([4, 4])),
    ...each(3, [...BAD_OPTIONS, { stride: 0 }, { stride: 1.5 }, { padding: -1 }, { padding: 'full' }, { dilation: 0 }, { groups: 3 }]),
  ]),
  f('conv1d', () => [T.rand([1, 2, 5]), T.rand([3, 2, 3]), null, {}], apply(NN.conv1d), [
    ...each(0, NOT_TENSOR), ...each(1, NOT_TENSOR), ...each(3, [...BAD_OPTIONS, { stride: 0 }, { padding: -1 }]),
  ]),
  f('new Conv2d', () => [2, 3, 3, {}], construct(NN.Conv2d), [...each(0, badInt(1)), ...each(1, badInt(1)), ...each(2, [0, 1.5, 'x', null, [3]]), ...each(3, [...BAD_OPTIONS, { stride: 0 }])]),
  f('new Conv1d', () => [2, 3, 3, {}], construct(NN.Conv1d), [...each(0, badInt(1)), ...each(2, [0, 1.5, 'x', null]), ...each(3, BAD_OPTIONS)]),
  f('maxPool2d', () => [T.rand([1, 1, 4, 4]), 2, {}], apply(NN.maxPool2d), [
    ...each(0, NOT_TENSOR), ...each(1, [0, 1.5, 'x', null, [2]]), ...each(2, [...BAD_OPTIONS, { stride: 0 }, { padding: 2 }, { ceilMode: 'yes' }]),
  ]),
  f('maxPool2dWithIndices', () => [T.rand([1, 1, 4, 4]), 2, {}], apply(NN.maxPool2dWithIndices), [...each(0, NOT_TENSOR), ...each(1, [0, 'x']), ...each(2, BAD_OPTIONS)]),
  f('avgPool2d', () => [T.rand([1, 1, 4, 4]), 2, {}], apply(NN.avgPool2d), [
    ...each(0, NOT_TENSOR), ...each(1, [0, 1.5, 'x', null]), ...each(2, [...BAD_OPTIONS, { stride: 0 }, { countIncludePad: 'yes' }]),
  ]),
  f('adaptiveAvgPool2d', () => [T.rand([1, 1, 4, 4]), 2], apply(NN.adaptiveAvgPool2d), [...each(0, NOT_TENSOR), ...each(1, [0, -1, 1.5, 'x', null, [1]])]),
  f('new MaxPool2d', () => [2, {}], construct(NN.MaxPool2d), [...each(0, [0, 1.5, 'x', null]), ...each(1, [...BAD_OPTIONS, { stride: 0 }])]),
  f('new AvgPool2d', () => [2, {}], construct(NN.AvgPool2d), [...each(0, [0, 1.5, 'x', null]), ...each(1, BAD_OPTIONS)]),
  f('new AdaptiveAvgPool2d', () => [2], construct(NN.AdaptiveAvgPool2d), each(0, [0, -1, 1.5, 'x', null])),
  f('pad', () => [T.rand([2, 3]), [1, 1], 0], apply(NN.pad), [...each(0, NOT_TENSOR), ...each(1, [[1], [-1, 1], [0.5, 1], 'x', null, [1, 1, 1, 1, 1, 1]]), ...each(2, ['x', null])]),
];

export const NN_TABLE: readonly Entry[] = [...losses, ...lossModules, ...layers, ...optimizers, ...initEntries, ...stateDicts, ...later, ...convPool, ...schedulers, ...landed];

/** Names of @tsgrad/nn exports the table covers (entries name methods and constructors differently). */
export const NN_COVERED: readonly string[] = [
  'crossEntropy', 'nllLoss', 'softmaxFocalLoss', 'dualFocalLoss', 'binaryCrossEntropy', 'binaryCrossEntropyWithLogits', 'softMarginLoss',
  'sigmoidFocalLoss', 'CrossEntropyLoss', 'NLLLoss', 'BCELoss', 'BCEWithLogitsLoss', 'SoftMarginLoss', 'SigmoidFocalLoss', 'SoftmaxFocalLoss',
  'DualFocalLoss', 'Linear', 'LayerNorm', 'layerNorm', 'GELU', 'gelu', 'Dropout', 'dropout', 'Flatten', 'ReLU', 'Sigmoid', 'Tanh', 'Sequential',
  'SGD', 'Adam', 'AdamW', 'RMSprop', 'Adagrad', 'init', 'Module', 'Parameter',
];

/** Entries whose `make` is not a valid call by design (their mutators only add to it), with the reason. */
export const INVALID_BASE: Readonly<Record<string, string>> = {
  'OneCycleLR.step past totalSteps': 'the call steps until the cycle is over, which is the error',
  'init.uniform on a tensor': 'the base is an int32 tensor, the bad call itself',
};

/** Exports of @tsgrad/nn deliberately outside the table, with the reason. */
export const NN_EXEMPT: Readonly<Record<string, string>> = {
  Optimizer: 'abstract base class: covered through every optimiser',
  GammaLoss: 'abstract base class: covered through the focal losses',
  log1mSoftmax: 'a numerical helper without options (its input errors come from the tensor ops)',
  erf: 'a composition of tensor ops (a non-Tensor input is a DTypeError from erf itself)',
  erfc: 'a composition of tensor ops',
  LRScheduler: 'abstract base class (protected constructor): covered through every scheduler (constructors, step, loadStateDict)',
  BatchNormBase: 'abstract base class: covered through BatchNorm1d and BatchNorm2d',
  DEFAULT_HYPER_LR: 'a constant (the default hyper-optimiser learning rate)',
};
