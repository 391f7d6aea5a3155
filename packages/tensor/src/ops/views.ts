import type { View } from '../backend.js';
import type { Shape } from '../shape.js';

/** The view of `v` broadcast to `shape` (stride 0 on new and size-1 dims). No checks: callers validate. */
export function broadcastView(v: View, shape: Shape): View {
  if (v.shape.length === shape.length) {
    let same = true;
    for (let i = 0; i < shape.length; i++) if (v.shape[i] !== shape[i]) same = false;
    if (same) return v;
  }
  const off = shape.length - v.shape.length;
  const strides = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < v.shape.length; i++) {
    strides[off + i] = v.shape[i] === 1 && shape[off + i] !== 1 ? 0 : v.strides[i]!;
  }
  return { storage: v.storage, shape, strides, offset: v.offset, dtype: v.dtype };
}
