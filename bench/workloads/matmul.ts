/**
 * Matrix products in the three layouts training needs (forward A·B, weight grad
 * Aᵀ·B, input grad A·Bᵀ). Transposed operands are stored transposed and read
 * through a transpose *view* (tsgrad, jax-js) or the transpose flags (tfjs), so a
 * library that copies to contiguous first pays for it here.
 */
import { np } from '../peers/jax.js';
import { tf } from '../peers/tfjs.js';
import { normal } from '../lib/data.js';
import { matmulNN, matmulNT, matmulTN } from '../lib/loops.js';
import { opWorkload } from '../lib/op-workload.js';
import type { Workload } from '../lib/types.js';

type Layout = 'nn' | 'tn' | 'nt';

function matmulWorkload(m: number, k: number, n: number, layout: Layout, id: string, title: string): Workload {
  // Stored shapes: A is [m,k] or, for Aᵀ·B, [k,m]; B is [k,n] or, for A·Bᵀ, [n,k].
  const aShape = layout === 'tn' ? [k, m] : [m, k];
  const bShape = layout === 'nt' ? [n, k] : [k, n];
  const flops = 2 * m * k * n;
  return opWorkload({
    id, title, group: 'matmul', flops,
    inputs: () => [
      { data: normal(m * k, 31 + m + k), shape: aShape },
      { data: normal(k * n, 37 + k + n), shape: bShape },
    ],
    tsgrad:
      layout === 'nn' ? (a, b) => a.matmul(b)
      : layout === 'tn' ? (a, b) => a.transpose().matmul(b)
      : (a, b) => a.matmul(b.transpose()),
    tfjs: (a, b) => tf.matMul(a, b, layout === 'tn', layout === 'nt'),
    jax:
      layout === 'nn' ? (a, b) => np.matmul(a, b)
      : layout === 'tn' ? (a, b) => np.matmul(a.transpose(), b)
      : (a, b) => np.matmul(a, b.transpose()),
    plain: (a, b) => {
      const f = layout === 'nn' ? matmulNN : layout === 'tn' ? matmulTN : matmulNT;
      return f(a as Float32Array, b as Float32Array, m, k, n);
    },
  });
}

export const matmulWorkloads: Workload[] = [
  matmulWorkload(256, 784, 128, 'nn', 'matmul/256x784x128', 'matmul 256×784·784×128'),
  matmulWorkload(512, 512, 512, 'nn', 'matmul/512-nn', 'matmul 512³ A·B'),
  matmulWorkload(512, 512, 512, 'tn', 'matmul/512-tn', 'matmul 512³ Aᵀ·B'),
  matmulWorkload(512, 512, 512, 'nt', 'matmul/512-nt', 'matmul 512³ A·Bᵀ'),
];
