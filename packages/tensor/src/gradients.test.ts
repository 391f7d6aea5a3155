import { describe, expect, it } from 'vitest';
import { VJP } from './index.js';

/*
 * Which test file gradchecks each primitive of the VJP table. A primitive added to
 * the table without a gradient test fails here, so the table and its tests stay in
 * step.
 */
const COVERED: Record<string, string> = {
  neg: 'gradients-elementwise', abs: 'gradients-elementwise', sign: 'gradients-elementwise',
  exp: 'gradients-elementwise', expm1: 'gradients-elementwise', log: 'gradients-elementwise',
  log1p: 'gradients-elementwise', sqrt: 'gradients-elementwise', rsqrt: 'gradients-elementwise',
  square: 'gradients-elementwise', reciprocal: 'gradients-elementwise', sin: 'gradients-elementwise',
  cos: 'gradients-elementwise', tanh: 'gradients-elementwise', sigmoid: 'gradients-elementwise',
  relu: 'gradients-elementwise', cast: 'gradients-elementwise',
  add: 'gradients-elementwise', sub: 'gradients-elementwise', mul: 'gradients-elementwise',
  div: 'gradients-elementwise', pow: 'gradients-elementwise', maximum: 'gradients-elementwise',
  minimum: 'gradients-elementwise', where: 'gradients-elementwise',
  sum: 'gradients-reduce', max: 'gradients-reduce', min: 'gradients-reduce', logSumExp: 'gradients-reduce',
  reshape: 'gradients-shape', permute: 'gradients-shape', expand: 'gradients-shape', contiguous: 'gradients-shape',
  slice: 'gradients-shape', embedSlice: 'gradients-shape (second order of slice, scatterAdd src padding)',
  cat: 'gradients-shape', gather: 'gradients-shape', scatterAdd: 'gradients-shape',
  matmul: 'gradients-matmul',
  unfold: 'ops/unfold.test (and conv/pooling in @tsgrad/nn)',
};

describe('gradient test coverage', () => {
  it('every primitive in the VJP table has a gradient test', () => {
    expect(Object.keys(VJP).sort()).toEqual(Object.keys(COVERED).sort());
  });
});
