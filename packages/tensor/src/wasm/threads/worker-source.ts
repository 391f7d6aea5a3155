import { ARG, FUNCS, LAYOUT, MAX_ARGS, RING, S, STATUS, W } from './protocol.js';

/*
 * The body of every worker, as source text, so that it runs the same from TypeScript
 * sources (tsx, vitest) and from built or bundled JavaScript, with no loader and no
 * imports of ours. Node starts it with `new Worker(text, { eval: true })`; a browser
 * with `new Worker(URL.createObjectURL(new Blob([text])))`. Both share the task loop
 * (`core`): the job queue, tickets, argument patching, and failure reporting — every
 * task runs in try/catch and a failure is written to the control block, because the
 * calling thread may be blocked in Atomics.wait and would never see an 'error' event.
 *
 * A worker follows the queue (./protocol.ts): it works on job FINISHED while jobs are
 * published, takes that job's tasks until none is left, waits until the job has
 * finished (its last tasks may run elsewhere), and goes on with the next one — so jobs
 * take effect in submission order. With no job waiting it spins briefly, then sleeps.
 *
 * They differ in how a worker idles and how kernel modules reach it:
 * - Node: the worker blocks in Atomics.wait, and a job naming a kernel it has not
 *   instantiated pulls the module from its port synchronously (receiveMessageOnPort).
 * - Browser: messages arrive only through the event loop, so a worker must never block
 *   for long: it waits with Atomics.waitAsync where the engine has it (its event loop
 *   keeps delivering modules), else in short Atomics.wait slices with a yield to the
 *   event loop between them. A job naming a kernel the worker has not received yet is
 *   left alone — it takes no ticket, so the other threads (the caller, when it next
 *   waits for results, at least) run every task — and the worker retries after a yield.
 */

/** The views of the control block (`declare`: 'const ' to declare them, '' to assign them). */
function views(declare: 'const ' | ''): string {
  const slot = (i: string, kind: 'header' | 'base' | 'mult' | 'kind') =>
    `${LAYOUT.slotsByte} + ${i} * ${LAYOUT.slotBytes}${kind === 'header' ? '' : ` + ${LAYOUT.slotHeader}`}${kind === 'mult' ? ` + ${8 * MAX_ARGS}` : kind === 'kind' ? ` + ${16 * MAX_ARGS}` : ''}`;
  return `${declare}C = new Int32Array(control, 0, ${LAYOUT.words});
${declare}ERR = new Uint8Array(control, ${LAYOUT.errByte}, ${LAYOUT.errBytes});
${declare}SH = [], SB = [], SM = [], SK = [];
for (let i = 0; i < ${RING}; i++) {
  SH.push(new Int32Array(control, ${slot('i', 'header')}, ${LAYOUT.slotHeader / 4}));
  SB.push(new Float64Array(control, ${slot('i', 'base')}, ${MAX_ARGS}));
  SM.push(new Float64Array(control, ${slot('i', 'mult')}, ${MAX_ARGS}));
  SK.push(new Int32Array(control, ${slot('i', 'kind')}, ${MAX_ARGS}));
}`;
}

/**
 * The task loop shared by both platforms: `work(j)` takes and runs tasks of job `j`
 * until none is left (returns 0) or, in a browser, returns MISSING without taking any
 * when the job's kernel has not arrived. `waitFinished(j)` spins until job j has
 * finished or the spin time is over (returns whether it finished). The surrounding
 * source defines `C`, `ERR`, `SH`/`SB`/`SM`/`SK` (each slot's header, bases,
 * multipliers, kinds), `thread`, `EXIT` (thrown by the exit hook to leave a task
 * unfinished) and `kernel(id)` (the exports, or a throw). `missingCheck` runs before
 * the first ticket; `crashExit` is the exit test hook's statement.
 */
function core(missingCheck: string, crashExit: string): string {
  return `const FUNCS = ${JSON.stringify(FUNCS)};
const MISSING = 1;
let busy = false, curH = null, curJ = 0, curTasks = 0;

function report(status, message) {
  if (Atomics.compareExchange(C, ${W.STATUS}, ${STATUS.OK}, status) !== ${STATUS.OK}) return;
  const bytes = new TextEncoder().encode('worker ' + thread + ': ' + message).subarray(0, ${LAYOUT.errBytes});
  ERR.set(bytes);
  Atomics.store(C, ${W.ERRLEN}, bytes.length);
}
function finishTask(H, j, tasks, failed) {
  Atomics.add(C, ${W.WORKER_TASKS}, 1);
  if (Atomics.add(H, ${S.DONE}, 1) + 1 === tasks) {
    // The job's last task: close its tickets, then let every thread go on to the next job.
    Atomics.store(H, ${S.TICKET}, ((j & 0xffff) << 16) | 0xffff);
    Atomics.store(C, ${W.FINISHED}, (j + 1) | 0);
    Atomics.notify(C, ${W.FINISHED});
  } else if (failed) {
    Atomics.notify(C, ${W.FINISHED});
  }
}
function running() {
  return Atomics.load(C, ${W.SHUTDOWN}) === 0 && Atomics.load(C, ${W.STATUS}) === ${STATUS.OK};
}
function waitFinished(j) {
  const until = performance.now() + C[${W.SPIN}] / 1000;
  for (;;) {
    if (Atomics.load(C, ${W.FINISHED}) !== j) return true;
    if (performance.now() >= until || !running()) return false;
  }
}
const args = [];
function work(j) {
  const H = SH[j & ${RING - 1}], B = SB[j & ${RING - 1}], M = SM[j & ${RING - 1}], K = SK[j & ${RING - 1}];
  if (Atomics.load(C, ${W.DELAY}) !== 0) {
    const ms = Atomics.exchange(C, ${W.DELAY}, 0);
    if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }
  const tasks = Atomics.load(H, ${S.NTASKS});
  const id = H[${S.KERNEL}];
  const g = j & 0xffff;
  let fn = null;
  ${missingCheck}
  for (;;) {
    const t = Atomics.load(H, ${S.TICKET});
    if ((t >>> 16) !== g) return 0;
    const i = t & 0xffff;
    if (i >= tasks) return 0;
    if (Atomics.compareExchange(H, ${S.TICKET}, t, t + 1) !== t) continue;
    // Task i of job j is ours: the slot cannot be rewritten before it is done, so its
    // fields are job j's (a late reader whose job has ended fails the exchange above:
    // the finisher closed the ticket, or the slot holds another job's).
    busy = true;
    curH = H; curJ = j; curTasks = tasks;
    let failed = false;
    try {
      if (Atomics.load(C, ${W.CRASH}) !== 0) {
        const crash = Atomics.exchange(C, ${W.CRASH}, 0);
        if (crash === 1) throw new Error('test hook: a worker throws');
        if (crash === 2) ${crashExit}
      }
      if (fn === null) fn = kernel(id)[FUNCS[H[${S.FUNC}]]];
      const n = H[${S.NARGS}], chunk = H[${S.CHUNK}];
      const start = i * chunk, end = Math.min(H[${S.UNITS}], start + chunk);
      args.length = n;
      for (let a = 0; a < n; a++) {
        const k = K[a];
        args[a] = k === ${ARG.FIXED} ? B[a] : k === ${ARG.OFFSET} ? B[a] + start * M[a]
          : k === ${ARG.COUNT} ? end - start : k === ${ARG.BEGIN} ? start : k === ${ARG.END} ? end
          : B[a] + thread * M[a];
      }
      fn.apply(null, args);
    } catch (e) {
      if (e === EXIT) throw e;
      failed = true;
      report(${STATUS.THREW}, e && e.message ? e.message : String(e));
    }
    busy = false;
    finishTask(H, j, tasks, failed);
  }
}`;
}

/** The Node worker (worker_threads, `eval: true`). */
export function workerSource(): string {
  return `'use strict';
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { memory, control, port, thread } = workerData;
${views('const ')}
const instances = new Map();
const EXIT = {};
${core('', 'process.exit(3);')}
process.on('exit', (code) => {
  if (busy) {
    report(${STATUS.EXITED}, 'exited (code ' + code + ') while running a task');
    busy = false;
    finishTask(curH, curJ, curTasks, true);
  }
});
function kernel(id) {
  for (;;) {
    const got = instances.get(id);
    if (got) return got;
    const m = receiveMessageOnPort(port);
    if (m === undefined) throw new Error('kernel ' + id + ' was never sent');
    const msg = m.message;
    if (msg.drop !== undefined) instances.delete(msg.drop);
    else instances.set(msg.id, new WebAssembly.Instance(msg.module, { env: { memory } }).exports);
  }
}
Atomics.add(C, ${W.ALIVE}, 1);
Atomics.notify(C, ${W.ALIVE});
let j = Atomics.load(C, ${W.FINISHED});
for (;;) {
  if (Atomics.load(C, ${W.SHUTDOWN}) !== 0) break;
  const f = Atomics.load(C, ${W.FINISHED});
  if (((f - j) | 0) > 0) j = f;
  if (!running()) {
    // A task failed: the calling thread stops the pool; run nothing more.
    Atomics.wait(C, ${W.SHUTDOWN}, 0, 20);
    continue;
  }
  if (j === Atomics.load(C, ${W.PUBLISHED})) {
    // Spin briefly: a model step submits kernels back to back, and waking from a futex
    // costs more than a short spin.
    const until = performance.now() + C[${W.SPIN}] / 1000;
    while (Atomics.load(C, ${W.PUBLISHED}) === j && performance.now() < until);
    Atomics.wait(C, ${W.PUBLISHED}, j);
    continue;
  }
  work(j);
  // Its last tasks may still run on other threads: the next job starts after it.
  while (!waitFinished(j) && running()) Atomics.wait(C, ${W.FINISHED}, j, 20);
}
Atomics.sub(C, ${W.ALIVE}, 1);
port.close();
`;
}

/** Milliseconds a browser worker without Atomics.waitAsync blocks before it lets its event loop run. */
export const BROWSER_WAIT_SLICE_MS = 20;

/**
 * The browser worker (a classic Web Worker from a Blob URL). Its first message is
 * `{ init: { memory, control, thread, waitAsync } }` (`waitAsync: false` selects the
 * fallback for engines without Atomics.waitAsync); then `{ id, module }` (a compiled
 * kernel to instantiate) and `{ drop }` (a kernel evicted from the caller's cache).
 */
export function browserWorkerSource(): string {
  return `'use strict';
let memory, control, thread, C, ERR, SH, SB, SM, SK;
const instances = new Map();
// Thrown by the exit test hook: leaves the task unfinished and closes the worker, as a
// worker that dies without reporting (the caller's stall timeout must catch it).
const EXIT = {};
function kernel(id) {
  const got = instances.get(id);
  if (got === undefined) throw new Error('kernel ' + id + ' was never sent');
  if (got.failed !== undefined) throw new Error('kernel ' + id + ' could not be instantiated: ' + got.failed);
  return got.exports;
}
let waitAsync = null;
// A yield to the event loop that setTimeout's clamping does not slow down.
const tick = new MessageChannel();
let afterTick = null;
tick.port1.onmessage = () => { const f = afterTick; afterTick = null; if (f) f(); };
function later(f) { afterTick = f; tick.port2.postMessage(0); }
let j = null;
// Waits (without blocking the event loop for long) until C[at] is no longer v, then loops.
function sleepOn(at, v) {
  if (waitAsync !== null) {
    const r = waitAsync(C, at, v);
    if (r.async) { r.value.then(loop); return true; }
    return false;
  }
  if (Atomics.wait(C, at, v, ${BROWSER_WAIT_SLICE_MS}) === 'timed-out') { later(loop); return true; }
  return false;
}
function loop() {
  for (;;) {
    if (Atomics.load(C, ${W.SHUTDOWN}) !== 0) {
      Atomics.sub(C, ${W.ALIVE}, 1);
      close();
      return;
    }
    const f = Atomics.load(C, ${W.FINISHED});
    if (j === null || ((f - j) | 0) > 0) j = f;
    if (!running()) {
      if (sleepOn(${W.SHUTDOWN}, 0)) return;
      continue;
    }
    if (j !== Atomics.load(C, ${W.PUBLISHED})) {
      // Its kernel is still on the way: let the event loop deliver it, then retry.
      if (work(j) === MISSING) { later(loop); return; }
      if (waitFinished(j)) continue;
      if (sleepOn(${W.FINISHED}, j)) return;
      continue;
    }
    const until = performance.now() + C[${W.SPIN}] / 1000;
    while (Atomics.load(C, ${W.PUBLISHED}) === j && performance.now() < until);
    if (Atomics.load(C, ${W.PUBLISHED}) !== j) continue;
    if (sleepOn(${W.PUBLISHED}, j)) return;
  }
}
self.onmessage = (e) => {
  const msg = e.data;
  if (msg.init !== undefined) {
    ({ memory, control, thread } = msg.init);
    if (msg.init.waitAsync && typeof Atomics.waitAsync === 'function') waitAsync = Atomics.waitAsync;
    ${views('')}
    Atomics.add(C, ${W.ALIVE}, 1);
    Atomics.notify(C, ${W.ALIVE});
    loop();
  } else if (msg.drop !== undefined) {
    instances.delete(msg.drop);
  } else {
    try {
      instances.set(msg.id, { exports: new WebAssembly.Instance(msg.module, { env: { memory } }).exports });
    } catch (err) {
      // Reported by the first task that needs it, as a failure of that job.
      instances.set(msg.id, { failed: err && err.message ? err.message : String(err) });
    }
  }
};
${core(
  `const ready = instances.get(id);
  if (ready === undefined) {
    const t = Atomics.load(H, ${S.TICKET});
    return (t >>> 16) === g && (t & 0xffff) < tasks ? MISSING : 0;
  }`,
  '{ close(); throw EXIT; }',
)}
`;
}
