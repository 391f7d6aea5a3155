import { cpuBackend, type View } from '../backend.js';
import type { DType } from '../dtype.js';
import type { ElementwiseOp } from './graph.js';

/**
 * The value of an elementwise op whose operands are all constants (scalars, zeros,
 * ones), computed on the host with the reference backend's own arithmetic, so a
 * backend that folds constants gives exactly what the reference would.
 */
export function foldConstants(what: ElementwiseOp, values: readonly number[], dtypes: readonly DType[], outDtype: DType): number {
  const cpu = cpuBackend();
  const vs: View[] = [];
  for (let k = 0; k < values.length; k++) vs.push({ storage: cpu.full(1, values[k]!, dtypes[k]!), shape: [], strides: [], offset: 0, dtype: dtypes[k]! });
  if (what.kind === 'scatter') throw new Error('foldConstants: scatter is not an elementwise op of its operands');
  const r = what.kind === 'unary' ? cpu.unary(what.op, vs[0]!, outDtype)
    : what.kind === 'binary' ? cpu.binary(what.op, vs[0]!, vs[1]!, [], outDtype)
      : cpu.where(vs[0]!, vs[1]!, vs[2]!, [], outDtype);
  return cpu.read({ storage: r, shape: [], strides: [], offset: 0, dtype: outDtype })[0]!;
}
