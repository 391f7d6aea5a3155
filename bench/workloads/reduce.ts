/** Reductions along the last dim of [1024, 1000] (one value per row). */
import { jax } from '../peers/jax.js';
import { tf } from '../peers/tfjs.js';
import { normal } from '../lib/data.js';
import { rowLogSumExpLoop, rowMaxLoop, rowSumLoop } from '../lib/loops.js';
import { opWorkload, type HostInput } from '../lib/op-workload.js';
import type { Workload } from '../lib/types.js';

const ROWS = 1024;
const COLS = 1000;
const x = (): HostInput[] => [{ data: normal(ROWS * COLS, 21), shape: [ROWS, COLS] }];

export const reduceWorkloads: Workload[] = [
  opWorkload({
    id: 'reduce/sum', title: 'sum(-1) [1024,1000]', group: 'reduce', inputs: x,
    tsgrad: (a) => a.sum(-1),
    tfjs: (a) => tf.sum(a, -1),
    jax: (a) => a.sum(-1),
    plain: (a) => rowSumLoop(a as Float32Array, COLS),
  }),
  opWorkload({
    id: 'reduce/max', title: 'max(-1) [1024,1000]', group: 'reduce', inputs: x,
    tsgrad: (a) => a.max(-1),
    tfjs: (a) => tf.max(a, -1),
    jax: (a) => a.max(-1),
    plain: (a) => rowMaxLoop(a as Float32Array, COLS),
  }),
  opWorkload({
    id: 'reduce/logsumexp', title: 'logSumExp(-1) [1024,1000]', group: 'reduce', inputs: x,
    tsgrad: (a) => a.logSumExp(-1),
    tfjs: (a) => tf.logSumExp(a, -1),
    jax: (a) => jax.nn.logsumexp(a, -1),
    plain: (a) => rowLogSumExpLoop(a as Float32Array, COLS),
  }),
];
