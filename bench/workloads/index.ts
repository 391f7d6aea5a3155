/** Every workload, in table order. */
import type { Workload } from '../lib/types';
import { elementwiseWorkloads } from './elementwise';
import { reduceWorkloads } from './reduce';
import { matmulWorkloads } from './matmul';
import { crossEntropyWorkloads } from './cross-entropy';
import { mlpWorkloads } from './mlp';
import { nnLossWorkloads } from './nn-losses';

export const WORKLOADS: readonly Workload[] = [
  ...elementwiseWorkloads,
  ...reduceWorkloads,
  ...matmulWorkloads,
  ...crossEntropyWorkloads,
  ...mlpWorkloads,
  ...nnLossWorkloads,
];
