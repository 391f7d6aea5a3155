/*
 * Keeping V8's hidden classes of short-lived objects alive.
 *
 * Optimised code refers weakly to the hidden classes ("maps") it was specialised on, and
 * a full garbage collection deoptimises every function whose maps died ("weak objects").
 * The map of a class instance is reached through transitions (one per field) that are
 * themselves weak, so when every instance of a class dies between uses — every fusion
 * Plan does, and the reference backend's storages used for constant folding — its maps
 * die at the next full collection. The WebAssembly backend forces one under memory
 * pressure (a loop that does not dispose its tensors: every few dozen steps), and each
 * time ~30 hot functions were deoptimised and recompiled: measured with
 * `node --trace-deopt`, 175 such deopts in 1,500 MLP training steps, the
 * recompilation competing with the worker threads for the cores (2-thread step 2.3 ms
 * instead of 1.6 ms). One instance of each such class, kept for the life of the
 * process, keeps its maps — and the code specialised on them — alive.
 */

const pinned: object[] = [];

/** Keeps `obj` (a representative instance of a short-lived class) alive for the life of the process; returns it. */
export function pinShape<T extends object>(obj: T): T {
  pinned.push(obj);
  return obj;
}
