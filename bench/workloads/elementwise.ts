/** Elementwise ops over 1M float32 elements, and a row-broadcast add. */
import { jax, np } from '../peers/jax.js';
import { tf } from '../peers/tfjs.js';
import { normal } from '../lib/data.js';
import { addLoop, addRowLoop, expLoop, mulLoop, sigmoidLoop } from '../lib/loops.js';
import { opWorkload, type HostInput } from '../lib/op-workload.js';
import type { Workload } from '../lib/types.js';

const N = 1 << 20;
const ROWS = 1024;
const COLS = 1000;

const vec = (seed: number): HostInput => ({ data: normal(N, seed), shape: [N] });
const two = (): HostInput[] => [vec(11), vec(12)];
const one = (): HostInput[] => [vec(13)];

export const elementwiseWorkloads: Workload[] = [
  opWorkload({
    id: 'elementwise/add', title: 'add 1M', group: 'elementwise', inputs: two,
    tsgrad: (a, b) => a.add(b),
    tfjs: (a, b) => tf.add(a, b),
    jax: (a, b) => a.add(b),
    plain: (a, b) => addLoop(a as Float32Array, b as Float32Array),
  }),
  opWorkload({
    id: 'elementwise/mul', title: 'mul 1M', group: 'elementwise', inputs: two,
    tsgrad: (a, b) => a.mul(b),
    tfjs: (a, b) => tf.mul(a, b),
    jax: (a, b) => a.mul(b),
    plain: (a, b) => mulLoop(a as Float32Array, b as Float32Array),
  }),
  opWorkload({
    id: 'elementwise/exp', title: 'exp 1M', group: 'elementwise', inputs: one,
    tsgrad: (a) => a.exp(),
    tfjs: (a) => tf.exp(a),
    jax: (a) => np.exp(a),
    plain: (a) => expLoop(a as Float32Array),
  }),
  opWorkload({
    id: 'elementwise/sigmoid', title: 'sigmoid 1M', group: 'elementwise', inputs: one,
    tsgrad: (a) => a.sigmoid(),
    tfjs: (a) => tf.sigmoid(a),
    jax: (a) => jax.nn.sigmoid(a),
    plain: (a) => sigmoidLoop(a as Float32Array),
  }),
  opWorkload({
    id: 'elementwise/broadcast-add', title: 'add [1024,1000]+[1000]', group: 'elementwise',
    inputs: () => [
      { data: normal(ROWS * COLS, 14), shape: [ROWS, COLS] },
      { data: normal(COLS, 15), shape: [COLS] },
    ],
    tsgrad: (a, b) => a.add(b),
    tfjs: (a, b) => tf.add(a, b),
    jax: (a, b) => a.add(b),
    plain: (a, b) => addRowLoop(a as Float32Array, b as Float32Array, COLS),
  }),
];
