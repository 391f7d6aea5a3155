/**
 * The live training page: the decision regions redrawn as the MLP trains, the loss
 * curve, per-arm test recall, `backendInfo()`. The loop is synchronous inside each
 * animation frame (no await), every step in `tidy()`.
 *
 * `window.__tsgrad` is the hook the browser test drives: `run()` trains N steps on a
 * backend synchronously and reports losses, device memory at checkpoints and timings.
 */
import { backendInfo, getBackend, listBackends, setBackend, wasm } from '@tsgrad/tensor';
import { DEMO_LOSSES, EXTENT, GRID, SpiralTrainer, type DemoLoss } from './trainer.js';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

/** A colour mixed with white (the shaded regions under the points). */
function tint(hex: string, keep = 0.3): string {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgb(${c.map((v) => Math.round(255 - (255 - v) * keep)).join(',')})`;
}
const TINTS = COLORS.map((c) => tint(c));
const LOSS_LABELS: Record<DemoLoss, string> = { ce: 'cross-entropy', focal: 'softmax focal (γ = 2)', 'dual-focal': 'Dual Focal (γ = 2)' };

interface GpuModule {
  gpu: { minElements: number; stats(): { liveBytes: number; liveArrays: number; finalized: number; pressureCollections: number; [k: string]: number } };
  modeAvailability(mode: 'webgl2'): { available: boolean; reason: string };
}

let gpuModule: GpuModule | null = null;
let gpuReason = '';

/** Loads @tsgrad/gpu (a separate chunk: gpu.js is most of its size) and checks WebGL2. */
async function probeGpu(): Promise<void> {
  try {
    const m = (await import('@tsgrad/gpu')) as unknown as GpuModule;
    const a = m.modeAvailability('webgl2');
    if (a.available) {
      gpuModule = m;
      // The demo's tensors are small: run every op on the gpu rather than the host.
      m.gpu.minElements = 0;
    }
    gpuReason = a.reason;
  } catch (e) {
    gpuReason = `could not load @tsgrad/gpu: ${(e as Error).message}`;
  }
}

export interface MemorySample {
  step: number;
  liveBytes: number;
  finalized: number;
  pressureCollections: number;
}

/** Device memory of the backend that runs now (null on the CPU reference: plain JS arrays). */
function deviceMemory(): Omit<MemorySample, 'step'> | null {
  const name = getBackend().name;
  if (name === 'wasm') {
    const s = wasm.stats();
    return { liveBytes: s.liveBytes, finalized: s.finalized, pressureCollections: s.pressureCollections };
  }
  if (name === 'gpu' && gpuModule) {
    const s = gpuModule.gpu.stats();
    return { liveBytes: s.liveBytes, finalized: s.finalized, pressureCollections: s.pressureCollections };
  }
  return null;
}

export interface RunRequest {
  backend: string;
  loss?: DemoLoss;
  seed?: number;
  steps: number;
  /** Read the loss every step (default true). */
  read?: boolean;
  /** Steps after which device memory is sampled. */
  checkpoints?: number[];
  /** Run each step inside `tidy()` (default true; false shows the growth without it). */
  scoped?: boolean;
}

export interface RunResult {
  backend: string;
  info: Record<string, string | number | boolean>;
  losses: number[];
  /** Loss of the last step (read in the timed loop also when `read` is false: it waits for the queued work). */
  finalLoss: number;
  memory: MemorySample[];
  msPerStep: number;
  /** The backend's own counters after the run (wasm and gpu). */
  deviceStats: Record<string, number> | null;
  recall: number[];
  parameters: number[];
}

// ---------- page state ----------

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let trainer: SpiralTrainer | null = null;
let losses: number[] = [];
let running = false;
let frame = 0;

function backendChoices(): string[] {
  const names = ['cpu', 'wasm'].filter((b) => listBackends().includes(b));
  if (gpuModule) names.push('gpu');
  return names;
}

function reset(backend: string, loss: DemoLoss, seed = 1): SpiralTrainer {
  trainer?.dispose();
  setBackend(backend);
  trainer = new SpiralTrainer({ loss, seed });
  losses = [];
  return trainer;
}

function drawRegions(t: SpiralTrainer): void {
  const canvas = $<HTMLCanvasElement>('regions');
  const ctx = canvas.getContext('2d')!;
  const pred = t.gridPredictions();
  const cell = canvas.width / GRID;
  for (let r = 0; r < GRID; r++) {
    for (let q = 0; q < GRID; q++) {
      ctx.fillStyle = TINTS[pred[r * GRID + q]! % TINTS.length]!;
      ctx.fillRect(Math.floor(q * cell), Math.floor(r * cell), Math.ceil(cell), Math.ceil(cell));
    }
  }
  const toPx = (v: number) => ((v + EXTENT) / (2 * EXTENT)) * canvas.width;
  const { x, y } = t.train;
  for (let i = 0; i < y.length; i++) {
    const arm = y[i]!;
    const rare = arm === t.config.rareArm;
    ctx.beginPath();
    ctx.arc(toPx(x[2 * i]!), canvas.height - toPx(x[2 * i + 1]!), rare ? 3.5 : 2, 0, 2 * Math.PI);
    ctx.fillStyle = COLORS[arm % COLORS.length]!;
    ctx.fill();
    if (rare) {
      ctx.strokeStyle = '#000';
      ctx.stroke();
    }
  }
}

function drawCurve(): void {
  const canvas = $<HTMLCanvasElement>('curve');
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (losses.length < 2) return;
  const top = Math.max(...losses.slice(0, 20)) * 1.05;
  const pad = 28;
  ctx.strokeStyle = '#999';
  ctx.strokeRect(pad, 4, canvas.width - pad - 4, canvas.height - pad);
  ctx.fillStyle = '#555';
  ctx.font = '11px sans-serif';
  ctx.fillText(top.toFixed(2), 2, 12);
  ctx.fillText('0', 14, canvas.height - pad);
  ctx.fillText(`${losses.length} steps`, canvas.width - 70, canvas.height - 8);
  ctx.strokeStyle = '#1f77b4';
  ctx.beginPath();
  const w = canvas.width - pad - 4, h = canvas.height - pad - 4;
  // A running mean over a window keeps the curve readable over thousands of steps.
  const win = Math.max(1, Math.floor(losses.length / w));
  for (let i = 0; i < losses.length; i += win) {
    const chunk = losses.slice(i, i + win);
    const v = chunk.reduce((a, b) => a + b, 0) / chunk.length;
    const px = pad + (i / (losses.length - 1)) * w;
    const py = 4 + h - Math.min(1, v / top) * h;
    if (i === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  }
  ctx.stroke();
}

function drawRecall(t: SpiralTrainer): void {
  const recall = t.testRecall();
  const rows = recall.map((r, k) =>
    `<tr><td><span class="swatch" style="background:${COLORS[k % COLORS.length]}"></span>arm ${k}${k === t.config.rareArm ? ' (rare)' : ''}</td>` +
      `<td>${t.trainCounts[k]} pts</td><td>${(100 * r).toFixed(0)} %</td></tr>`,
  );
  $('recall').innerHTML = `<tr><th>arm</th><th>train</th><th>recall</th></tr>${rows.join('')}`;
}

function drawInfo(): void {
  const mem = deviceMemory();
  const info = { ...backendInfo(), ...(mem ? { deviceLiveBytes: mem.liveBytes } : {}) };
  $('info').textContent = JSON.stringify(info, null, 1) + (gpuModule ? '' : `\ngpu: not offered (${gpuReason})`);
}

function redraw(): void {
  if (!trainer) return;
  drawRegions(trainer);
  drawCurve();
  if (frame % 10 === 0) drawRecall(trainer);
  drawInfo();
  $('status').textContent = `step ${trainer.steps}${losses.length ? `, loss ${losses[losses.length - 1]!.toFixed(4)}` : ''}`;
}

function tick(): void {
  if (!running || !trainer) return;
  const spf = Math.max(1, Math.min(200, Number($<HTMLInputElement>('spf').value) || 1));
  for (let i = 0; i < spf; i++) losses.push(trainer.step(true)!);
  frame++;
  redraw();
  requestAnimationFrame(tick);
}

function selected(): { backend: string; loss: DemoLoss } {
  return { backend: $<HTMLSelectElement>('backend').value, loss: $<HTMLSelectElement>('loss').value as DemoLoss };
}

/** Trains `steps` steps synchronously (no await: finalizers cannot run) and reports. */
function run(req: RunRequest): RunResult {
  running = false;
  $('start').textContent = 'Start';
  const t = reset(req.backend, req.loss ?? 'ce', req.seed ?? 1);
  $<HTMLSelectElement>('backend').value = req.backend;
  $<HTMLSelectElement>('loss').value = t.config.loss;
  const read = req.read ?? true;
  const checkpoints = new Set(req.checkpoints ?? []);
  const memory: MemorySample[] = [];
  const t0 = performance.now();
  let finalLoss = NaN;
  for (let s = 1; s <= req.steps; s++) {
    // Without `read`, only the last step's loss is read: the time includes the device work.
    const l = t.step(read || s === req.steps, req.scoped ?? true);
    if (l !== null && read) losses.push(l);
    if (s === req.steps) finalLoss = l!;
    if (checkpoints.has(s)) {
      const m = deviceMemory();
      if (m) memory.push({ step: s, ...m });
    }
  }
  const msPerStep = (performance.now() - t0) / req.steps;
  frame = 0;
  redraw();
  return {
    backend: getBackend().name, info: backendInfo(), losses, finalLoss, memory, msPerStep,
    deviceStats: getBackend().name === 'wasm' ? { ...wasm.stats() } : getBackend().name === 'gpu' && gpuModule ? { ...gpuModule.gpu.stats() } : null,
    recall: t.testRecall(), parameters: t.parameterValues(),
  };
}

declare global {
  interface Window {
    __tsgrad?: {
      /** Resolves to the backends the page offers once it has probed for WebGL2. */
      ready: Promise<string[]>;
      run(req: RunRequest): RunResult;
      backends(): string[];
      /** Why the gpu backend is offered or not (gpu.js's availability check). */
      gpuReason(): string;
    };
  }
}

async function main(): Promise<void> {
  await probeGpu();
  const lossSel = $<HTMLSelectElement>('loss');
  lossSel.innerHTML = DEMO_LOSSES.map((l) => `<option value="${l}">${LOSS_LABELS[l]}</option>`).join('');
  const backSel = $<HTMLSelectElement>('backend');
  backSel.innerHTML = backendChoices().map((b) => `<option value="${b}"${b === 'wasm' ? ' selected' : ''}>${b}</option>`).join('');
  const restart = () => {
    const s = selected();
    reset(s.backend, s.loss);
    frame = 0;
    redraw();
  };
  lossSel.onchange = restart;
  backSel.onchange = restart;
  $('reset').onclick = restart;
  $('start').onclick = () => {
    running = !running;
    $('start').textContent = running ? 'Pause' : 'Start';
    if (running) requestAnimationFrame(tick);
  };
  restart();
}

const ready = main().then(backendChoices);
window.__tsgrad = { ready, run, backends: backendChoices, gpuReason: () => gpuReason };
