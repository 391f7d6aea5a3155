/**
 * A bounded least-recently-used cache of compiled kernels. Kernels are compiled per
 * (op, shapes, strides, mode), so a program with changing shapes would otherwise
 * grow without bound. An evicted kernel is destroyed (its GL program and output
 * texture freed) once no live tensor holds an output it produced: in GL modes an
 * output texture is read through, and freed with, the kernel that rendered it.
 */
export class CacheEntry<K> {
  /** Live device arrays this kernel produced. */
  live = 0;
  retired = false;
  destroyed = false;
  constructor(readonly key: string, readonly kernel: K, readonly bytes: number) {}
}

export class KernelCache<K> {
  private readonly map = new Map<string, CacheEntry<K>>();
  private cachedBytes = 0;
  compiled = 0;
  evicted = 0;
  destroyedCount = 0;
  /** Evicted kernels waiting for their last output to be released. */
  pending = 0;

  /**
   * @param limit most kernels kept
   * @param byteLimit most output bytes pinned by kept kernels (each GL kernel keeps one output texture)
   */
  constructor(public limit: number, public byteLimit: number, private readonly destroyKernel: (kernel: K) => void) {
    if (!(limit >= 1)) throw new Error(`KernelCache: limit expected >= 1, got ${limit}`);
  }

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.cachedBytes;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  get(key: string, build: () => K, bytes: number): CacheEntry<K> {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      // Map iteration order is insertion order: re-inserting marks it most recent.
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const e = new CacheEntry(key, build(), bytes);
    this.compiled++;
    this.map.set(key, e);
    this.cachedBytes += bytes;
    this.trim(e);
    return e;
  }

  /** An output of `e` was released; destroys a retired kernel with no outputs left. */
  released(e: CacheEntry<K>): void {
    e.live--;
    if (e.retired && e.live <= 0 && !e.destroyed) {
      this.pending--;
      this.destroy(e);
    }
  }

  resize(limit: number, byteLimit = this.byteLimit): void {
    if (!(limit >= 1)) throw new Error(`KernelCache: limit expected >= 1, got ${limit}`);
    this.limit = limit;
    this.byteLimit = byteLimit;
    this.trim(null);
  }

  clear(): void {
    for (const e of [...this.map.values()]) this.retire(e);
  }

  resetCounters(): void {
    this.compiled = 0;
    this.evicted = 0;
    this.destroyedCount = 0;
  }

  private trim(keep: CacheEntry<K> | null): void {
    for (const e of [...this.map.values()]) {
      if (this.map.size <= this.limit && this.cachedBytes <= this.byteLimit) break;
      if (e === keep) continue;
      this.retire(e);
    }
  }

  private retire(e: CacheEntry<K>): void {
    this.map.delete(e.key);
    this.cachedBytes -= e.bytes;
    e.retired = true;
    this.evicted++;
    if (e.live <= 0) this.destroy(e);
    else this.pending++;
  }

  private destroy(e: CacheEntry<K>): void {
    if (e.destroyed) return;
    e.destroyed = true;
    this.destroyedCount++;
    this.destroyKernel(e.kernel);
  }
}
