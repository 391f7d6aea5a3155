import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { BROWSER_WORKER_REASON, MAIN_THREAD_REASON, NOT_ISOLATED_REASON } from '../../packages/tensor/src/wasm/threads/config.js';
import type { PageReport } from './threads-page.js';
import type { RunReport } from './threads-entry.js';
import { CHROMIUM, chromiumMissing } from './chromium.js';

/*
 * The WebAssembly backend's thread pool in headless Chromium. A small page is served
 * from node:http: under /isolated/ with Cross-Origin-Opener-Policy: same-origin
 * and Cross-Origin-Embedder-Policy: require-corp (so the page is crossOriginIsolated and
 * has SharedArrayBuffer), under /plain/ without them. The page reports what tsgrad says
 * on its main thread and starts a dedicated Worker running test/browser/threads-entry.ts
 * (bundled with esbuild, importing @tsgrad/tensor), which checks the pool and reports:
 * - isolated Worker: threads available ('browser-worker'), 2 after setNumThreads(2);
 *   matmul 512³, add/exp over 2¹⁸, sum/logSumExp over 1024², 5 SGD steps of an MLP
 *   bit-identical with 1 and 2 threads, with workers idling in Atomics.waitAsync and in
 *   the fallback for engines without it; the workers ran tasks; a worker that throws, or
 *   dies in a task without reporting, is a BackendError and later jobs still work;
 * - main thread (both pages) and the Worker of the plain page: one thread, and why;
 * - under /csp/ (isolated, but the Worker's Content-Security-Policy forbids blob:
 *   workers): a BackendError naming the cause, and setNumThreads(1) still works.
 */

const root = resolve(import.meta.dirname, '../..');

let server: Server | null = null;
let base = '';
let browser: Browser | null = null;

async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [join(import.meta.dirname, entry)],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    tsconfig: join(root, 'tsconfig.json'),
    // Bundled from sources, backend registration (a side effect) must not be dropped.
    ignoreAnnotations: true,
    logLevel: 'error',
  });
  return result.outputFiles[0]!.text;
}

const PAGE = '<!doctype html><meta charset="utf-8"><title>tsgrad threads</title><script src="threads-page.js"></script>';

async function startServer(): Promise<void> {
  const files: Record<string, { body: string; type: string }> = {
    '/': { body: PAGE, type: 'text/html; charset=utf-8' },
    '/threads-page.js': { body: await bundle('threads-page.ts'), type: 'text/javascript; charset=utf-8' },
    '/threads-entry.js': { body: await bundle('threads-entry.ts'), type: 'text/javascript; charset=utf-8' },
  };
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const m = /^\/(isolated|plain|csp)(\/.*)$/.exec(path);
    const file = m ? files[m[2]!] : undefined;
    if (!m || !file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const headers: Record<string, string> = { 'content-type': file.type, 'cache-control': 'no-store' };
    if (m[1] !== 'plain') {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    // The Worker may not start workers from blob: URLs (what the pool does).
    if (m[1] === 'csp') headers['content-security-policy'] = "worker-src 'self'";
    res.writeHead(200, headers).end(file.body);
  });
  await new Promise<void>((ok, fail) => {
    server!.once('error', fail);
    server!.listen(0, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}

async function load(variant: 'isolated' | 'plain' | 'csp'): Promise<PageReport> {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  try {
    await page.goto(`${base}/${variant}/`);
    await page.waitForFunction('window.__threads !== undefined', undefined, { timeout: 90_000 });
    const report = (await page.evaluate('window.__threads')) as PageReport;
    expect(errors, `${variant} page: errors`).toEqual([]);
    return report;
  } finally {
    await page.close();
  }
}

describe.skipIf(chromiumMissing() !== null)(`the WebAssembly thread pool in headless Chromium (${CHROMIUM})`, () => {
  let isolated: PageReport;
  let plain: PageReport;
  let csp: PageReport;

  beforeAll(async () => {
    await startServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    isolated = await load('isolated');
    plain = await load('plain');
    csp = await load('csp');
    console.log(`[browser threads] CSP page: ${JSON.stringify(csp)}`);
    console.log(`[browser threads] isolated page: ${JSON.stringify(isolated.main)}; worker: ${JSON.stringify({ ...isolated.worker, waitAsyncRun: undefined, fallbackRun: undefined })}; ` +
      `tasks run by the worker: ${isolated.worker?.waitAsyncRun?.workerTasks} (waitAsync), ${isolated.worker?.fallbackRun?.workerTasks} (fallback)`);
    console.log(`[browser threads] plain page: ${JSON.stringify(plain)}`);
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('in a Worker of a cross-origin-isolated page: the wasm backend with threads, 2 after setNumThreads(2)', () => {
    expect(isolated.error).toBeUndefined();
    const w = isolated.worker!;
    expect(w.crossOriginIsolated).toBe(true);
    expect(w.backend).toBe('wasm');
    expect(w.platform).toBe('browser-worker');
    // Headless Chromium here reports the machine's cores (navigator.hardwareConcurrency).
    expect(w.threads).toBeGreaterThanOrEqual(1);
    expect(w.threadsReason).toBe(`default: ${w.threads} available core${w.threads === 1 ? '' : 's'} (${BROWSER_WORKER_REASON})`);
    expect(w.threadsAfterSet2).toBe(2);
    expect(w.reasonAfterSet2).toBe(`setNumThreads(2) (${BROWSER_WORKER_REASON})`);
    // The worker booted once the calling Worker let its event loop run.
    expect(w.workersAlive).toBe(1);
  });

  function expectIdentical(run: RunReport | undefined, label: string): void {
    expect(run, label).toBeDefined();
    expect(run!.cases.map((c) => c.name), label).toHaveLength(4);
    for (const c of run!.cases) {
      expect(c.lengths.every((n) => n > 0), `${label}, ${c.name}: outputs`).toBe(true);
      // Two runs with 2 threads, each compared with the 1-thread run.
      expect(c.firstDiff, `${label}, ${c.name}: first differing element of each output`).toEqual(new Array(2 * c.outputs).fill(-1));
    }
    expect(run!.cases[0]!.lengths, label).toEqual([512 * 512]);
    expect(run!.cases[1]!.lengths, label).toEqual([1 << 18, 1 << 18, 1 << 18]);
    expect(run!.parallelJobs, `${label}: parallel jobs`).toBeGreaterThan(0);
    expect(run!.workerTasks, `${label}: tasks run by the worker`).toBeGreaterThan(0);
  }

  it('matmul 512³, add/exp over 2¹⁸, sum/logSumExp over 1024², 5 MLP SGD steps: bit-identical with 1 and 2 threads, and the worker ran tasks', () => {
    const w = isolated.worker!;
    // Chromium has Atomics.waitAsync: idle workers wait with it.
    expect(w.waitAsync).toBe(true);
    expectIdentical(w.waitAsyncRun, 'workers idle in Atomics.waitAsync');
  });

  it('the heap grows while the worker runs: it reads and writes the memory added', () => {
    expect(isolated.worker!.growth).toEqual({ grew: true, workerTasksGrew: true, firstDiff: [-1, -1, -1] });
  });

  it('the same with workers idling as in an engine without Atomics.waitAsync (blocking slices and yields)', () => {
    const w = isolated.worker!;
    expect(w.fallbackReady).toBe(true);
    expectIdentical(w.fallbackRun, 'workers idle in Atomics.wait slices');
    // After idling longer than a slice, a new kernel still reaches the worker, which runs tasks of it.
    expect(w.fallbackAfterIdle).toEqual({ firstDiff: [-1], workerTasksGrew: true });
  });

  it('a worker that throws becomes a BackendError, and later jobs work on a fresh pool', () => {
    const w = isolated.worker!;
    expect(w.crash!.isBackendError).toBe(true);
    expect(w.crash!.message).toMatch(/worker 1: test hook: a worker throws/);
    expect(w.crash!.workersAfter).toBe(0);
    expect(w.afterCrash).toEqual({ firstDiff: [-1], workerTasksGrew: true });
  });

  it('a worker that dies in a task without reporting becomes a BackendError after the stall timeout, never a hang', () => {
    const w = isolated.worker!;
    expect(w.exit!.isBackendError).toBe(true);
    expect(w.exit!.message).toMatch(/no task finished for 1000 ms \(a worker died without reporting\)/);
    expect(w.exit!.ms).toBeGreaterThanOrEqual(1000);
    expect(w.exit!.ms).toBeLessThan(10_000);
    expect(w.exit!.workersAfter).toBe(0);
    expect(w.afterExit).toEqual({ firstDiff: [-1], workerTasksGrew: true });
  });

  it('a Worker whose Content-Security-Policy forbids blob: workers: a BackendError that says so, and setNumThreads(1) works', () => {
    expect(csp.error).toBeUndefined();
    const r = csp.worker!.csp!;
    expect(r.ready).toBe(false);
    // The first kernel runs while the worker loads (the caller takes every task); the
    // failure is seen once this Worker's event loop ran, and the next kernel reports it.
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^BackendError: wasm backend: a worker thread failed outside any task \(worker 1: could not load or start \(does a Content-Security-Policy forbid blob: workers\?/);
    expect(r.errors[0]).toMatch(/setNumThreads\(1\) runs every kernel on the calling thread/);
    expect(r.afterSet1).toEqual([-1]);
  });

  it('the main thread (isolated or not) and a Worker of a page without COOP/COEP run one thread and say why', () => {
    for (const [name, r] of [['isolated', isolated], ['plain', plain]] as const) {
      expect(r.main.backend, `${name} main`).toBe('wasm');
      expect(r.main.threads, `${name} main`).toBe(1);
      expect(r.main.threadsAfterSet2, `${name} main`).toBe(1);
      expect(r.main.threadsReason, `${name} main`).toBe(MAIN_THREAD_REASON);
    }
    expect(isolated.main.crossOriginIsolated).toBe(true);
    expect(plain.main.crossOriginIsolated).toBe(false);
    expect(plain.error).toBeUndefined();
    const w = plain.worker!;
    expect(w.crossOriginIsolated).toBe(false);
    expect(w.backend).toBe('wasm');
    expect(w.platform).toBe('none');
    expect(w.threads).toBe(1);
    expect(w.threadsAfterSet2).toBe(1);
    expect(w.threadsReason).toBe(NOT_ISOLATED_REASON);
  });
});

const missing = chromiumMissing();
if (missing !== null) {
  describe('the WebAssembly thread pool in headless Chromium', () => {
    // CI sets TSGRAD_BROWSER_REQUIRED=1: there a missing browser is a failure, not a skip.
    if (process.env['TSGRAD_BROWSER_REQUIRED'] === '1') {
      it('needs Chromium (TSGRAD_BROWSER_REQUIRED=1)', () => {
        throw new Error(missing);
      });
    } else {
      it.skip(`NOT RUN — ${missing}`, () => {});
    }
  });
}
