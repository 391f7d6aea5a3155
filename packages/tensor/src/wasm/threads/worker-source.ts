import { ARG, FUNCS, LAYOUT, MAX_ARGS, STATUS, W } from './protocol.js';

/*
 * The body of every worker, as source text: started with `new Worker(text, { eval:
 * true })`, so it runs the same from TypeScript sources (tsx, vitest) and from built
 * JavaScript, with no loader and no imports of ours. It receives the shared memory,
 * the control block and a port (workerData); compiled kernel modules arrive on the
 * port and are pulled synchronously (receiveMessageOnPort) when a job names one the
 * worker has not instantiated yet. Every task runs in try/catch; a failure, or the
 * worker exiting, is written to the control block, because the calling thread is
 * blocked in Atomics.wait and would never see an 'error' event.
 */

export function workerSource(): string {
  return `'use strict';
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { memory, control, port, thread } = workerData;
const C = new Int32Array(control);
const BASE = new Float64Array(control, ${LAYOUT.argsByte}, ${MAX_ARGS});
const MULT = new Float64Array(control, ${LAYOUT.argsByte + 8 * MAX_ARGS}, ${MAX_ARGS});
const KIND = new Int32Array(control, ${LAYOUT.kindsByte}, ${MAX_ARGS});
const ERR = new Uint8Array(control, ${LAYOUT.errByte}, ${LAYOUT.errBytes});
const FUNCS = ${JSON.stringify(FUNCS)};
const instances = new Map();
let busy = false;

function report(status, message) {
  if (Atomics.compareExchange(C, ${W.STATUS}, ${STATUS.OK}, status) !== ${STATUS.OK}) return;
  const bytes = new TextEncoder().encode('worker ' + thread + ': ' + message).subarray(0, ${LAYOUT.errBytes});
  ERR.set(bytes);
  Atomics.store(C, ${W.ERRLEN}, bytes.length);
}
function finishTask(tasks, failed) {
  Atomics.add(C, ${W.WORKER_TASKS}, 1);
  // The caller waits for the last task (or a failure); waking it for every task costs a lock each.
  if (Atomics.add(C, ${W.DONE}, 1) + 1 >= tasks || failed) Atomics.notify(C, ${W.DONE});
}
process.on('exit', (code) => {
  if (busy) {
    report(${STATUS.EXITED}, 'exited (code ' + code + ') while running a task');
    busy = false;
    finishTask(0, true);
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
const args = [];
function work(gen) {
  const n = C[${W.NARGS}], tasks = C[${W.NTASKS}], units = C[${W.UNITS}], chunk = C[${W.CHUNK}];
  const id = C[${W.KERNEL}], fname = FUNCS[C[${W.FUNC}]];
  const base = BASE.slice(0, n), mult = MULT.slice(0, n), kind = KIND.slice(0, n);
  const g = gen & 0xffff;
  let fn = null;
  for (;;) {
    const t = Atomics.load(C, ${W.TICKET});
    if ((t >>> 16) !== g) return;
    const i = t & 0xffff;
    if (i >= tasks) return;
    if (Atomics.compareExchange(C, ${W.TICKET}, t, t + 1) !== t) continue;
    busy = true;
    let failed = false;
    try {
      if (Atomics.load(C, ${W.CRASH}) !== 0) {
        const crash = Atomics.exchange(C, ${W.CRASH}, 0);
        if (crash === 1) throw new Error('test hook: a worker throws');
        if (crash === 2) process.exit(3);
      }
      if (fn === null) fn = kernel(id)[fname];
      const start = i * chunk, end = Math.min(units, start + chunk);
      args.length = n;
      for (let a = 0; a < n; a++) {
        const k = kind[a];
        args[a] = k === ${ARG.FIXED} ? base[a] : k === ${ARG.OFFSET} ? base[a] + start * mult[a]
          : k === ${ARG.COUNT} ? end - start : k === ${ARG.BEGIN} ? start : k === ${ARG.END} ? end
          : base[a] + thread * mult[a];
      }
      fn.apply(null, args);
    } catch (e) {
      failed = true;
      report(${STATUS.THREW}, e && e.message ? e.message : String(e));
    }
    busy = false;
    finishTask(tasks, failed);
  }
}
Atomics.add(C, ${W.ALIVE}, 1);
Atomics.notify(C, ${W.ALIVE});
let seen = Atomics.load(C, ${W.GEN});
for (;;) {
  if (Atomics.load(C, ${W.SHUTDOWN}) !== 0) break;
  work(seen);
  // Spin briefly: a model step issues kernels back to back, and waking from a futex
  // costs more than a short spin.
  const until = performance.now() + C[${W.SPIN}] / 1000;
  while (Atomics.load(C, ${W.GEN}) === seen && performance.now() < until);
  Atomics.wait(C, ${W.GEN}, seen);
  seen = Atomics.load(C, ${W.GEN});
}
Atomics.sub(C, ${W.ALIVE}, 1);
port.close();
`;
}
