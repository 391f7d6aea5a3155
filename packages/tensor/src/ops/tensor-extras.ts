/** The ops behind the Tensor methods clone … zero_ (one import for tensor.ts). */
export { clone, select, maskedFill } from './select.js';
export { sort, argsort, topk, type SortResult } from './sort.js';
export { cumsum } from './cumsum.js';
export { std, norm, type StdOptions, type NormOrder } from './norm.js';
export { fill_, zero_ } from './inplace.js';
export { unfold } from './unfold.js';
