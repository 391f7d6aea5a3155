import type { FunctionBuilder, Local } from './builder.js';
import type { WasmRuntime } from './runtime.js';

/*
 * Fills and copies of heap memory as kernels, not `TypedArray.prototype.fill` /
 * `copyWithin`: once the heap is a shared memory (threads), V8 runs those builtins on a
 * SharedArrayBuffer element by element with relaxed-atomic semantics — a 2 MB zero fill
 * took 0.5 ms instead of 0.02 ms here, which made every gather gradient (a scatter into
 * zeros) and every materialised constant several times slower.
 */

const BELOW = 64;

function bump(f: FunctionBuilder, l: Local, by: number): void {
  f.local.get(l);
  f.i32.const(by);
  f.i32.add();
  f.local.set(l);
}

/** `while (cursor + step <= end) { body(); cursor += step; others += step }`. */
function whileRoom(f: FunctionBuilder, cursor: Local, end: Local, step: number, others: readonly Local[], body: () => void): void {
  f.block((exit) => f.loop((top) => {
    f.local.get(cursor);
    f.i32.const(step);
    f.i32.add();
    f.local.get(end);
    f.i32.gt_u();
    f.brIf(exit);
    body();
    bump(f, cursor, step);
    for (const o of others) bump(f, o, step);
    f.br(top);
  }));
}

/** Stores `word` (an i32 pattern) into `count` 4-byte slots from `ptr` (4-byte aligned). */
export function fillWords(rt: WasmRuntime, ptr: number, count: number, word: number): void {
  if (count <= 0) return;
  // Small fills on the host — unless kernels are queued (a host write would wait for them).
  if (count < BELOW && !rt.busy) {
    rt.heap.i32.fill(word | 0, ptr >> 2, (ptr >> 2) + count);
    return;
  }
  const k = rt.handle('fill|i32', (m) => m.func('run', ['i32', 'i32', 'i32'], [], (f, [p, n, w]) => {
    const end = f.addLocal('i32');
    const v = f.addLocal('v128');
    f.local.get(p!);
    f.local.get(n!);
    f.i32.const(2);
    f.i32.shl();
    f.i32.add();
    f.local.set(end);
    f.local.get(w!);
    f.i32x4.splat();
    f.local.set(v);
    whileRoom(f, p!, end, 64, [], () => {
      for (let o = 0; o < 64; o += 16) {
        f.local.get(p!);
        f.local.get(v);
        f.v128.store(o, 0);
      }
    });
    whileRoom(f, p!, end, 4, [], () => {
      f.local.get(p!);
      f.local.get(w!);
      f.i32.store(0);
    });
  }));
  rt.call(k, 'run', [ptr, count, word | 0]);
}

/** Fills `count` bytes from `ptr` with `byte` (0–255). */
export function fillBytes(rt: WasmRuntime, ptr: number, count: number, byte: number): void {
  if (count <= 0) return;
  const b = byte & 0xff;
  const head = Math.min(count, (4 - (ptr & 3)) & 3);
  const words = (count - head) >> 2;
  // Host writes: after every queued kernel (one may still read this block's previous contents).
  rt.sync();
  if (count < 4 * BELOW || words === 0) {
    rt.heap.u8.fill(b, ptr, ptr + count);
    return;
  }
  const u8 = rt.heap.u8;
  for (let i = 0; i < head; i++) u8[ptr + i] = b;
  fillWords(rt, ptr + head, words, b * 0x01010101);
  const done = head + 4 * words;
  const h = rt.heap.u8;
  for (let i = done; i < count; i++) h[ptr + i] = b;
}

/** Copies `count` bytes from `src` to `dst` (non-overlapping, or dst < src). */
export function copyBytes(rt: WasmRuntime, dst: number, src: number, count: number): void {
  if (count <= 0) return;
  if ((count < 4 * BELOW && !rt.busy) || ((dst | src) & 3) !== 0 || (dst > src && dst < src + count)) {
    rt.sync();
    rt.heap.u8.copyWithin(dst, src, src + count);
    return;
  }
  const k = rt.handle('copy|bytes', (m) => m.func('run', ['i32', 'i32', 'i32'], [], (f, [d, s, n]) => {
    const end = f.addLocal('i32');
    f.local.get(s!);
    f.local.get(n!);
    f.i32.add();
    f.local.set(end);
    whileRoom(f, s!, end, 64, [d!], () => {
      for (let o = 0; o < 64; o += 16) {
        f.local.get(d!);
        f.local.get(s!);
        f.v128.load(o, 0);
        f.v128.store(o, 0);
      }
    });
    whileRoom(f, s!, end, 1, [d!], () => {
      f.local.get(d!);
      f.local.get(s!);
      f.i32.load8_u(0, 0);
      f.i32.store8(0, 0);
    });
  }));
  rt.call(k, 'run', [dst, src, count]);
}

/** Bits of `value` as the dtype stores it, for `fillWords`. */
export function wordOf(dtype: 'float32' | 'int32', value: number): number {
  if (dtype === 'int32') return value | 0;
  const f = new Float32Array([value]);
  return new Int32Array(f.buffer)[0]!;
}
