/**
 * The @tsgrad/nn classification losses, forward + gradient w.r.t. the logits, on a
 * classifier-sized [512, 1000] batch (int32 targets [512]) and a segmentation-sized
 * [8, 5, 128, 128] map (classes in dim 1, int32 targets [8, 128, 128]):
 *
 *   nn-losses/cross-entropy-2d|4d   crossEntropy(x, t)
 *   nn-losses/softmax-focal-2d|4d   softmaxFocalLoss(x, t)            γ = 2 (its default)
 *   nn-losses/dual-focal-2d|4d      dualFocalLoss(x, t, { gamma: 2 }) α = β = ρ = 1
 *   nn-losses/dual-focal-4d-tensor-gamma   the same with γ a 0-d tensor that has
 *                                          requiresGrad, so ∂/∂γ is an output too
 *
 * Every loss uses the 'mean' reduction and every column returns [loss, ∂loss/∂logits]
 * with the gradient in the logits' own layout.
 *
 * - tsgrad calls the nn function on the int32 targets and `loss.backward()`.
 * - tfjs has only `tf.losses.softmaxCrossEntropy`, which wants one-hot labels with the
 *   classes last (built outside the timed region) and is wrapped in `tf.valueAndGrad`.
 *   For [8,5,128,128] the logits are transposed to NHWC and reshaped to [8·128·128, 5]
 *   *inside* the differentiated function, so the gradient comes back in NCHW and the
 *   transposes are part of the timed work. tfjs has no focal or Dual Focal loss: n/a.
 * - jax-js writes each loss as a composition of `nn.logSoftmax`, exp, expm1, log1p,
 *   abs and `power`, with `valueAndGrad` inside `jit`. Like `cross-entropy/fwd-bwd` it
 *   picks the target class with a one-hot product (a one-hot array in the logits'
 *   layout, built outside the timed region): jax-js 0.1.25 cannot jit the scatter in
 *   `takeAlongAxis`'s VJP. Its compositions are the textbook ones (focal: 1 − p_t as
 *   −expm1(log p_t); DFL: log(1 − p_c) as log1p(−p_c) with the target class masked to
 *   0, and |y_c − p_c| in float32), without tsgrad's saturation-safe log(1 − softmax).
 *   Where some p_c is near 1 the float32 1 − p_c loses digits: on the [8,5,128,128]
 *   DFL rows that costs jax-js ~1e-4 (gradient) and ~4e-4 (∂/∂γ) relative error
 *   against the float64 plain loop, inside the 1e-3 check; tsgrad stays at ~2e-7.
 * - plain: one fused loop per loss with the analytic gradient (lib/loops.ts).
 */
import { tensor, type Tensor } from '@tsgrad/tensor';
import { crossEntropy, dualFocalLoss, softmaxFocalLoss } from '@tsgrad/nn';
import { jax, jaxArray, np, type JaxArray } from '../peers/jax.js';
import { tf } from '../peers/tfjs.js';
import { labels, normal, oneHot } from '../lib/data.js';
import { crossEntropyLoopNd, dualFocalLoop, softmaxFocalLoop } from '../lib/loops.js';
import { jaxFinish, jaxValueAndGradImpl, tfValueAndGradImpl, tsgradFinish, type HostInput } from '../lib/op-workload.js';
import type { Impl, LibraryId, Workload } from '../lib/types.js';

/** γ of both focal losses (softmaxFocalLoss' default; dualFocalLoss' default is 1). */
const GAMMA = 2;

interface Case {
  key: '2d' | '4d';
  label: string;
  /** Logits shape; classes in dim 1. */
  shape: readonly number[];
  classes: number;
  /** Product of the dims after the class dim (1 for [N, C]). */
  inner: number;
  /** Number of positions: N·d1·…, the length of the target. */
  positions: number;
  seed: number;
}

function makeCase(key: Case['key'], shape: readonly number[], seed: number): Case {
  const classes = shape[1]!;
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  return { key, label: `[${shape.join(',')}]`, shape, classes, inner, positions: shape[0]! * inner, seed };
}

const CASES: readonly Case[] = [makeCase('2d', [512, 1000], 61), makeCase('4d', [8, 5, 128, 128], 71)];

interface Inputs {
  logits: HostInput;
  /** int32 class indices [N, d1, …]. */
  target: HostInput;
  /** One-hot in the logits' layout [N, C, d1, …] (jax-js). */
  oneHotClassDim: HostInput;
  /** One-hot with the classes last, [N·d1·…, C] (tfjs). */
  oneHotLast: HostInput;
}

/** One-hot float32 in the [N, C, inner] layout of the logits. */
function oneHotClassDim(target: Int32Array, classes: number, inner: number): Float32Array {
  const out = new Float32Array(target.length * classes);
  for (let i = 0; i < target.length / inner; i++) {
    for (let s = 0; s < inner; s++) out[(i * classes + target[i * inner + s]!) * inner + s] = 1;
  }
  return out;
}

const oneHotCache = new Map<string, { classDim: Float32Array; last: Float32Array }>();

function inputs(c: Case): Inputs {
  const size = c.positions * c.classes;
  // Logits ~ N(0, 2²), as in cross-entropy/*: confident enough that the focal factors
  // matter (on [8,5,…] some p_c come close to 1).
  const x = normal(size, c.seed, 2);
  const t = labels(c.positions, c.classes, c.seed + 1);
  let oh = oneHotCache.get(c.key);
  if (!oh) {
    oh = { classDim: oneHotClassDim(t, c.classes, c.inner), last: oneHot(t, c.classes) };
    oneHotCache.set(c.key, oh);
  }
  return {
    logits: { data: x, shape: c.shape },
    target: { data: t, shape: [c.shape[0]!, ...c.shape.slice(2)] },
    oneHotClassDim: { data: oh.classDim, shape: c.shape },
    oneHotLast: { data: oh.last, shape: [c.positions, c.classes] },
  };
}

// ---------------------------------------------------------------------------------
// The losses, once per library.

type LossId = 'cross-entropy' | 'softmax-focal' | 'dual-focal';

/**
 * jax-js DFL (α = β = ρ = 1), mean over positions of
 *   −Σ_c y_c log p_c − Σ_c log(1 − (1 − y_c) p_c) + Σ_c |y_c − p_c|^γ:
 * the middle term is Σ_{c≠t} log(1 − p_c), the target class fed log(1) = 0.
 */
function jaxDualFocal(x: JaxArray, oh: JaxArray, gamma: JaxArray | number): JaxArray {
  const logp = jax.nn.logSoftmax(x, 1);
  const p = np.exp(logp.ref);
  const targetTerm = logp.mul(oh.ref).sum(1);
  const otherTerm = np.log1p(p.ref.mul(oh.ref.neg().add(1)).neg()).sum(1);
  const distance = np.power(np.abs(oh.sub(p)), gamma).sum(1);
  return distance.sub(targetTerm).sub(otherTerm).mean();
}

interface LossSpec {
  id: LossId;
  name: string;
  tsgrad: (x: Tensor, t: Tensor) => Tensor;
  /** (logits, one-hot in the logits' layout) → mean loss, classes in axis 1. */
  jax: (x: JaxArray, oh: JaxArray) => JaxArray;
  plain: (x: Float32Array, t: Int32Array, c: Case, grad?: Float32Array) => number;
}

const LOSSES: readonly LossSpec[] = [
  {
    id: 'cross-entropy',
    name: 'crossEntropy',
    tsgrad: (x, t) => crossEntropy(x, t),
    // −mean Σ_c y_c log p_c
    jax: (x, oh) => jax.nn.logSoftmax(x, 1).mul(oh).sum(1).mean().neg(),
    plain: (x, t, c, grad) => crossEntropyLoopNd(x, t, c.classes, c.inner, grad),
  },
  {
    id: 'softmax-focal',
    name: `softmaxFocalLoss γ=${GAMMA}`,
    tsgrad: (x, t) => softmaxFocalLoss(x, t, { gamma: GAMMA }),
    // −mean (1 − p_t)^γ log p_t, with 1 − p_t = −expm1(log p_t)
    jax: (x, oh) => {
      const logpT = jax.nn.logSoftmax(x, 1).mul(oh).sum(1);
      return np.power(np.expm1(logpT.ref).neg(), GAMMA).mul(logpT).mean().neg();
    },
    plain: (x, t, c, grad) => softmaxFocalLoop(x, t, c.classes, c.inner, GAMMA, grad),
  },
  {
    id: 'dual-focal',
    name: `dualFocalLoss γ=${GAMMA}`,
    tsgrad: (x, t) => dualFocalLoss(x, t, { gamma: GAMMA }),
    jax: (x, oh) => jaxDualFocal(x, oh, GAMMA),
    plain: (x, t, c, grad) => dualFocalLoop(x, t, c.classes, c.inner, GAMMA, grad),
  },
];

// ---------------------------------------------------------------------------------
// Implementations.

function tsgradImpl(loss: LossSpec, c: Case): Impl {
  const d = inputs(c);
  const x = tensor(d.logits.data, { shape: d.logits.shape, requiresGrad: true });
  const t = tensor(d.target.data, { shape: d.target.shape });
  return {
    run: (readback) => {
      x.grad = null;
      const l = loss.tsgrad(x, t);
      l.backward();
      return tsgradFinish([l, x.grad!], readback);
    },
  };
}

/** tf.losses.softmaxCrossEntropy (mean over positions), classes moved last for K-dim input. */
function tfjsCrossEntropyImpl(c: Case): Impl {
  const d = inputs(c);
  const rank = c.shape.length;
  const perm = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
  return tfValueAndGradImpl(d.logits, d.oneHotLast, (logits, oh) => {
    const rows = rank === 2 ? logits : tf.reshape(tf.transpose(logits, perm), [c.positions, c.classes]);
    return tf.losses.softmaxCrossEntropy(oh, rows) as tf.Scalar;
  });
}

function jaxImpl(loss: LossSpec, c: Case): Impl {
  const d = inputs(c);
  return jaxValueAndGradImpl(d.logits, d.oneHotClassDim, loss.jax);
}

/**
 * The hand-written loop column: `loop` returns the mean loss and writes ∂/∂logits into
 * `grad` (and, with `withGammaGrad`, ∂/∂γ into `gammaGrad`); outputs [loss, ∂/∂logits(, ∂/∂γ)].
 */
function plainImpl(
  c: Case,
  loop: (x: Float32Array, t: Int32Array, grad: Float32Array, gammaGrad?: Float32Array) => number,
  withGammaGrad = false,
): Impl {
  const d = inputs(c);
  const x = d.logits.data as Float32Array;
  const t = d.target.data as Int32Array;
  return {
    run: (readback) => {
      const grad = new Float32Array(x.length);
      const gammaGrad = withGammaGrad ? new Float32Array(1) : undefined;
      const l = loop(x, t, grad, gammaGrad);
      if (!readback) return undefined;
      return gammaGrad ? [Float32Array.of(l), grad, gammaGrad] : [Float32Array.of(l), grad];
    },
  };
}

function workload(loss: LossSpec, c: Case): Workload {
  const impls: Workload['impls'] = {
    tsgrad: () => tsgradImpl(loss, c),
    jax: () => jaxImpl(loss, c),
    plain: () => plainImpl(c, (x, t, grad) => loss.plain(x, t, c, grad)),
  };
  const naReason: Partial<Record<LibraryId, string>> = {};
  let title = `nn ${loss.name} fwd+bwd ${c.label}`;
  if (loss.id === 'cross-entropy') {
    impls.tfjs = () => tfjsCrossEntropyImpl(c);
    if (c.shape.length > 2) title += ` (tfjs: NHWC→[${c.positions},${c.classes}])`;
  } else {
    naReason.tfjs = 'tfjs 4.22 has no softmax focal or Dual Focal loss (tf.losses only has the fused softmaxCrossEntropy)';
  }
  return {
    id: `nn-losses/${loss.id}-${c.key}`,
    title,
    group: 'nn-losses',
    impls,
    ...(Object.keys(naReason).length ? { naReason } : {}),
  };
}

/**
 * dualFocalLoss with γ a 0-d float32 tensor that has `requiresGrad` (what the
 * `DualFocalLoss` module with a trainable γ does), on the segmentation case only:
 * outputs [loss, ∂/∂logits, ∂/∂γ]. jax-js differentiates w.r.t. its arguments 0 and 2.
 */
function trainableGammaWorkload(c: Case): Workload {
  return {
    id: `nn-losses/dual-focal-${c.key}-tensor-gamma`,
    title: `nn dualFocalLoss γ=${GAMMA} tensor (+∂/∂γ) fwd+bwd ${c.label}`,
    group: 'nn-losses',
    impls: {
      tsgrad: () => {
        const d = inputs(c);
        const x = tensor(d.logits.data, { shape: d.logits.shape, requiresGrad: true });
        const t = tensor(d.target.data, { shape: d.target.shape });
        const gamma = tensor(GAMMA, { requiresGrad: true });
        return {
          run: (readback) => {
            x.grad = null;
            gamma.grad = null;
            const l = dualFocalLoss(x, t, { gamma });
            l.backward();
            return tsgradFinish([l, x.grad!, gamma.grad!], readback);
          },
        };
      },
      jax: () => {
        const d = inputs(c);
        const x = jaxArray(d.logits.data, d.logits.shape);
        const oh = jaxArray(d.oneHotClassDim.data, d.oneHotClassDim.shape);
        const gamma = jaxArray(Float32Array.of(GAMMA), []);
        const f = jax.jit(jax.valueAndGrad(jaxDualFocal, { argnums: [0, 2] }));
        return {
          run: (readback) => {
            const [value, [gx, gg]] = f(x.ref, oh.ref, gamma.ref);
            return jaxFinish([value, gx, gg], readback);
          },
          dispose: () => {
            x.dispose();
            oh.dispose();
            gamma.dispose();
            f.dispose();
          },
        };
      },
      plain: () => plainImpl(c, (x, t, grad, gammaGrad) => dualFocalLoop(x, t, c.classes, c.inner, GAMMA, grad, gammaGrad), true),
    },
    naReason: { tfjs: 'tfjs 4.22 has no Dual Focal loss' },
  };
}

export const nnLossWorkloads: Workload[] = [
  ...LOSSES.flatMap((loss) => CASES.map((c) => workload(loss, c))),
  trainableGammaWorkload(CASES.find((c) => c.key === '4d')!),
];
