import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WasmRuntime } from './runtime.js';
import { copyBytes, fillBytes, fillWords, wordOf } from './fill.js';

// Heap fills and copies run as kernels (TypedArray.fill is slow on a shared memory):
// every byte inside the range is written, none outside, on shared and plain heaps.
for (const shared of [false, true]) {
  describe(`fill.ts kernels on a ${shared ? 'shared' : 'plain'} heap`, () => {
    const rt = new WasmRuntime({ relaxed: false, cacheLimit: 8, shared });
    const base = rt.heap.alloc(1 << 16);
    const SPAN = 1 << 14;

    const prepare = (): Uint8Array => {
      const u8 = rt.heap.u8;
      for (let i = 0; i < 2 * SPAN; i++) u8[base + i] = (i * 31 + 7) & 0xff;
      return u8.slice(base, base + 2 * SPAN);
    };

    it('fillWords writes exactly count words of the pattern', () => {
      fc.assert(fc.property(fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 0, max: 64 }), fc.integer(), (count, at, word) => {
        const before = prepare();
        const ptr = base + 4 * at;
        fillWords(rt, ptr, count, word);
        const i32 = rt.heap.i32;
        for (let i = 0; i < count; i++) expect(i32[(ptr >> 2) + i]).toBe(word | 0);
        const u8 = rt.heap.u8;
        for (let i = 0; i < 2 * SPAN; i++) {
          const inside = base + i >= ptr && base + i < ptr + 4 * count;
          if (!inside) expect(u8[base + i]).toBe(before[i]);
        }
      }), { numRuns: 60 });
    });

    it('fillBytes handles unaligned starts and lengths', () => {
      fc.assert(fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 67 }), fc.integer({ min: 0, max: 255 }), (count, at, byte) => {
        const before = prepare();
        const ptr = base + at;
        fillBytes(rt, ptr, count, byte);
        const u8 = rt.heap.u8;
        for (let i = 0; i < 2 * SPAN; i++) {
          const inside = base + i >= ptr && base + i < ptr + count;
          expect(u8[base + i]).toBe(inside ? byte : before[i]);
        }
      }), { numRuns: 60 });
    });

    it('copyBytes copies exactly count bytes (aligned and unaligned)', () => {
      fc.assert(fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), (count, a, b) => {
        const before = prepare();
        const src = base + a;
        const dst = base + SPAN + b;
        copyBytes(rt, dst, src, count);
        const u8 = rt.heap.u8;
        for (let i = 0; i < 2 * SPAN; i++) {
          const off = base + i - dst;
          const inside = off >= 0 && off < count;
          expect(u8[base + i]).toBe(inside ? before[a + off] : before[i]);
        }
      }), { numRuns: 60 });
    });

    it('wordOf gives the stored bits of float32 and int32 values', () => {
      expect(wordOf('int32', -5)).toBe(-5);
      expect(wordOf('float32', 1)).toBe(0x3f800000);
      expect(wordOf('float32', -Infinity)).toBe(0xff800000 | 0);
      const p = base;
      fillWords(rt, p, 100, wordOf('float32', -Infinity));
      expect(Array.from(rt.heap.f32.subarray(p >> 2, (p >> 2) + 100)).every((v) => v === -Infinity)).toBe(true);
    });
  });
}
