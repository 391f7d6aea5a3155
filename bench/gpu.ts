/**
 * gpu backend vs the CPU backend: `npm run bench:gpu` (headless GL needs a display:
 * `xvfb-run -a npm run bench:gpu` after `npm run setup:gl`).
 *
 * For each available gpu.js mode and each workload at 1e3 … 1e7 elements: median
 * milliseconds on the CPU backend, on the gpu backend with the data resident (inputs
 * already on the device, result left there; GL work is waited for with glFinish),
 * and on the gpu backend with transfers (upload inputs, run, read the result back).
 * Prints the speedups and, per workload, the crossover: the smallest size from
 * which the gpu is faster (resident). Options: --sizes 1e3,1e5  --only exp,ce
 * --modes webasm  --quick (fewer samples) --md FILE (also write the table).
 */
import { writeFileSync } from 'node:fs';
import { randn, registerBackend, setBackend, tensor, manualSeed, type Tensor } from '@tsgrad/tensor';
import { crossEntropy } from '@tsgrad/nn';
import { GpuBackend, modeAvailability, type GpuMode } from '@tsgrad/gpu';

interface Args { sizes: number[]; sizesGiven: boolean; only: string[] | null; modes: GpuMode[] | null; quick: boolean; md: string | null }

function parseArgs(argv: string[]): Args {
  const a: Args = { sizes: [1e3, 1e4, 1e5, 1e6, 1e7], sizesGiven: false, only: null, modes: null, quick: false, md: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => argv[++i] ?? '';
    if (k === '--sizes') { a.sizes = v().split(',').map(Number); a.sizesGiven = true; }
    else if (k === '--only') a.only = v().split(',');
    else if (k === '--modes') a.modes = v().split(',') as GpuMode[];
    else if (k === '--quick') a.quick = true;
    else if (k === '--md') a.md = v();
    else if (k === '--help') {
      console.log('usage: tsx bench/gpu.ts [--sizes 1e3,1e6] [--only exp,sigmoid,fma,chain,lse,ce] [--modes headlessgl,webasm] [--quick] [--md FILE]');
      process.exit(0);
    } else throw new Error(`bench/gpu: unknown argument ${k}`);
  }
  return a;
}

const args = parseArgs(process.argv.slice(2));

/**
 * Median of timed calls after warm-up (at least 3 calls and ~150 ms: kernels compile
 * and textures get pooled on the first calls); then at least 5 samples, stopping at
 * ~0.8 s (0.2 s quick) or 25 samples. The same for the CPU and the gpu.
 */
function time(fn: () => void, budgetMs = args.quick ? 200 : 800): number {
  const w0 = performance.now();
  for (let i = 0; i < 3 || (i < 20 && performance.now() - w0 < budgetMs / 5); i++) fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < 5 || (samples.length < 25 && performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((x, y) => x - y);
  return samples[Math.floor(samples.length / 2)]!;
}

interface Workload {
  id: string;
  title: string;
  /** Sizes measured besides the default ones (the target shapes). */
  extraSizes?: number[];
  /** The target for this workload: gpu (resident) ≥ ratio × faster at n. */
  target?: { n: number; ratio: number; mode: GpuMode };
  /** Makes inputs on the active backend; returns the op (and what it leaves to dispose). */
  setup(n: number): { inputs: Tensor[]; run: (xs: Tensor[]) => Tensor[] };
}

const rowsOf = (n: number) => ({ rows: Math.max(1, Math.round(n / 1000)), cols: Math.min(1000, n) });

const WORKLOADS: Workload[] = [
  { id: 'exp', title: 'exp(x)', setup: (n) => ({ inputs: [randn([n])], run: ([x]) => [x!.exp()] }) },
  { id: 'sigmoid', title: 'sigmoid(x)', setup: (n) => ({ inputs: [randn([n])], run: ([x]) => [x!.sigmoid()] }) },
  { id: 'fma', title: 'a·b + c', setup: (n) => ({ inputs: [randn([n]), randn([n]), randn([n])], run: ([a, b, c]) => { const p = a!.mul(b!); const r = p.add(c!); p.dispose(); return [r]; } }) },
  {
    id: 'chain', title: 'sigmoid(log1p(exp(tanh(x))))',
    setup: (n) => ({
      inputs: [randn([n])],
      run: ([x]) => {
        const a = x!.tanh(); const b = a.exp(); const c = b.log1p(); const d = c.sigmoid();
        a.dispose(); b.dispose(); c.dispose();
        return [d];
      },
    }),
  },
  {
    id: 'lse', title: 'row logSumExp [n/1000, 1000]',
    setup: (n) => { const { rows, cols } = rowsOf(n); return { inputs: [randn([rows, cols])], run: ([x]) => [x!.logSumExp(1)] }; },
  },
  {
    id: 'ce', title: 'softmax-cross-entropy fwd+bwd [n/1000, 1000]',
    extraSizes: [512000],
    target: { n: 512000, ratio: 1.5, mode: 'headlessgl' },
    setup: (n) => {
      const { rows, cols } = rowsOf(n);
      const labels = tensor(Int32Array.from({ length: rows }, (_, i) => (i * 7919) % cols));
      return {
        inputs: [randn([rows, cols]).requiresGrad_()],
        run: ([x]) => {
          const loss = crossEntropy(x!, labels);
          loss.backward();
          const g = x!.grad!;
          x!.grad = null;
          return [loss, g];
        },
      };
    },
  },
];

interface Row { workload: string; n: number; mode: string; cpu: number; resident: number; transfers: number }

function fmtN(n: number): string {
  const e = Math.log10(n);
  return Number.isInteger(e) ? `1e${e}` : String(n);
}

function benchMode(mode: GpuMode, workloads: Workload[]): Row[] {
  const name = `gpu-${mode}`;
  const gpu = new GpuBackend({ name, mode, minElements: 0 });
  registerBackend(gpu);
  const rows: Row[] = [];
  for (const w of workloads) {
    const sizes = args.sizesGiven ? args.sizes : [...new Set([...args.sizes, ...(w.extraSizes ?? [])])].sort((a, b) => a - b);
    for (const n of sizes) {
      manualSeed(1);
      setBackend('cpu');
      const cpuCase = w.setup(n);
      const cpu = time(() => { cpuCase.run(cpuCase.inputs); });
      const hostInputs = cpuCase.inputs.map((t) => ({ data: t.dataSync(), shape: [...t.shape], grad: t.requiresGrad }));
      setBackend(name);
      manualSeed(1);
      const g = w.setup(n);
      const resident = time(() => {
        const out = g.run(g.inputs);
        // Results are computed lazily (fused into their consumers): force them, then wait for GL.
        gpu.evaluate(...out);
        gpu.finish();
        out.forEach((t) => t.dispose());
      });
      const transfers = time(() => {
        const ins = hostInputs.map((h) => { const t = tensor(h.data).reshape(h.shape).detach(); return h.grad ? t.requiresGrad_() : t; });
        const out = g.run(ins);
        out.forEach((t) => { t.dataSync(); t.dispose(); });
        ins.forEach((t) => t.dispose());
      });
      g.inputs.forEach((t) => t.dispose());
      setBackend('cpu');
      rows.push({ workload: w.id, n, mode, cpu, resident, transfers });
      console.log(`${mode.padEnd(10)} ${w.id.padEnd(8)} ${fmtN(n).padStart(5)}  cpu ${cpu.toFixed(2).padStart(9)} ms  gpu resident ${resident.toFixed(2).padStart(9)} ms (${(cpu / resident).toFixed(2)}×)  with transfers ${transfers.toFixed(2).padStart(9)} ms (${(cpu / transfers).toFixed(2)}×)`);
    }
  }
  return rows;
}

function crossover(rows: Row[]): string {
  // Smallest size from which the gpu (resident) stays faster than the CPU.
  const sorted = [...rows].sort((a, b) => a.n - b.n);
  let at: number | null = null;
  for (let i = sorted.length - 1; i >= 0; i--) {
    if (sorted[i]!.resident < sorted[i]!.cpu) at = sorted[i]!.n;
    else break;
  }
  return at === null ? 'never (in range)' : `${fmtN(at)}`;
}

function main(): void {
  const workloads = WORKLOADS.filter((w) => !args.only || args.only.includes(w.id));
  const modes: GpuMode[] = args.modes ?? ['headlessgl', 'webasm'];
  const all: Row[] = [];
  const notes: string[] = [];
  for (const mode of modes) {
    const a = modeAvailability(mode);
    if (!a.available) {
      const msg = `${mode}: not run — ${a.reason}`;
      notes.push(msg);
      console.log(msg);
      continue;
    }
    all.push(...benchMode(mode, workloads));
  }
  const lines: string[] = [];
  lines.push(`Median ms per call, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}. cpu = @tsgrad/tensor's CPU backend; resident = inputs already on the device, result left there (GL work waited for); +transfers = upload inputs, run, read results back. Speedup = cpu / gpu.`);
  lines.push('');
  lines.push('| mode | workload | n | cpu ms | gpu resident ms | speedup | gpu +transfers ms | speedup |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of all) {
    const w = WORKLOADS.find((x) => x.id === r.workload)!;
    lines.push(`| ${r.mode} | ${w.title} | ${fmtN(r.n)} | ${r.cpu.toFixed(2)} | ${r.resident.toFixed(2)} | ${(r.cpu / r.resident).toFixed(2)}× | ${r.transfers.toFixed(2)} | ${(r.cpu / r.transfers).toFixed(2)}× |`);
  }
  lines.push('');
  lines.push('Crossover (smallest n from which the gpu, data resident, stays faster than the CPU):');
  lines.push('');
  for (const mode of new Set(all.map((r) => r.mode))) {
    for (const w of workloads) {
      const rs = all.filter((r) => r.mode === mode && r.workload === w.id);
      if (rs.length) lines.push(`- ${mode}, ${w.title}: ${crossover(rs)}`);
    }
  }
  for (const n of notes) lines.push(`- ${n}`);
  for (const w of workloads) {
    const t = w.target;
    const r = t && all.find((x) => x.workload === w.id && x.mode === t.mode && x.n === t.n);
    if (t && r) lines.push(`\nTarget: ${w.title} at n = ${fmtN(t.n)}, ${t.mode}, resident: ${(r.cpu / r.resident).toFixed(2)}× faster than the CPU (target ≥ ${t.ratio}×: ${r.cpu / r.resident >= t.ratio ? 'met' : 'NOT met'}).`);
  }
  const md = lines.join('\n');
  console.log(`\n${md}`);
  if (args.md) writeFileSync(args.md, `${md}\n`);
}

main();
