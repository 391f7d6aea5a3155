import { DTypeError, ValueError, fmtShape } from '../errors.js';
import { normalizeDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { fromTypedArray, readHost } from './dispatch.js';
import { gather } from './indexing.js';
import { reshape } from './shape.js';
import { bool, checked, dim as dimSpec, int, optional, tensor } from '../validate/index.js';

/*
 * sort and topk are compositions: the order is found on the host (a comparison sort,
 * outside the graph, like argmax), and the values are `gather(x, dim, indices)`, so
 * the gradient is gather's — scattered back to exactly the selected elements — and
 * gradients of gradients come for free.
 */

/** What `sort` and `topk` return, like PyTorch's `(values, indices)` named tuple. */
export interface SortResult {
  values: Tensor;
  /** Positions along `dim` in the input (int32). */
  indices: Tensor;
}

function checkInput(op: string, x: Tensor): void {
  if (!(x instanceof Tensor)) throw new DTypeError(`${op}: argument 'input' expected a Tensor, got ${typeof x}`);
}

/**
 * The first `k` positions of every line along dim `d` in sorted order: NaN counts as
 * larger than every number (as in PyTorch), ties keep their input order (stable).
 */
function orderIndices(x: Tensor, d: number, k: number, descending: boolean): Int32Array {
  const data = readHost(x);
  const n = x.shape[d]!;
  let inner = 1;
  for (let i = d + 1; i < x.ndim; i++) inner *= x.shape[i]!;
  const outer = n === 0 ? 0 : data.length / (n * inner);
  const out = new Int32Array(outer * k * inner);
  const keys = new Float64Array(n);
  const idx = new Int32Array(n);
  const sign = descending ? -1 : 1;
  const cmp = (a: number, b: number): number => {
    const va = keys[a]!;
    const vb = keys[b]!;
    const na = va !== va;
    const nb = vb !== vb;
    if (na || nb) return na === nb ? a - b : (na ? 1 : -1) * sign;
    return va < vb ? -sign : va > vb ? sign : a - b;
  };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      for (let j = 0; j < n; j++) {
        keys[j] = data[base + j * inner]!;
        idx[j] = j;
      }
      idx.sort(cmp);
      const obase = o * k * inner + i;
      for (let j = 0; j < k; j++) out[obase + j * inner] = idx[j]!;
    }
  }
  return out;
}

function ordered(x: Tensor, d: number, k: number, descending: boolean): SortResult {
  const shape = [...x.shape];
  shape[d] = k;
  const indices = fromTypedArray(orderIndices(x, d, k, descending), shape, 'int32');
  return { values: gather(x, d, indices), indices };
}

/**
 * Sorts along `dim` (default the last), ascending unless `descending`, like
 * `torch.sort(..., stable=True)`: equal values keep their input order, NaN sorts as
 * larger than every number (last ascending, first descending). Returns the values
 * and their int32 positions; the gradient flows to each value's source element.
 */
export const sort = checked('sort', [['input', tensor()], ['dim', optional(dimSpec())], ['descending', optional(bool())]], sortImpl);

function sortImpl(x: Tensor, dim = -1, descending = false): SortResult {
  checkInput('sort', x);
  if (x.ndim === 0) {
    const r = ordered(reshape(x, [1]), 0, 1, descending);
    return { values: reshape(r.values, []), indices: reshape(r.indices, []) };
  }
  const d = normalizeDim('sort', dim, x.ndim);
  return ordered(x, d, x.shape[d]!, descending);
}

/** Only the sorted indices along `dim`, like `torch.argsort(..., stable=True)`. */
export const argsort = checked('argsort', [['input', tensor()], ['dim', optional(dimSpec())], ['descending', optional(bool())]], argsortImpl);

function argsortImpl(x: Tensor, dim = -1, descending = false): Tensor {
  return sortImpl(x, dim, descending).indices;
}

/**
 * The `k` largest (or, with `largest: false`, smallest) elements along `dim`, like
 * `torch.topk`. They come sorted (largest first, or smallest first); `sorted: false`
 * is accepted and gives the same order (PyTorch leaves that order unspecified). Among
 * equal values the one earlier in the input wins (PyTorch does not specify which);
 * NaN counts as the largest value. The gradient flows to the selected elements.
 */
export const topk = checked(
  'topk',
  [['input', tensor()], ['k', int({ min: 0 })], ['dim', optional(dimSpec())], ['largest', optional(bool())], ['sorted', optional(bool())]],
  topkImpl,
);

function topkImpl(x: Tensor, k: number, dim = -1, largest = true, sorted = true): SortResult {
  checkInput('topk', x);
  void sorted;
  const xs = x.ndim === 0 ? reshape(x, [1]) : x;
  const d = normalizeDim('topk', dim, xs.ndim);
  const n = xs.shape[d]!;
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new ValueError(`topk: argument 'k' expected an integer in [0, ${n}] (dim ${d} of input shape ${fmtShape(x.shape)}), got ${String(k)}`);
  }
  const r = ordered(xs, d, k, largest);
  if (x.ndim > 0 || k === 0) return r;
  return { values: reshape(r.values, []), indices: reshape(r.indices, []) };
}
