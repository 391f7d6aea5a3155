import type { Local } from './builder.js';
import { bump, emitLoop } from './emit.js';
import type { WasmRuntime } from './runtime.js';
import type { KernelHandle } from './threads/pool.js';

/*
 * scatterAdd's accumulation as a kernel: for every position p of the index box (D dims,
 * row-major, in order), out[p with dim `dim` replaced by index[p]] += src[p]. One call
 * on one thread, in index order, so duplicate indices add up in the same order as the
 * host loop it replaces (float32: a float32 add, the same rounding as adding in float64
 * and storing to a Float32Array; int32 wraps; bool is a logical or). As a kernel it
 * queues behind the kernels still running on the threads instead of waiting for them,
 * and it avoids the host's element-by-element access to a shared memory.
 *
 * Arguments (i32): the D sizes; the index pointer and its D byte strides; the src pointer
 * and its D byte strides; the out pointer and its D byte strides (the scattered dim's
 * stride 0); the scattered dim's byte stride in out. Index values were checked on the
 * host (ops/indexing.ts) before any of this runs.
 */

export type ScatterDType = 'float32' | 'int32' | 'bool';

export function scatterAddKernel(rt: WasmRuntime, D: number, dtype: ScatterDType): KernelHandle {
  return rt.handle(`scatterAdd|${D}|${dtype}`, (m) => {
    const params = new Array<'i32'>(4 + 4 * D).fill('i32');
    m.func('run', params, [], (f, p) => {
      const sizes = p.slice(0, D);
      const ptrs = [p[D]!, p[2 * D + 1]!, p[3 * D + 2]!];
      const strides = [p.slice(D + 1, 2 * D + 1), p.slice(2 * D + 2, 3 * D + 2), p.slice(3 * D + 3, 4 * D + 3)];
      const dimStride = p[4 * D + 3]!;
      const at = f.addLocal('i32');
      const level = (d: number, [pi, ps, po]: Local[]): void => {
        if (d === D) {
          // at = out + index[p] · dimStride; out[at] += src[p]
          f.local.get(po!);
          f.local.get(pi!);
          f.i32.load(0, 2);
          f.local.get(dimStride);
          f.i32.mul();
          f.i32.add();
          f.local.tee(at);
          f.local.get(at);
          if (dtype === 'float32') {
            f.f32.load(0, 2);
            f.local.get(ps!);
            f.f32.load(0, 2);
            f.f32.add();
            f.f32.store(0, 2);
          } else if (dtype === 'int32') {
            f.i32.load(0, 2);
            f.local.get(ps!);
            f.i32.load(0, 2);
            f.i32.add();
            f.i32.store(0, 2);
          } else {
            f.i32.load8_u(0, 0);
            f.local.get(ps!);
            f.i32.load8_u(0, 0);
            f.i32.or();
            f.i32.store8(0, 0);
          }
          return;
        }
        // This dim's cursors start where the enclosing dim's are.
        const cur = [f.addLocal('i32'), f.addLocal('i32'), f.addLocal('i32')];
        for (let k = 0; k < 3; k++) {
          f.local.get([pi, ps, po][k]!);
          f.local.set(cur[k]!);
        }
        emitLoop(f, sizes[d]!, () => level(d + 1, cur), () => {
          for (let k = 0; k < 3; k++) bump(f, cur[k]!, strides[k]![d]!);
        });
      };
      level(0, ptrs);
    });
  });
}

/** Arguments of scatterAddKernel: `box` sizes, then per operand its byte address and byte strides. */
export function scatterArgs(
  box: readonly number[], index: { ptr: number; strides: readonly number[] }, src: { ptr: number; strides: readonly number[] },
  out: { ptr: number; strides: readonly number[] }, dimStride: number,
): number[] {
  return [...box, index.ptr, ...index.strides, src.ptr, ...src.strides, out.ptr, ...out.strides, dimStride];
}
