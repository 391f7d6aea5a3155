import type { DeviceArray, GpuTexture } from './gpujs.js';
import { syncCollector, type SyncCollector } from '@tsgrad/tensor';

/*
 * Device memory accounting and release. A storage's device array lives in a `Cell`
 * (so in-place writes can swap it); the cell is what a FinalizationRegistry holds,
 * never the storage, so a storage that becomes garbage frees its texture.
 *
 * The catch: finalization callbacks run as tasks, so a synchronous training loop
 * never sees them and GL textures (memory outside the JS heap) pile up. Under
 * memory pressure the tracker therefore forces a collection and runs the pending
 * callbacks synchronously — V8's `gc` and `FinalizationRegistry#cleanupSome`, made
 * available in a fresh vm context (Node only). Where that is not possible the
 * asynchronous callbacks and explicit `dispose()` remain.
 */

export interface Cell {
  /** Whether the storage holds device memory now. */
  live: boolean;
  /**
   * The GL texture to delete on release (null in webasm mode: a Float32Array is the
   * garbage collector's, and holding it here would keep it alive until finalization).
   */
  texture: GpuTexture | null;
  bytes: number;
  /** Called once the array is freed (the kernel that produced it may be destroyed then). */
  onRelease: (() => void) | null;
}

export function isTexture(a: DeviceArray): a is GpuTexture {
  return !(a instanceof Float32Array);
}

/** Bytes a device array holds (a GL texture: 4 floats of 4 bytes per texel). */
export function deviceBytes(a: DeviceArray): number {
  if (a instanceof Float32Array) return a.byteLength;
  return a.size[0]! * a.size[1]! * 16;
}

export interface MemoryStats {
  /** Device arrays alive now (textures in GL modes, Float32Arrays in webasm). */
  liveArrays: number;
  liveBytes: number;
  /** Peak of liveBytes since the last resetStats(). */
  peakBytes: number;
  /** Arrays released by dispose() / in-place replacement. */
  released: number;
  /** Arrays released because their storage was garbage-collected. */
  finalized: number;
  /** Forced collections run under memory pressure. */
  pressureCollections: number;
}

export class MemoryTracker {
  liveArrays = 0;
  liveBytes = 0;
  peakBytes = 0;
  released = 0;
  finalized = 0;
  pressureCollections = 0;
  private bytesAtCollect = 0;
  private arraysAtCollect = 0;
  private readonly registry: FinalizationRegistry<Cell>;
  private readonly sync: SyncCollector | null;

  /**
   * @param pressureBytes forced-collection threshold: live bytes grown by this much
   *   since the last collection (0 disables).
   * @param pressureArrays the same in live arrays (each GL texture has a fixed cost too).
   */
  constructor(public pressureBytes: number, public pressureArrays: number) {
    this.sync = syncCollector();
    const Registry = this.sync?.Registry ?? FinalizationRegistry;
    this.registry = new Registry((cell: Cell) => this.release(cell, true));
  }

  /** Whether synchronous collection under pressure is available. */
  get syncCollection(): boolean {
    return this.sync !== null;
  }

  track(owner: object, cell: Cell): void {
    this.registry.register(owner, cell, cell);
  }

  /** Accounts for a new device array placed in a cell. */
  added(cell: Cell): void {
    this.liveArrays++;
    this.liveBytes += cell.bytes;
    if (this.liveBytes > this.peakBytes) this.peakBytes = this.liveBytes;
  }

  /** Frees the cell's array (idempotent). */
  release(cell: Cell, byFinalizer = false): void {
    if (!cell.live) return;
    cell.live = false;
    const a = cell.texture;
    cell.texture = null;
    this.liveArrays--;
    this.liveBytes -= cell.bytes;
    if (byFinalizer) this.finalized++;
    else this.released++;
    if (a) a.delete();
    const done = cell.onRelease;
    cell.onRelease = null;
    done?.();
  }

  untrack(cell: Cell): void {
    this.registry.unregister(cell);
  }

  /** Forces a collection when live memory grew past the pressure threshold. */
  maybeCollect(): void {
    if (!this.sync || this.pressureBytes <= 0) return;
    if (this.liveBytes - this.bytesAtCollect < this.pressureBytes && this.liveArrays - this.arraysAtCollect < this.pressureArrays) return;
    this.collect();
  }

  /** Runs a full GC and the pending finalizers now; returns how many arrays were freed. */
  collect(): number {
    const before = this.finalized;
    if (this.sync) {
      this.sync.gc();
      (this.registry as unknown as { cleanupSome(): void }).cleanupSome();
      this.pressureCollections++;
    }
    this.bytesAtCollect = this.liveBytes;
    this.arraysAtCollect = this.liveArrays;
    return this.finalized - before;
  }

  resetPeak(): void {
    this.peakBytes = this.liveBytes;
  }

  stats(): MemoryStats {
    return {
      liveArrays: this.liveArrays, liveBytes: this.liveBytes, peakBytes: this.peakBytes,
      released: this.released, finalized: this.finalized, pressureCollections: this.pressureCollections,
    };
  }
}
