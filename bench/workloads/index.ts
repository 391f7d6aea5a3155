/** Every workload, in table order. */
import type { Workload } from '../lib/types.js';
import { elementwiseWorkloads } from './elementwise.js';
import { reduceWorkloads } from './reduce.js';
import { matmulWorkloads } from './matmul.js';
import { crossEntropyWorkloads } from './cross-entropy.js';
import { mlpWorkloads } from './mlp.js';
import { nnLossWorkloads } from './nn-losses.js';

export const WORKLOADS: readonly Workload[] = [
  ...elementwiseWorkloads,
  ...reduceWorkloads,
  ...matmulWorkloads,
  ...crossEntropyWorkloads,
  ...mlpWorkloads,
  ...nnLossWorkloads,
];
