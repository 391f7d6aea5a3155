/**
 * Softmax cross-entropy (mean over the batch) on [512, 1000] logits, forward only
 * and forward + gradient w.r.t. the logits.
 *
 * tsgrad writes it as the composition users would: logSoftmax → gather → mean → neg.
 * tfjs uses its fused `tf.losses.softmaxCrossEntropy` (which wants one-hot labels,
 * built outside the timed region). jax-js gathers with `takeAlongAxis` forward; for
 * the gradient it multiplies by the one-hot matrix instead, because jax-js 0.1.25
 * cannot jit the scatter that `takeAlongAxis`'s VJP needs ("routine primitive
 * scatter input is not imm").
 */
import { tensor } from '@tsgrad/tensor';
import { jax, np, type JaxArray } from '../peers/jax.js';
import { tf } from '../peers/tfjs.js';
import { labels, normal, oneHot } from '../lib/data.js';
import { softmaxCrossEntropyLoop } from '../lib/loops.js';
import { jaxValueAndGradImpl, opWorkload, tfValueAndGradImpl, tsgradFinish, type HostInput } from '../lib/op-workload.js';
import type { Workload } from '../lib/types.js';

const N = 512;
const C = 1000;

/** [logits, integer targets, one-hot targets]. */
function inputs(): HostInput[] {
  const target = labels(N, C, 42);
  return [
    { data: normal(N * C, 41, 2), shape: [N, C] },
    { data: target, shape: [N] },
    { data: oneHot(target, C), shape: [N, C] },
  ];
}

const jaxCeOneHot = (x: JaxArray, oh: JaxArray): JaxArray => jax.nn.logSoftmax(x, -1).mul(oh).sum(-1).mean().neg();

const forward = opWorkload({
  id: 'cross-entropy/fwd', title: 'softmax-CE fwd [512,1000]', group: 'cross-entropy', inputs,
  inputsFor: { tsgrad: [0, 1], tfjs: [2, 0], jax: [0, 1], plain: [0, 1] },
  tsgrad: (x, t) => x.logSoftmax(1).gather(1, t.unsqueeze(1)).mean().neg(),
  tfjs: (oh, x) => tf.losses.softmaxCrossEntropy(oh, x),
  jax: (x, t) => np.takeAlongAxis(jax.nn.logSoftmax(x, -1), t.reshape([N, 1]), 1).mean().neg(),
  plain: (x, t) => Float32Array.of(softmaxCrossEntropyLoop(x as Float32Array, t as Int32Array, C)),
});

const forwardBackward: Workload = {
  id: 'cross-entropy/fwd-bwd',
  title: 'softmax-CE fwd+bwd [512,1000]',
  group: 'cross-entropy',
  impls: {
    tsgrad: () => {
      const [xs, ts] = inputs();
      const x = tensor(xs!.data, { shape: xs!.shape, requiresGrad: true });
      const t = tensor(ts!.data, { shape: ts!.shape });
      return {
        run: (readback) => {
          x.grad = null;
          const loss = x.logSoftmax(1).gather(1, t.unsqueeze(1)).mean().neg();
          loss.backward();
          return tsgradFinish([loss, x.grad!], readback);
        },
      };
    },
    tfjs: () => {
      const [xs, , ohs] = inputs();
      return tfValueAndGradImpl(xs!, ohs!, (logits, oh) => tf.losses.softmaxCrossEntropy(oh, logits) as tf.Scalar);
    },
    jax: () => {
      const [xs, , ohs] = inputs();
      return jaxValueAndGradImpl(xs!, ohs!, jaxCeOneHot);
    },
    plain: () => {
      const [xs, ts] = inputs();
      return {
        run: (readback) => {
          const grad = new Float32Array(N * C);
          const loss = softmaxCrossEntropyLoop(xs!.data as Float32Array, ts!.data as Int32Array, C, grad);
          return readback ? [Float32Array.of(loss), grad] : undefined;
        },
      };
    },
  },
};

export const crossEntropyWorkloads: Workload[] = [forward, forwardBackward];
