/**
 * Thread scaling of the WebAssembly backend: `npm run bench:threads`
 * (= `tsx bench/threads.ts`; `--quick` for a smoke run, `--no-jax` to skip the peer).
 *
 * 1. Worker start-up: from the first parallel kernel to every worker waiting for work.
 * 2. Dispatch cost and crossover: add / exp over n elements with every kernel split
 *    (threshold 0) against the calling thread alone — where the two meet is the
 *    threshold below which kernels stay on the calling thread (threads/split.ts).
 * 3. The scaling table: MLP train step, matmul 512³, add and exp over 1M elements
 *    with 1 and with 2 threads, measured in 5 alternating rounds (the median of the
 *    rounds' medians, and the range of the rounds' speed-ups), and jax-js's
 *    jit-compiled MLP step, the target's peer. The mean time per call is printed too:
 *    it counts the slow calls a median leaves out (a training loop without tidy()
 *    pauses for garbage collection on the calling thread, which no worker shares).
 * Results are bit-identical across thread counts (tested in threads.test.ts); this
 * measures time only. On a shared machine the numbers are noisy: read the medians.
 */
import { add, backendInfo, evaluate, exp, getNumThreads, matmul, randn, setNumThreads, terminateThreads, tidy, wasm, type Tensor } from '@tsgrad/tensor';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FULL, QUICK, measure, type TimingOptions } from './lib/timing.js';
import { mlpWorkloads } from './workloads/mlp.js';
import { initJax } from './peers/jax.js';
import type { WasmRuntime } from '../packages/tensor/src/wasm/runtime.js';
import { setThreadTuning } from '../packages/tensor/src/wasm/threads/split.js';

const quick = process.argv.includes('--quick');
/** Everything printed, also written to bench/results/threads.md (threads-quick.md with --quick). */
const lines: string[] = [];
const print = (line: string): void => {
  lines.push(line);
  console.log(line);
};
const withJax = !process.argv.includes('--no-jax');
const opts: TimingOptions = quick ? QUICK : { ...FULL, maxTimeMs: 2500 };
const rt = (): WasmRuntime => (wasm as unknown as { rt: WasmRuntime }).rt;
const fmt = (ms: number): string => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(3)} ms`);

/**
 * Training steps are timed in their steady state: a process's first ~2,000 MLP steps
 * still tier up V8's code and settle the backend's collection interval (measured: the
 * 2-thread median falls from 2.6 to 1.3 ms over the first 10 s of a fresh process), and
 * a training run is many thousands of steps. Same warm-up for every thread count and
 * for jax-js.
 */
const STEP_WARMUP: Partial<TimingOptions> = quick ? {} : { warmupMs: 6000 };

/** The scaling table alternates 1- and 2-thread measurements: rounds, and each round's timing. */
const ROUNDS = quick ? 1 : 5;
const ROUND: Partial<TimingOptions> = quick ? {} : { warmupMs: 300, minTimeMs: 600, maxTimeMs: 600 };
const mid = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function median(fn: () => unknown, extra: Partial<TimingOptions> = {}): Promise<number> {
  return (await measure(fn, { ...opts, ...extra })).median;
}

/** Median time with threads, and the workers' share of the tasks (≈ 0: the second core was busy elsewhere). */
async function threaded(fn: () => unknown, extra: Partial<TimingOptions> = {}): Promise<[number, string]> {
  const a = rt().threadStats();
  const t = await median(fn, extra);
  const b = rt().threadStats();
  const w = b.workerTasks - a.workerTasks, c = b.callerTasks - a.callerTasks;
  return [t, w + c === 0 ? '–' : `${Math.round((100 * w) / (w + c))} %`];
}

async function startup(): Promise<void> {
  print('\n## Worker start-up (2 threads: one worker)\n');
  const times: number[] = [];
  for (let i = 0; i < (quick ? 1 : 5); i++) {
    await terminateThreads();
    setNumThreads(2);
    const pool = rt().pool()!;
    const t0 = performance.now();
    if (!pool.waitReady(10_000)) throw new Error('workers did not start');
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  print(`start-up, median of ${times.length}: ${fmt(times[Math.floor(times.length / 2)]!)} (min ${fmt(times[0]!)})`);
}

function finish(t: Tensor): void {
  evaluate(t);
  t.dispose();
}

/** The same run on the calling thread alone, then with two threads: [1-thread, 2-thread, worker's share]. */
async function oneVsTwo(run: () => unknown, tune?: Parameters<typeof setThreadTuning>[0]): Promise<[number, number, string]> {
  setNumThreads(1);
  const t1 = await median(run);
  setNumThreads(2);
  rt().pool()!.waitReady();
  const before = tune ? setThreadTuning(tune) : null;
  const [t2, share] = await threaded(run);
  if (before) setThreadTuning(before);
  return [t1, t2, share];
}

async function crossover(): Promise<void> {
  print('\n## Dispatch cost and crossover (every kernel split vs the calling thread alone)\n');
  print('| op | n | 1 thread | 2 threads, split | ratio | worker\'s tasks |');
  print('|---|---:|---:|---:|---:|---:|');
  const old = setThreadTuning({ minElements: 0 });
  try {
    {
      // The fixed cost of a job: a 64-element add as two 32-element tasks, against the same kernel unsplit.
      const a = randn([64]), b = randn([64]);
      const [t1, t2, share] = await oneVsTwo(() => finish(add(a, b)), { taskElements: 32 });
      print(`dispatch cost: ${fmt(t2 - t1)} per job (add of 64 elements: ${fmt(t1)} unsplit, ${fmt(t2)} as two tasks; worker's tasks ${share})\n`);
    }
    for (const [name, f] of [['add', (a: Tensor, b: Tensor) => add(a, b)], ['exp', (a: Tensor) => exp(a)]] as const) {
      for (const n of quick ? [4096, 1 << 16] : [1 << 10, 1 << 12, 1 << 14, 1 << 15, 1 << 16, 1 << 17, 1 << 18, 1 << 20]) {
        const a = randn([n]), b = randn([n]);
        // Kernel time without the read-back's copy: computed, then freed.
        const [t1, t2, share] = await oneVsTwo(() => finish(f(a, b)));
        print(`| ${name} | ${n} | ${fmt(t1)} | ${fmt(t2)} | ${(t1 / t2).toFixed(2)}× | ${share} |`);
      }
    }
  } finally {
    setThreadTuning(old);
  }
}

async function table(): Promise<void> {
  print('\n## Scaling (default thresholds)\n');
  const a512 = randn([512, 512]), b512 = randn([512, 512]);
  const x1m = randn([1 << 20]), y1m = randn([1 << 20]);
  const mlp = mlpWorkloads[0]!.impls.tsgrad!;
  const rows: [string, () => Promise<() => unknown>, Partial<TimingOptions>?][] = [
    ['MLP 784→256→10 SGD step, batch 128', async () => {
      const impl = await mlp();
      return () => impl.run(false);
    }, STEP_WARMUP],
    // The same step inside tidy(): every temporary is freed when the step returns, so
    // the backend never forces a full garbage collection (npm run bench times the step
    // without tidy, as most loops are written; see the README's Threads section).
    ['MLP step as above, in tidy()', async () => {
      const impl = await mlp();
      return () => tidy(() => void impl.run(false));
    }, STEP_WARMUP],
    // As in `npm run bench`: the timed region ends when the result exists in the
    // backend's memory (evaluate), and the result is released at once (dispose).
    ['matmul 512³', async () => () => finish(matmul(a512, b512))],
    ['add 1M', async () => () => finish(add(x1m, y1m))],
    ['exp 1M', async () => () => finish(exp(x1m))],
  ];
  print('| workload | 1 thread | 2 threads | speed-up | speed-up per round | mean time: 1 → 2 threads | worker\'s tasks |');
  print('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, make, extra] of rows) {
    // One instance per thread count, each warmed up once (training rows: 6 s, to their
    // steady state); then ROUNDS alternating 1-thread and 2-thread measurements, so that a
    // stretch of time when this VM's second core is busy elsewhere hits both columns alike.
    setNumThreads(1);
    const f1 = await make();
    await median(f1, { ...extra, maxTimeMs: 1 });
    setNumThreads(2);
    rt().pool()!.waitReady();
    const f2 = await make();
    await median(f2, { ...extra, maxTimeMs: 1 });
    const t1s: number[] = [], t2s: number[] = [];
    let m1 = 0, m2 = 0;
    let w = 0, c = 0;
    for (let r = 0; r < ROUNDS; r++) {
      setNumThreads(1);
      const s1 = await measure(f1, { ...opts, ...ROUND });
      t1s.push(s1.median);
      m1 += s1.mean / ROUNDS;
      setNumThreads(2);
      rt().pool()!.waitReady();
      const b0 = rt().threadStats();
      const s2 = await measure(f2, { ...opts, ...ROUND });
      t2s.push(s2.median);
      m2 += s2.mean / ROUNDS;
      const b1 = rt().threadStats();
      w += b1.workerTasks - b0.workerTasks;
      c += b1.callerTasks - b0.callerTasks;
    }
    const t1 = mid(t1s), t2 = mid(t2s);
    const ratios = t1s.map((x, i) => x / t2s[i]!).sort((x, y) => x - y);
    const share = w + c === 0 ? '–' : `${Math.round((100 * w) / (w + c))} %`;
    print(`| ${name} | ${fmt(t1)} | ${fmt(t2)} | ${(t1 / t2).toFixed(2)}× | ${ratios[0]!.toFixed(2)}–${ratios[ratios.length - 1]!.toFixed(2)}× | ${fmt(m1)} → ${fmt(m2)} (${(m1 / m2).toFixed(2)}×) | ${share} |`);
  }
  if (withJax) {
    await initJax();
    const impl = await mlpWorkloads[0]!.impls.jax!();
    const tj = await median(() => impl.run(false), STEP_WARMUP);
    print(`\njax-js (jit, wasm, 1 thread in Node) MLP step: ${fmt(tj)}`);
  }
}

print(`# tsgrad threads bench\n\n<!-- generated by bench/threads.ts; re-run \`npm run bench:threads\` instead of editing -->\n`);
print(`${new Date().toISOString()} · ${cpus()[0]?.model.trim() ?? 'unknown CPU'} · ${cpus().length} cores · Node ${process.version} · load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}  `);
print(`command: \`npm run bench:threads\`${quick ? ' --quick (smoke test, numbers are not measurements)' : ''}${withJax ? '' : ' --no-jax'}  `);
print(`backend: ${JSON.stringify(backendInfo())} · default threads ${getNumThreads()}`);
await startup();
await crossover();
await table();
await terminateThreads();
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', quick ? 'threads-quick.md' : 'threads.md');
writeFileSync(out, lines.join('\n') + '\n');
console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
