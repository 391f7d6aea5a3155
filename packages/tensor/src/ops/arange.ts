import { fromTypedArray } from './dispatch.js';

/** 0, 1, …, n-1 as int32 (used by oneHot and creation). */
export function arangeInt(n: number) {
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  return fromTypedArray(data, [n], 'int32');
}

