/*
 * Threads for the WebAssembly backend: the public controls. See ./config.ts (how many
 * and why), ./pool.ts (the workers and the control block), ./launch.ts and
 * ./worker-source.ts (starting Node worker_threads or browser Web Workers, and their
 * code), ./split.ts (how kernels are cut into tasks by their shape).
 */
export { setNumThreads, getNumThreads, threadSupport, type ThreadSupport } from './config.js';
export { terminateThreads } from './pool.js';
