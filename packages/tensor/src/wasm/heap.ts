import { BackendError } from '../errors.js';
import type { WasmMemory } from './wasm-types.js';

/*
 * One growable WebAssembly.Memory holds every tensor of the WebAssembly backend and
 * every kernel's scratch space. Blocks come in size classes (four per doubling, so
 * at most 25 % is wasted) and a freed block goes back to its class's free list, to be
 * handed out again before the heap grows: a training step that frees what the
 * previous one allocated runs on memory that is already mapped and in cache, instead
 * of page-faulting fresh allocations. Memory never shrinks (WebAssembly cannot), and
 * typed-array views are re-derived whenever the memory has grown.
 */

const PAGE = 65536;
/** Alignment of every block: a cache line, so SIMD loads never straddle two. */
export const ALIGN = 64;

/** The size class of a request: a multiple of ALIGN, then 4 steps per power of two. */
export function sizeClass(bytes: number): number {
  if (bytes <= 1024) return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  const p = 2 ** Math.floor(Math.log2(bytes));
  const step = p / 4;
  return Math.ceil(bytes / step) * step;
}

export interface HeapStats {
  /** Bytes in blocks handed out and not yet freed. */
  liveBytes: number;
  liveBlocks: number;
  /** Bytes of freed blocks waiting for reuse. */
  freeBytes: number;
  /** Size of the WebAssembly.Memory. */
  memoryBytes: number;
  /** Allocations served from a free list (no new memory). */
  reused: number;
  /** Allocations that took new memory from the top of the heap. */
  fresh: number;
  /** Times the memory grew. */
  grows: number;
  /** Times free blocks were merged with their neighbours (instead of growing). */
  coalesced: number;
}

export class WasmHeap {
  /** The heap's WebAssembly.Memory (typed so the published .d.ts needs no DOM lib: wasm-types.ts). */
  readonly memory: WasmMemory;
  private top = ALIGN; // address 0 stays unused: a null pointer is never a valid block
  private readonly free = new Map<number, number[]>();
  private readonly blockClass = new Map<number, number>();
  /** Coalesced free memory of any size (address order), carved first-fit. */
  private spans: { ptr: number; size: number }[] = [];
  private buffer: ArrayBuffer | SharedArrayBuffer;
  private views: { f32: Float32Array; i32: Int32Array; u8: Uint8Array; f64: Float64Array } | null = null;
  private counters = { liveBytes: 0, freeBytes: 0, reused: 0, fresh: 0, grows: 0, coalesced: 0 };

  /**
   * Called before the memory grows: a chance to free unreachable blocks (run pending
   * finalizers) so the allocation is served from a free list instead.
   */
  beforeGrow: ((bytes: number) => void) | null = null;

  /** Whether the memory is shared (a SharedArrayBuffer that worker threads see too). */
  readonly shared: boolean;
  /** The shared memory's maximum in pages (it cannot grow past it; unset for an unshared memory). */
  readonly maximumPages: number | undefined;

  /**
   * `shared`: a shared memory (worker threads run kernels on it). A shared memory
   * needs a maximum; growing it does not detach the buffer, but views keep their old
   * length, so they are re-derived after growth exactly as for an unshared one.
   */
  constructor(initialPages = 256, opts: { shared?: boolean; maximumPages?: number } = {}) {
    this.shared = opts.shared ?? false;
    if (this.shared) {
      let memory: WebAssembly.Memory | null = null;
      // 4 GiB (the wasm32 limit) where the engine allows it, else 2 GiB.
      for (const max of opts.maximumPages !== undefined ? [opts.maximumPages] : [65536, 32768]) {
        try {
          memory = new WebAssembly.Memory({ initial: initialPages, maximum: max, shared: true } as WebAssembly.MemoryDescriptor);
          this.maximumPages = max;
          break;
        } catch (e) {
          if (max === 32768 || opts.maximumPages !== undefined) {
            throw new BackendError(`wasm backend: cannot create a shared WebAssembly.Memory: ${(e as Error).message}`);
          }
        }
      }
      this.memory = memory!;
    } else {
      this.memory = new WebAssembly.Memory({ initial: initialPages });
    }
    this.buffer = this.memory.buffer;
  }

  /** The memory as the kernel modules import it (a shared one with its exact limits). */
  get importDescriptor(): { module: string; name: string; initial: number; maximum?: number; shared?: boolean } {
    if (this.shared) return { module: 'env', name: 'memory', initial: 1, maximum: this.maximumPages!, shared: true };
    return { module: 'env', name: 'memory', initial: 1 };
  }

  /** Allocates a block of at least `bytes` (aligned to ALIGN); returns its address. */
  alloc(bytes: number): number {
    const want = sizeClass(bytes);
    let [ptr, cls] = this.takeFree(want);
    if (ptr === undefined && this.top + want > this.memory.buffer.byteLength) {
      // The memory would have to grow: free what unreachable tensors hold, then, if
      // enough is free in blocks of other sizes, merge neighbouring free blocks.
      this.beforeGrow?.(want);
      [ptr, cls] = this.takeFree(want);
      if (ptr === undefined && this.counters.freeBytes >= want) {
        this.coalesce();
        [ptr, cls] = this.takeFree(want);
      }
    }
    if (ptr !== undefined) {
      this.counters.reused++;
      this.counters.freeBytes -= cls;
    } else {
      ptr = this.top;
      const end = ptr + cls;
      if (end > this.memory.buffer.byteLength) this.grow(end);
      this.top = end;
      this.counters.fresh++;
    }
    this.blockClass.set(ptr, -cls); // negative: live
    this.counters.liveBytes += cls;
    return ptr;
  }

  /**
   * A free block of class `cls`, or of one of the next classes up to twice its size
   * (the block keeps its own class): a workload whose shapes change would otherwise
   * leave free blocks of sizes nobody asks for again and grow the memory — fresh
   * memory page-faults on first touch, inside the kernels that write it.
   */
  private takeFree(cls: number): [number | undefined, number] {
    let c = cls;
    for (let k = 0; k <= 4; k++, c = sizeClass(c + 1)) {
      const ptr = this.free.get(c)?.pop();
      if (ptr !== undefined) return [ptr, c];
    }
    for (let i = 0; i < this.spans.length; i++) {
      const s = this.spans[i]!;
      if (s.size < cls) continue;
      const ptr = s.ptr;
      s.ptr += cls;
      s.size -= cls;
      if (s.size === 0) this.spans.splice(i, 1);
      return [ptr, cls];
    }
    return [undefined, cls];
  }

  /**
   * Merges every free block with its free neighbours into spans (and gives a span
   * that ends at the top back to it), so a workload whose sizes changed reuses the
   * memory the old sizes left behind instead of growing it. Runs only when the memory
   * would otherwise grow.
   */
  private coalesce(): void {
    const blocks = [...this.spans];
    for (const [cls, list] of this.free) {
      for (const ptr of list) {
        blocks.push({ ptr, size: cls });
        this.blockClass.delete(ptr);
      }
    }
    this.free.clear();
    blocks.sort((a, b) => a.ptr - b.ptr);
    const merged: { ptr: number; size: number }[] = [];
    for (const b of blocks) {
      const last = merged[merged.length - 1];
      if (last && last.ptr + last.size === b.ptr) last.size += b.size;
      else merged.push({ ...b });
    }
    const tail = merged[merged.length - 1];
    if (tail && tail.ptr + tail.size === this.top) {
      this.top = tail.ptr;
      this.counters.freeBytes -= tail.size;
      merged.pop();
    }
    this.spans = merged;
    this.counters.coalesced++;
  }

  /** Returns a block to its free list. Freeing an address twice is an error. */
  release(ptr: number): void {
    const c = this.blockClass.get(ptr);
    if (c === undefined || c > 0) {
      throw new BackendError(`wasm backend: internal error, block ${ptr} freed twice or never allocated`);
    }
    const cls = -c;
    this.blockClass.set(ptr, cls);
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(ptr);
    this.counters.liveBytes -= cls;
    this.counters.freeBytes += cls;
  }

  /** Whether `ptr` is a live block (for assertions). */
  isLive(ptr: number): boolean {
    const c = this.blockClass.get(ptr);
    return c !== undefined && c < 0;
  }

  private grow(end: number): void {
    const have = this.memory.buffer.byteLength;
    // Grow by at least half the current size: few grows, each one re-deriving the views.
    const want = Math.max(end, have + (have >> 1));
    const pages = Math.ceil((want - have) / PAGE);
    try {
      this.memory.grow(pages);
    } catch {
      throw new BackendError(
        `wasm backend: out of memory growing the WebAssembly heap from ${have} to ${have + pages * PAGE} bytes ` +
          `(${this.counters.liveBytes} bytes live); dispose() tensors you no longer need`,
      );
    }
    this.counters.grows++;
  }

  private current() {
    if (this.views === null || this.buffer !== this.memory.buffer) {
      this.buffer = this.memory.buffer;
      const b = this.buffer;
      this.views = { f32: new Float32Array(b), i32: new Int32Array(b), u8: new Uint8Array(b), f64: new Float64Array(b) };
    }
    return this.views;
  }

  /** Views of the whole memory, valid until the next allocation (which may grow it). */
  get f32(): Float32Array {
    return this.current().f32;
  }
  get i32(): Int32Array {
    return this.current().i32;
  }
  get u8(): Uint8Array {
    return this.current().u8;
  }
  get f64(): Float64Array {
    return this.current().f64;
  }

  stats(): HeapStats {
    return {
      liveBytes: this.counters.liveBytes,
      liveBlocks: [...this.blockClass.values()].filter((c) => c < 0).length,
      freeBytes: this.counters.freeBytes,
      memoryBytes: this.memory.buffer.byteLength,
      reused: this.counters.reused,
      fresh: this.counters.fresh,
      grows: this.counters.grows,
      coalesced: this.counters.coalesced,
    };
  }
}
