import { describe, expect, it } from 'vitest';
import { BROWSER_WORKER_REASON, browserThreadSupport, MAIN_THREAD_REASON, NOT_ISOLATED_REASON, threadSupport, type BrowserGlobals } from './config.js';
import { browserWorkerSource, workerSource } from './worker-source.js';

/*
 * Where a browser gets threads, decided from its globals (faked here; the real browser
 * contexts are checked in Chromium by test/browser/threads.browser.ts), and the two
 * worker sources: both parse, and the browser one reaches no Node API.
 */

class Scope {}
/** The globals of a dedicated Worker of a cross-origin-isolated page with 8 cores. */
const isolatedWorker: BrowserGlobals = {
  navigator: { hardwareConcurrency: 8 },
  crossOriginIsolated: true,
  WorkerGlobalScope: Scope,
  DedicatedWorkerGlobalScope: Scope,
  SharedArrayBuffer,
  Worker: class {},
  Blob: class {},
  URL: { createObjectURL: () => 'blob:x' },
};

describe('browserThreadSupport', () => {
  it('a dedicated Worker of a cross-origin-isolated page has threads: one per reported core', () => {
    expect(browserThreadSupport(isolatedWorker, true)).toEqual({
      available: true, cores: 8, platform: 'browser-worker',
      reason: BROWSER_WORKER_REASON,
    });
    const { navigator: _, ...noCount } = isolatedWorker;
    expect(browserThreadSupport(noCount, true)).toMatchObject({ available: true, cores: 1 });
  });

  it('the main thread may not block: one thread, isolated or not', () => {
    const main = { ...isolatedWorker, WorkerGlobalScope: undefined, DedicatedWorkerGlobalScope: undefined, document: {} };
    expect(browserThreadSupport(main, true)).toEqual({ available: false, cores: 8, platform: 'none', reason: MAIN_THREAD_REASON });
    expect(browserThreadSupport({ ...main, crossOriginIsolated: false }, false).reason).toBe(MAIN_THREAD_REASON);
  });

  it('each missing piece gives one thread and names itself', () => {
    const cases: [string, BrowserGlobals, boolean, string][] = [
      ['shared or service worker', { ...isolatedWorker, DedicatedWorkerGlobalScope: undefined }, true,
        'threads need a dedicated Worker (this is a shared or service worker)'],
      ['not isolated', { ...isolatedWorker, crossOriginIsolated: false }, true, NOT_ISOLATED_REASON],
      ['no SharedArrayBuffer', { ...isolatedWorker, SharedArrayBuffer: undefined }, true, NOT_ISOLATED_REASON],
      ['no shared memory', isolatedWorker, false, 'no shared WebAssembly.Memory in this engine'],
      ['no nested Workers', { ...isolatedWorker, Worker: undefined }, true, 'this engine cannot start Workers from a Worker'],
      ['no Blob URLs', { ...isolatedWorker, URL: {} }, true, 'this engine cannot start Workers from a Worker'],
    ];
    for (const [name, g, shared, reason] of cases) {
      expect(browserThreadSupport(g, shared), name).toEqual({ available: false, cores: 8, platform: 'none', reason });
    }
    expect(NOT_ISOLATED_REASON).toMatch(/Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/);
  });

  it('Node: worker_threads, not the browser rules', () => {
    expect(threadSupport()).toMatchObject({ available: true, platform: 'node', reason: 'Node worker_threads' });
  });
});

describe('worker sources', () => {
  it('both parse as scripts', () => {
    for (const src of [workerSource(), browserWorkerSource()]) {
      expect(() => new Function(src)).not.toThrow();
    }
  });

  it('the browser worker reaches no Node API and idles where its event loop runs', () => {
    const src = browserWorkerSource();
    expect(src).not.toMatch(/require\(|process\.|worker_threads|receiveMessageOnPort/);
    expect(src).toMatch(/Atomics\.waitAsync/);
    expect(src).toMatch(/self\.onmessage/);
  });
});
