import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mulberry32 } from '@tsgrad/testing';
import { ALIGN, WasmHeap, sizeClass } from './heap.js';
import { BackendError, getBackend, setBackend, tensor, wasm, type Tensor } from '../index.js';

/*
 * The WebAssembly heap's allocator on its own (a fresh WasmHeap per test, so counts are
 * exact), then memory management through the registered backend: dispose(), the
 * FinalizationRegistry path and collectGarbage().
 */

const PAGE = 65536;

function values(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

describe('size classes', () => {
  it('are multiples of 64 bytes, at least the request, at most 25 % above it beyond 1 KiB, and monotone', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 28 }), fc.integer({ min: 1, max: 2 ** 28 }), (a, b) => {
      for (const bytes of [a, b]) {
        const c = sizeClass(bytes);
        expect(c % ALIGN).toBe(0);
        expect(c).toBeGreaterThanOrEqual(bytes);
        if (bytes > 1024) expect(c - bytes).toBeLessThanOrEqual(0.25 * bytes);
        else expect(c - bytes).toBeLessThan(ALIGN);
      }
      // Monotone: a larger request never gets a smaller block.
      if (a <= b) expect(sizeClass(a)).toBeLessThanOrEqual(sizeClass(b));
      else expect(sizeClass(a)).toBeGreaterThanOrEqual(sizeClass(b));
    }), { numRuns: 2000 });
    expect(ALIGN).toBe(64);
  });

  it('boundaries: exact classes map to themselves, one byte more moves up a class', () => {
    for (const c of [64, 128, 1024, 1280, 1536, 1792, 2048, 2560, 4096, 2 ** 20, 1.25 * 2 ** 20]) {
      expect(sizeClass(c)).toBe(c);
      expect(sizeClass(c + 1)).toBeGreaterThan(c);
    }
    // Four classes per doubling above 1 KiB.
    const classes = new Set<number>();
    for (let b = 2 ** 12 + 1; b <= 2 ** 13; b += 7) classes.add(sizeClass(b));
    expect([...classes].sort((x, y) => x - y)).toEqual([5120, 6144, 7168, 8192]);
  });
});

describe('WasmHeap', () => {
  it('hands out 64-byte-aligned, non-overlapping blocks and counts live bytes', () => {
    const h = new WasmHeap(1);
    const r = mulberry32(3);
    const blocks: [number, number][] = [];
    for (let i = 0; i < 200; i++) {
      const bytes = 1 + Math.floor(r() * 3000);
      const p = h.alloc(bytes);
      expect(p % ALIGN).toBe(0);
      expect(p).toBeGreaterThan(0); // address 0 is never a block
      blocks.push([p, sizeClass(bytes)]);
    }
    blocks.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < blocks.length; i++) expect(blocks[i]![0]).toBeGreaterThanOrEqual(blocks[i - 1]![0] + blocks[i - 1]![1]);
    const s = h.stats();
    expect(s.liveBlocks).toBe(200);
    expect(s.liveBytes).toBe(blocks.reduce((t, [, c]) => t + c, 0));
    expect(s.fresh).toBe(200);
    expect(s.reused).toBe(0);
  });

  it('a released block is reused by the next allocation of its class (and only of its class)', () => {
    const h = new WasmHeap(1);
    const a = h.alloc(1000); // class 1024
    const b = h.alloc(100); // class 128
    h.release(a);
    expect(h.isLive(a)).toBe(false);
    expect(h.stats()).toMatchObject({ liveBytes: 128, freeBytes: 1024, reused: 0, fresh: 2 });
    // Another class does not take it.
    const c = h.alloc(2000);
    expect(c).not.toBe(a);
    expect(h.stats().reused).toBe(0);
    // The same class (a different request size within it) does.
    const d = h.alloc(1000 - 37);
    expect(d).toBe(a);
    expect(h.isLive(d)).toBe(true);
    expect(h.stats()).toMatchObject({ reused: 1, fresh: 3, freeBytes: 0, liveBytes: 128 + sizeClass(2000) + 1024 });
    // Last freed, first reused: the block most likely still in cache.
    h.release(b);
    const e = h.alloc(70);
    const f = h.alloc(70);
    h.release(e);
    h.release(f);
    expect(h.alloc(65)).toBe(f);
    expect(h.alloc(65)).toBe(e);
  });

  it('grows beyond its initial memory: earlier contents survive, old views detach, fresh views see them', () => {
    const h = new WasmHeap(1);
    expect(h.stats().memoryBytes).toBe(PAGE);
    const p = h.alloc(4096);
    const pattern = values(1024, 11);
    const before = h.f32;
    before.set(pattern, p >> 2);
    const i32Before = h.i32;
    i32Before[(p >> 2) + 5] = 0x7fabcdef;
    pattern[5] = new Float32Array(Int32Array.of(0x7fabcdef).buffer)[0]!;
    // Far more than the 64 KiB page: the memory must grow.
    const big = h.alloc(3 * 2 ** 20);
    const s = h.stats();
    expect(s.grows).toBeGreaterThanOrEqual(1);
    expect(s.memoryBytes).toBeGreaterThanOrEqual(big + 3 * 2 ** 20);
    expect(s.memoryBytes % PAGE).toBe(0);
    // WebAssembly detaches the old buffer on growth: a stale view is empty...
    expect(before.length).toBe(0);
    // ...and a view taken now sees the bytes written before the growth.
    const after = h.f32;
    expect(after.length).toBe(s.memoryBytes / 4);
    expect(Array.from(after.subarray(p >> 2, (p >> 2) + 1024))).toEqual(Array.from(pattern));
    expect(h.i32[(p >> 2) + 5]).toBe(0x7fabcdef);
    // The grown region is usable to its end.
    h.u8[big + 3 * 2 ** 20 - 1] = 201;
    expect(h.u8[big + 3 * 2 ** 20 - 1]).toBe(201);
  });

  it('grows by at least half its size at a time (few re-derivations of the views)', () => {
    const h = new WasmHeap(16);
    let grows = 0;
    let size = h.stats().memoryBytes;
    for (let i = 0; i < 64; i++) {
      h.alloc(64 * 1024);
      const s = h.stats();
      if (s.grows > grows) {
        expect(s.memoryBytes).toBeGreaterThanOrEqual(Math.floor(size * 1.5));
        grows = s.grows;
        size = s.memoryBytes;
      }
    }
    expect(grows).toBeGreaterThanOrEqual(2);
    expect(grows).toBeLessThanOrEqual(6);
  });

  it('beforeGrow runs before the memory would grow; a block it frees is used instead of growing', () => {
    const h = new WasmHeap(1);
    const blocks: number[] = [];
    // Fill the one page with 4 KiB blocks.
    while (h.stats().memoryBytes - 64 >= (blocks.length + 1) * 4096) blocks.push(h.alloc(4096));
    const calls: number[] = [];
    h.beforeGrow = (bytes) => {
      calls.push(bytes);
      h.release(blocks[0]!);
    };
    const p = h.alloc(4096);
    expect(calls).toEqual([4096]);
    expect(p).toBe(blocks[0]);
    expect(h.stats().grows).toBe(0);
    // A hook that frees nothing of the class: the memory grows.
    h.beforeGrow = (bytes) => calls.push(bytes);
    h.alloc(4096);
    expect(calls).toEqual([4096, 4096]);
    expect(h.stats().grows).toBe(1);
  });

  it('a size nobody freed is carved from merged neighbouring free blocks instead of growing the memory', () => {
    const h = new WasmHeap(64); // 4 MiB
    const a = Array.from({ length: 12 }, () => h.alloc(256 * 1024)); // 3 MiB of 256 KiB blocks
    const keep = h.alloc(64 * 1024);
    const f32 = h.f32;
    f32[keep >> 2] = 42;
    for (const p of a) h.release(p);
    const before = h.stats();
    // 1.5 MiB: no free block of its class (or of one up to twice it) exists, but six
    // neighbouring 256 KiB blocks do.
    const big = h.alloc(1536 * 1024);
    const after = h.stats();
    expect(after.memoryBytes).toBe(before.memoryBytes);
    expect(after.grows).toBe(before.grows);
    expect(after.coalesced).toBe(before.coalesced + 1);
    expect(a).toContain(big);
    expect(big % ALIGN).toBe(0);
    // What is left stays usable, nothing overlaps, and the kept block is untouched.
    const more = [h.alloc(1024 * 1024), h.alloc(256 * 1024), h.alloc(256 * 1024)];
    const spans = [[big, 1536 * 1024], [keep, 64 * 1024], ...more.map((p, i) => [p, i === 0 ? 1024 * 1024 : 256 * 1024])] as [number, number][];
    spans.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i - 1]![0] + spans[i - 1]![1]).toBeLessThanOrEqual(spans[i]![0]);
    expect(h.f32[keep >> 2]).toBe(42);
    expect(h.stats().grows).toBe(before.grows);
    // Blocks carved from spans are released and reused like any other.
    h.release(big);
    expect(() => h.release(big)).toThrow(BackendError);
  });

  it('freeing a block twice, or an address never allocated, throws a BackendError', () => {
    const h = new WasmHeap(1);
    const p = h.alloc(256);
    h.release(p);
    expect(() => h.release(p)).toThrow(BackendError);
    expect(() => h.release(p)).toThrow(/freed twice or never allocated/);
    expect(() => h.release(p + 64)).toThrow(/freed twice or never allocated/);
    // The failed releases did not corrupt the counts or the free list.
    expect(h.stats()).toMatchObject({ liveBytes: 0, freeBytes: 256 });
    expect(h.alloc(200)).toBe(p);
    expect(h.alloc(200)).not.toBe(p);
  });
});

describe('through the wasm backend', () => {
  let previous = '';
  beforeEach(() => {
    previous = getBackend().name;
    setBackend('wasm');
  });
  afterEach(() => setBackend(previous));

  it('the registered backend runs WebAssembly with synchronous collection on Node', () => {
    const info = wasm.info();
    expect(info['simd']).toBe(true);
    expect(info['syncCollection']).toBe(true);
    expect(tensor([1, 2]).device).toBe('wasm');
  });

  it('a disposed tensor (or a view of it) cannot be read or used: BackendError mentioning "disposed"', () => {
    const t = tensor(values(37, 1), { shape: [37] });
    const view = t.reshape([1, 37]);
    t.dispose();
    const uses: [string, () => unknown][] = [
      ['dataSync', () => t.dataSync()],
      ['toArray', () => t.toArray()],
      ['view', () => view.dataSync()],
      ['add', () => t.add(1)],
      ['exp', () => t.exp()],
      ['sum', () => t.sum()],
      ['matmul', () => view.matmul(tensor(values(37, 2), { shape: [37, 1] }))],
      ['gather', () => t.gather(0, tensor([0, 1], { dtype: 'int32' }))],
      ['contiguous', () => t.slice(0, 0, undefined, 2).contiguous()],
    ];
    for (const [what, use] of uses) {
      let err: unknown = null;
      try {
        use();
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(BackendError);
      expect((err as Error).message, what).toMatch(/disposed/);
    }
    // dispose is idempotent.
    expect(() => t.dispose()).not.toThrow();
  });

  it('dispose() returns the block at once: liveBytes goes back down, and the next tensor reuses it', () => {
    const n = 1000;
    const s0 = wasm.stats();
    const t = tensor(values(n, 3));
    const s1 = wasm.stats();
    expect(s1.liveBytes - s0.liveBytes).toBe(sizeClass(4 * n));
    t.dispose();
    const s2 = wasm.stats();
    expect(s2.liveBytes).toBe(s0.liveBytes);
    expect(s2.released).toBe(s0.released + 1);
    const u = tensor(values(n, 4));
    expect(wasm.stats().reused).toBe(s2.reused + 1);
    expect(wasm.stats().memoryBytes).toBe(s0.memoryBytes);
    u.dispose();
  });

  it('disposing the input of a not yet computed result is safe: the recorded op keeps what it reads', () => {
    const x = values(101, 5);
    const t = tensor(x);
    const u = t.mul(2).add(1); // recorded, not computed
    t.dispose();
    expect(() => t.dataSync()).toThrow(/disposed/);
    const got = u.dataSync();
    for (let i = 0; i < x.length; i++) expect(got[i]).toBe(Math.fround(Math.fround(x[i]! * 2) + 1));
    u.dispose();
  });

  it('collectGarbage() frees the blocks of tensors nobody references any more', () => {
    const count = 200;
    const n = 257;
    const s0 = wasm.stats();
    // Made and dropped in a function scope: unreachable once it returns.
    ((): void => {
      for (let i = 0; i < count; i++) {
        const t: Tensor = tensor(values(n, 100 + i));
        wasm.evaluate(t.exp()); // two blocks each: t and its result
      }
    })();
    const s1 = wasm.stats();
    expect(s1.liveBytes).toBeGreaterThanOrEqual(s0.liveBytes + 2 * count * sizeClass(4 * n) - 2 * sizeClass(4 * n) * 10);
    const freed = wasm.collectGarbage();
    const s2 = wasm.stats();
    // Every block of the loop (a handful may still be pinned by V8's registers is tolerated).
    expect(freed).toBeGreaterThanOrEqual(2 * count - 4);
    expect(s2.finalized - s1.finalized).toBe(freed);
    expect(s2.liveBytes).toBeLessThanOrEqual(s0.liveBytes + 4 * sizeClass(4 * n));
    // The freed memory is reused: the same work again does not grow the heap.
    ((): void => {
      for (let i = 0; i < count; i++) wasm.evaluate(tensor(values(n, 100 + i)).exp());
    })();
    expect(wasm.stats().memoryBytes).toBe(s2.memoryBytes);
    expect(wasm.stats().reused).toBeGreaterThanOrEqual(s2.reused + 2 * count - 4);
  });

  it('tensors that are still referenced survive collectGarbage() with their values', () => {
    const x = values(64, 9);
    const kept = tensor(x).mul(3);
    wasm.evaluate(kept);
    wasm.collectGarbage();
    const got = kept.dataSync();
    for (let i = 0; i < x.length; i++) expect(got[i]).toBe(Math.fround(x[i]! * 3));
  });
});

describe('a shared heap (worker threads)', () => {
  it('is a SharedArrayBuffer with a maximum, imported with the same limits, and its views follow growth', () => {
    const h = new WasmHeap(1, { shared: true });
    expect(h.shared).toBe(true);
    expect(h.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(h.importDescriptor).toEqual({ module: 'env', name: 'memory', initial: 1, maximum: h.maximumPages, shared: true });
    const p = h.alloc(4096);
    const before = h.f32;
    before[p >> 2] = 1.5;
    const big = h.alloc(3 * 2 ** 20);
    expect(h.stats().grows).toBeGreaterThanOrEqual(1);
    // A shared buffer is not detached by growth: the old view keeps its old length…
    expect(before.length).toBe(PAGE / 4);
    // …and a view taken now covers the grown memory, with the old contents.
    expect(h.f32.length).toBe(h.stats().memoryBytes / 4);
    expect(h.f32[p >> 2]).toBe(1.5);
    h.u8[big + 3 * 2 ** 20 - 1] = 7;
    expect(h.u8[big + 3 * 2 ** 20 - 1]).toBe(7);
  });
});
