import { describe, expect, it } from 'vitest';
import { tensor, grad } from '@tsgrad/tensor';

describe('API at a glance', () => {
  it('runs the README example', () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
    const y = x.mul(x).add(1).log().sum(1);
    y.sum().backward();
    const g = x.grad!.toArray() as number[][];
    // d/dx log(x²+1) = 2x/(x²+1)
    expect(g[1]![1]).toBeCloseTo((2 * 4) / 17, 12);
    const [h] = grad([x.exp().sum()], [x], { createGraph: true });
    const [hh] = grad([h!.sum()], [x]);
    expect((hh!.toArray() as number[][])[0]![0]).toBeCloseTo(Math.E, 12);
  });
});
