/**
 * Wall-clock sampling with warm-up. Each sample is one call, timed with
 * `performance.now()`; we report the median, which shrugs off GC pauses and the
 * noise of a shared machine better than the mean.
 */

export interface TimingOptions {
  /** Untimed calls first (JIT tiers, kernel caches, allocator warm-up). */
  warmupRuns: number;
  /** Keep warming up until this much time has passed, too. */
  warmupMs: number;
  /** At least this many timed samples… */
  minSamples: number;
  /** …and keep sampling until this much time has been spent… */
  minTimeMs: number;
  /** …but never more than this many samples, or past this much time. */
  maxSamples: number;
  maxTimeMs: number;
}

export const FULL: TimingOptions = {
  warmupRuns: 3, warmupMs: 150, minSamples: 15, minTimeMs: 600, maxSamples: 300, maxTimeMs: 4000,
};

/** CI smoke: enough to prove every path runs, not to measure. */
export const QUICK: TimingOptions = {
  warmupRuns: 1, warmupMs: 0, minSamples: 3, minTimeMs: 0, maxSamples: 3, maxTimeMs: 1500,
};

export interface Stats {
  median: number;
  min: number;
  mean: number;
  p25: number;
  p75: number;
  samples: number;
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarise(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    min: sorted[0]!,
    mean: sorted.reduce((s, x) => s + x, 0) / sorted.length,
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    samples: sorted.length,
  };
}

/**
 * Times `fn`. A synchronous `fn` is never awaited, so it pays no microtask cost;
 * an asynchronous one (jax-js without readback, a future GPU backend) is awaited
 * inside the timed region.
 */
export async function measure(fn: () => unknown, opts: TimingOptions): Promise<Stats> {
  const warmStart = performance.now();
  for (let i = 0; i < opts.warmupRuns || performance.now() - warmStart < opts.warmupMs; i++) {
    const r = fn();
    if (r instanceof Promise) await r;
  }
  const samples: number[] = [];
  const start = performance.now();
  for (;;) {
    const t0 = performance.now();
    const r = fn();
    if (r instanceof Promise) await r;
    samples.push(performance.now() - t0);
    const spent = performance.now() - start;
    if (samples.length >= opts.maxSamples || spent >= opts.maxTimeMs) break;
    if (samples.length >= opts.minSamples && spent >= opts.minTimeMs) break;
  }
  return summarise(samples);
}
