/**
 * One SGD training step of a 784 → 256 (relu) → 10 MLP on a batch of 128, with a
 * mean softmax cross-entropy loss: forward, gradients of all four parameters, and
 * the in-place update. Every library starts from the same parameters.
 */
import { noGrad, tensor, type Tensor } from '@tsgrad/tensor';
import { jax, jaxArray, np, type JaxArray } from '../peers/jax.js';
import { tf, tfLeakGuard } from '../peers/tfjs.js';
import { labels, normal, oneHot } from '../lib/data.js';
import { matmulNN, matmulNT, matmulTN, softmaxCrossEntropyLoop } from '../lib/loops.js';
import { jaxFinish, tsgradFinish, type HostInput } from '../lib/op-workload.js';
import type { Outputs, Workload } from '../lib/types.js';

const BATCH = 128;
const IN = 784;
const HIDDEN = 256;
const OUT = 10;
const LR = 0.05;

interface Init {
  x: HostInput;
  target: HostInput;
  oneHot: HostInput;
  /** w1, b1, w2, b2 — fresh copies, since every library updates its own in place. */
  params: HostInput[];
}

function init(): Init {
  const target = labels(BATCH, OUT, 52);
  const p = (data: Float32Array, shape: number[]): HostInput => ({ data: data.slice(), shape });
  return {
    x: { data: normal(BATCH * IN, 51), shape: [BATCH, IN] },
    target: { data: target, shape: [BATCH] },
    oneHot: { data: oneHot(target, OUT), shape: [BATCH, OUT] },
    params: [
      p(normal(IN * HIDDEN, 53, Math.sqrt(2 / IN)), [IN, HIDDEN]),
      p(normal(HIDDEN, 54, 0.01), [HIDDEN]),
      p(normal(HIDDEN * OUT, 55, Math.sqrt(1 / HIDDEN)), [HIDDEN, OUT]),
      p(normal(OUT, 56, 0.01), [OUT]),
    ],
  };
}

/** Multiply-adds of the three big products (forward, weight grads, hidden grad), ×2. */
const FLOPS = 2 * BATCH * (IN * HIDDEN + HIDDEN * OUT) * 2 + 2 * BATCH * HIDDEN * OUT;

function tsgradStep(): { run(readback: boolean): Outputs | undefined } {
  const d = init();
  const x = tensor(d.x.data, { shape: d.x.shape });
  const t = tensor(d.target.data, { shape: d.target.shape });
  const params = d.params.map((p) => tensor(p.data, { shape: p.shape, requiresGrad: true }));
  const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
  return {
    run: (readback) => {
      const logits = x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
      const loss = logits.logSoftmax(1).gather(1, t.unsqueeze(1)).mean().neg();
      loss.backward();
      noGrad(() => {
        for (const p of params) {
          p.assign_(p.sub(p.grad!.mul(LR)));
          p.grad = null;
        }
      });
      // The loss and all four updated parameters (the update is lazy on the wasm backend).
      return tsgradFinish([loss, ...params], readback);
    },
  };
}

function tfjsStep() {
  const guard = tfLeakGuard();
  const d = init();
  const x = tf.tensor(d.x.data, [...d.x.shape]);
  const oh = tf.tensor(d.oneHot.data, [...d.oneHot.shape]);
  const vars = d.params.map((p) => tf.tidy(() => tf.variable(tf.tensor(p.data, [...p.shape]))));
  const [w1, b1, w2, b2] = vars as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  const optimizer = tf.train.sgd(LR);
  const loss = (): tf.Scalar => {
    const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
    const logits = tf.add(tf.matMul(h, w2), b2);
    return tf.losses.softmaxCrossEntropy(oh, logits) as tf.Scalar;
  };
  return {
    run: (readback: boolean): Outputs | undefined => {
      const cost = optimizer.minimize(loss, true, vars)!;
      const host = readback ? [cost.dataSync(), ...vars.map((v) => v.dataSync())] : undefined;
      cost.dispose();
      return host;
    },
    dispose: () => guard(() => {
      tf.dispose([x, oh, ...vars]);
      optimizer.dispose();
    }),
  };
}

// `type`, not `interface`: jax-js' JsTree only accepts type aliases for records.
type JaxParamTree = { w1: JaxArray; b1: JaxArray; w2: JaxArray; b2: JaxArray };

function jaxStep() {
  const d = init();
  const x = jaxArray(d.x.data, d.x.shape);
  // One-hot rather than takeAlongAxis: jax-js cannot jit the gather's scatter VJP.
  const oh = jaxArray(d.oneHot.data, d.oneHot.shape);
  const [w1, b1, w2, b2] = d.params.map((p) => jaxArray(p.data, p.shape)) as [JaxArray, JaxArray, JaxArray, JaxArray];
  let params: JaxParamTree = { w1, b1, w2, b2 };
  const lossFn = (p: JaxParamTree, xb: JaxArray, y: JaxArray): JaxArray => {
    const h = jax.nn.relu(np.matmul(xb, p.w1).add(p.b1));
    const logits = np.matmul(h, p.w2).add(p.b2);
    return jax.nn.logSoftmax(logits, -1).mul(y).sum(-1).mean().neg();
  };
  const step = jax.jit((p: JaxParamTree, xb: JaxArray, y: JaxArray) => {
    const [loss, grads] = jax.valueAndGrad(lossFn)(jax.tree.ref(p), xb, y);
    const next: JaxParamTree = {
      w1: p.w1.sub(grads.w1.mul(LR)),
      b1: p.b1.sub(grads.b1.mul(LR)),
      w2: p.w2.sub(grads.w2.mul(LR)),
      b2: p.b2.sub(grads.b2.mul(LR)),
    };
    return [loss, next] as [JaxArray, JaxParamTree];
  });
  const order = (p: JaxParamTree): JaxArray[] => [p.w1, p.b1, p.w2, p.b2];
  return {
    run: (readback: boolean) => {
      const [loss, next] = step(params, x.ref, oh.ref);
      params = next;
      // Read the parameters through extra references so they survive for the next step.
      return jaxFinish([loss, ...order(params).map((a) => a.ref)], readback);
    },
    dispose: () => {
      jax.tree.dispose(params);
      x.dispose();
      oh.dispose();
      step.dispose();
    },
  };
}

function plainStep() {
  const d = init();
  const x = d.x.data as Float32Array;
  const target = d.target.data as Int32Array;
  const [w1, b1, w2, b2] = d.params.map((p) => p.data as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
  return {
    run: (readback: boolean): Outputs | undefined => {
      // forward
      const z1 = matmulNN(x, w1, BATCH, IN, HIDDEN);
      for (let r = 0; r < BATCH; r++) {
        for (let c = 0; c < HIDDEN; c++) {
          const v = z1[r * HIDDEN + c]! + b1[c]!;
          z1[r * HIDDEN + c] = v > 0 ? v : 0; // z1 now holds h = relu(z1)
        }
      }
      const h = z1;
      const z2 = matmulNN(h, w2, BATCH, HIDDEN, OUT);
      for (let r = 0; r < BATCH; r++) for (let c = 0; c < OUT; c++) z2[r * OUT + c] += b2[c]!;
      // backward
      const dz2 = new Float32Array(BATCH * OUT);
      const loss = softmaxCrossEntropyLoop(z2, target, OUT, dz2);
      const dw2 = matmulTN(h, dz2, HIDDEN, BATCH, OUT);
      const db2 = new Float32Array(OUT);
      for (let r = 0; r < BATCH; r++) for (let c = 0; c < OUT; c++) db2[c] += dz2[r * OUT + c]!;
      const dh = matmulNT(dz2, w2, BATCH, OUT, HIDDEN);
      for (let i = 0; i < dh.length; i++) if (h[i]! <= 0) dh[i] = 0;
      const dw1 = matmulTN(x, dh, IN, BATCH, HIDDEN);
      const db1 = new Float32Array(HIDDEN);
      for (let r = 0; r < BATCH; r++) for (let c = 0; c < HIDDEN; c++) db1[c] += dh[r * HIDDEN + c]!;
      // SGD
      const sgd = (p: Float32Array, g: Float32Array) => {
        for (let i = 0; i < p.length; i++) p[i] -= LR * g[i]!;
      };
      sgd(w1, dw1);
      sgd(b1, db1);
      sgd(w2, dw2);
      sgd(b2, db2);
      return readback ? [Float32Array.of(loss), w1, b1, w2, b2] : undefined;
    },
  };
}

export const mlpWorkloads: Workload[] = [
  {
    id: 'mlp/train-step',
    title: 'MLP 784→256→10 SGD step, batch 128',
    group: 'mlp',
    flops: FLOPS,
    checkRuns: 2,
    impls: { tsgrad: tsgradStep, tfjs: tfjsStep, jax: jaxStep, plain: plainStep },
  },
];
