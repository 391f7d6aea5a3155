import fc from 'fast-check';
import type { Tensor } from '@tsgrad/tensor';

/** The data of a tensor as source code, e.g. `tensor([[1, 2]], { dtype: 'float64' })`. */
export function tensorSource(t: Tensor, withShape = false): string {
  const data = JSON.stringify(t.toArray());
  const shape = withShape ? `, shape: [${t.shape.join(', ')}]` : '';
  return `tensor(${data}, { dtype: '${t.dtype}'${shape} })`;
}

/**
 * Makes fast-check print `t` as the code that rebuilds it, so a shrunk counterexample
 * can be pasted into a unit test. `source` defaults to the tensor's data.
 */
export function withSource<T extends Tensor>(t: T, source?: string): T {
  const text = (source ?? tensorSource(t)) + (t.requiresGrad ? '.requiresGrad_()' : '');
  Object.defineProperty(t, fc.toStringMethod, { value: () => text, enumerable: false, configurable: true });
  return t;
}
