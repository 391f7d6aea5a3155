/*
 * The page script of test/browser/threads.browser.ts (bundled by esbuild): reports
 * what tsgrad says about threads on the page's main thread, then starts the dedicated
 * Worker (threads-entry.ts) and publishes both reports as `window.__threads`.
 */
import { backendInfo, setNumThreads } from '@tsgrad/tensor';
import type { ThreadsReport } from './threads-entry.js';

export interface MainReport {
  crossOriginIsolated: boolean;
  backend: string;
  threads: number;
  threadsReason: string;
  threadsAfterSet2: number;
}

export interface PageReport {
  main: MainReport;
  worker?: ThreadsReport;
  error?: string;
}

interface PageWindow {
  crossOriginIsolated?: boolean;
  __threads?: PageReport;
  Worker: new (url: string) => {
    onmessage: ((e: { data: { report?: ThreadsReport; error?: string } }) => void) | null;
    onerror: ((e: { message?: string }) => void) | null;
  };
}

const win = globalThis as unknown as PageWindow;

function mainReport(): MainReport {
  const info = backendInfo();
  setNumThreads(2);
  const after = Number(backendInfo()['threads']);
  return {
    crossOriginIsolated: win.crossOriginIsolated === true,
    backend: String(info['backend']),
    threads: Number(info['threads']),
    threadsReason: String(info['threadsReason']),
    threadsAfterSet2: after,
  };
}

const main = mainReport();
const worker = new win.Worker('threads-entry.js');
worker.onmessage = (e) => {
  win.__threads = e.data.report ? { main, worker: e.data.report } : { main, error: e.data.error ?? 'no report' };
};
worker.onerror = (e) => {
  win.__threads = { main, error: `the Worker failed: ${e.message ?? 'unknown error'}` };
};
