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

    // One expect per case (a per-byte expect made this file take a minute).
    const firstMismatch = (expected: Uint8Array): number => {
      const u8 = rt.heap.u8;
      for (let i = 0; i < expected.length; i++) if (u8[base + i] !== expected[i]) return i;
      return -1;
    };

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
        const expected = before.slice();
        const bytes = new Uint8Array(new Int32Array([word | 0]).buffer);
        for (let i = 0; i < 4 * count; i++) expected[ptr - base + i] = bytes[i & 3]!;
        expect(firstMismatch(expected)).toBe(-1);
      }), { numRuns: 60 });
    });

    it('fillBytes handles unaligned starts and lengths', () => {
      fc.assert(fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 67 }), fc.integer({ min: 0, max: 255 }), (count, at, byte) => {
        const before = prepare();
        const ptr = base + at;
        fillBytes(rt, ptr, count, byte);
        const expected = before.slice();
        expected.fill(byte, at, at + count);
        expect(firstMismatch(expected)).toBe(-1);
      }), { numRuns: 60 });
    });

    it('copyBytes copies exactly count bytes (aligned and unaligned)', () => {
      fc.assert(fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), (count, a, b) => {
        const before = prepare();
        const src = base + a;
        const dst = base + SPAN + b;
        copyBytes(rt, dst, src, count);
        const expected = before.slice();
        expected.set(before.subarray(a, a + count), SPAN + b);
        expect(firstMismatch(expected)).toBe(-1);
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
