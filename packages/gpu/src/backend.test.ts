import { beforeAll, describe, expect, it } from 'vitest';
import {
  BackendError, backendInfo, gather, getBackend, listBackends, manualSeed, randn, registerBackend, setBackend, tensor, zeros,
  hostBackend, resetTransferStats, transferStats,
} from '@tsgrad/tensor';
import { crossEntropy } from '@tsgrad/nn';
import { GpuBackend, GPU_MODES, chooseMode, gpu, modeAvailability, setGpuMode } from './index.js';
import { expectClose, pair, useGpu, values, withBackend } from './test-support.js';

/*
 * The backend's contract beyond parity: registration and mode reporting, errors for
 * modes that cannot run, what stays on the CPU, transfer counts, the kernel cache,
 * dispose/finalization, and flat memory over a long training loop.
 */

let mode = '';
beforeAll(() => {
  mode = useGpu();
});

describe('registration and modes', () => {
  it("import '@tsgrad/gpu' registers 'gpu'; backendInfo() reports it with the mode that runs", () => {
    expect(listBackends()).toContain('gpu');
    const info = backendInfo();
    expect(info.backend).toBe('gpu');
    expect(info['mode']).toBe(mode);
    expect(GPU_MODES).toContain(info['mode']);
    expect(String(info['modeReason'])).toMatch(new RegExp(`${mode}`));
    console.log(`[@tsgrad/gpu] backendInfo: ${JSON.stringify({ mode: info['mode'], reason: info['modeReason'] })}`);
  });

  it("'auto' prefers a real GL context and says what it chose (and why not GL)", () => {
    const choice = chooseMode('auto');
    expect(choice.reason).toMatch(/^auto: chose (headlessgl|webasm)/);
    if (modeAvailability('headlessgl').available) expect(choice.mode).toBe('headlessgl');
    else expect(choice.reason).toMatch(/headlessgl unavailable: .+/);
  });

  it('a mode asked for and not available is an error that says why, never a fall back', () => {
    const before = getBackend();
    const webgl2 = new GpuBackend({ name: 'gpu-webgl2-test', mode: 'webgl2' });
    registerBackend(webgl2);
    expect(() => setBackend('gpu-webgl2-test')).toThrow(BackendError);
    expect(() => setBackend('gpu-webgl2-test')).toThrow(/mode 'webgl2' is not available: webgl2 needs a browser/);
    expect(getBackend()).toBe(before);
    expect(() => webgl2.info()).toThrow(/webgl2 needs a browser/);
    const gl = modeAvailability('headlessgl');
    if (!gl.available) {
      expect(() => new GpuBackend({ mode: 'headlessgl' }).activate()).toThrow(/mode 'headlessgl' is not available: .*(xvfb-run|setup:gl|display)/);
    }
  });

  it('unknown and unsupported modes are rejected by name', () => {
    expect(() => new GpuBackend({ mode: 'webgpu' })).toThrow(/'webgpu' is not supported by @tsgrad\/gpu/);
    expect(() => new GpuBackend({ mode: 'fast' })).toThrow(/expected one of headlessgl, webgl2, webgl, webasm or auto, got 'fast'/);
    expect(() => new GpuBackend({ mode: 'cpu' })).toThrow(/setBackend\('cpu'\)/);
  });

  it('the running mode cannot be switched under live tensors', () => {
    expect(() => setGpuMode(mode as 'webasm')).not.toThrow();
    const other = mode === 'webasm' ? 'headlessgl' : 'webasm';
    expect(() => setGpuMode(other as 'webasm')).toThrow(/already runs in mode/);
  });
});

describe('dtypes: float32 (and bool) on the gpu, int32 on the host (WebAssembly), float64 on the CPU', () => {
  it('int32 tensors live on the host backend, float64 on the CPU reference; moves are counted', () => {
    const host = hostBackend().name;
    expect(host).toBe('wasm'); // Node ≥ 20.19 runs WebAssembly SIMD
    const f64 = tensor([1, 2, 3], { dtype: 'float64' });
    const i32 = tensor([1, 2, 3], { dtype: 'int32' });
    const f32 = tensor([1, 2, 3]);
    expect(f64.device).toBe('cpu');
    expect(i32.device).toBe(host);
    expect(f32.device).toBe('gpu');
    expect(f64.exp().device).toBe('cpu');
    expect(f64.sum().device).toBe('cpu');
    expect(i32.add(1).device).toBe(host);
    expect(i32.sum().dtype).toBe('int32');
    expect(f32.gt(1).device).toBe('gpu');
    // Promotion to float64 moves the float32 operand to the CPU: one counted transfer.
    resetTransferStats();
    const mixed = f32.add(f64);
    expect(transferStats()).toEqual({ count: 1, bytes: 3 * 4 });
    expect(mixed.dtype).toBe('float64');
    expect(mixed.device).toBe('cpu');
    expect(Array.from(mixed.dataSync())).toEqual([2, 4, 6]);
    // A cast to int32 runs on the host; back to float32 returns to the gpu on the next op.
    expect(f32.to('int32').device).toBe(host);
    expect(f32.to('float64').device).toBe('cpu');
    expect(gpu.supportsDType('float64')).toBe(false);
    expect(gpu.supportsDType('int32')).toBe(false);
  });
});

describe('data stays on the device', () => {
  it('softmax-cross-entropy forward+backward: 1 upload (the labels, reused by the backward scatterAdd), 0 readbacks until read', () => {
    manualSeed(3);
    const x = randn([16, 10]).requiresGrad_();
    const y = tensor(Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 10));
    gpu.resetStats();
    const loss = crossEntropy(x, y);
    loss.backward();
    const s = gpu.stats();
    expect(loss.device).toBe('gpu');
    expect(x.grad!.device).toBe('gpu');
    expect(s.uploads).toBe(1);
    expect(s.indexCacheHits).toBe(1);
    expect(s.readbacks).toBe(0);
    loss.item();
    x.grad!.dataSync();
    expect(gpu.stats().readbacks).toBe(2);
    console.log(`[@tsgrad/gpu] softmax-CE fwd+bwd: ${s.kernelRuns} kernels, ${s.uploads} uploads, ${s.readbacks} readbacks`);
    // The next step with the same labels uploads nothing.
    x.grad = null;
    gpu.resetStats();
    crossEntropy(x, y).backward();
    expect(gpu.stats().uploads).toBe(0);
    expect(gpu.stats().indexCacheHits).toBe(2);
  });

  it('index uploads are reused by content only: labels changed in place, or other labels, are uploaded again', () => {
    const x = tensor(values(40, 8)).reshape([4, 10]);
    const y = tensor(Int32Array.from([1, 2, 3, 4]));
    const want = (labels: number[]) => labels.map((c, i) => x.dataSync()[i * 10 + c]!);
    const pick = () => Array.from(gather(x, 1, y.unsqueeze(1)).squeeze(1).dataSync());
    expect(pick()).toEqual(want([1, 2, 3, 4]));
    gpu.resetStats();
    expect(pick()).toEqual(want([1, 2, 3, 4]));
    expect(gpu.stats()).toMatchObject({ uploads: 0, indexCacheHits: 1 });
    // Same length, same hash bucket is irrelevant: values differ → a new upload.
    y.slice(0, 2, 3).assign_(tensor(Int32Array.from([9])));
    gpu.resetStats();
    expect(pick()).toEqual(want([1, 2, 9, 4]));
    expect(gpu.stats()).toMatchObject({ uploads: 1, indexCacheHits: 0 });
    // Disposing a tensor that used a kept upload leaves the kept copy usable.
    const g = gather(x, 1, y.unsqueeze(1));
    g.dispose();
    expect(pick()).toEqual(want([1, 2, 9, 4]));
  });

  it('probability targets: the whole chain is on the device (1 upload for the target)', () => {
    const x = tensor(values(40, 1)).reshape([4, 10]).detach().requiresGrad_();
    const tHost = values(40, 2, { lo: 0, hi: 1 });
    gpu.resetStats();
    const t = tensor(tHost).reshape([4, 10]).softmax(1);
    const loss = crossEntropy(x, t);
    loss.backward();
    expect(gpu.stats().uploads).toBe(1);
    expect(gpu.stats().readbacks).toBe(0);
  });

  it('small ops run on the host (WebAssembly) when minElements says the host is faster', () => {
    const x = tensor(values(100, 4));
    gpu.minElements = 1000;
    try {
      expect(x.exp().device).toBe(hostBackend().name);
      const big = tensor(values(2000, 5));
      expect(big.exp().device).toBe('gpu');
    } finally {
      gpu.minElements = 0;
    }
  });
});

describe('fusion: elementwise ops are computed inside the kernel that needs them', () => {
  it('a chain of four transcendental ops is one kernel; a softmax is three (max, logSumExp, the rest)', () => {
    const x = tensor(values(4096, 1));
    gpu.resetStats();
    const y = x.tanh().exp().log1p().sigmoid();
    expect(gpu.stats().kernelRuns).toBe(0);
    y.dataSync();
    expect(gpu.stats().kernelRuns).toBe(1);
    expectClose(y, withBackend('cpu', () => tensor(values(4096, 1)).tanh().exp().log1p().sigmoid()));
    const z = tensor(values(4096, 2)).reshape([64, 64]);
    gpu.resetStats();
    const p = z.softmax(1);
    p.dataSync();
    expect(gpu.stats().kernelRuns).toBe(3);
  });

  it('with fusion off every op is its own kernel, same numbers', () => {
    const b = new GpuBackend({ name: 'gpu-nofuse-test', mode, fuse: false, minElements: 0 });
    registerBackend(b);
    const data = values(600, 4);
    const r = withBackend('gpu-nofuse-test', () => {
      b.resetStats();
      const y = tensor(data).reshape([20, 30]).mul(3).sub(1).exp().logSoftmax(1).sum(0);
      expect(b.stats().kernelRuns).toBeGreaterThan(6);
      return y.dataSync();
    });
    const c = withBackend('cpu', () => tensor(data).reshape([20, 30]).mul(3).sub(1).exp().logSoftmax(1).sum(0).dataSync());
    r.forEach((v, i) => expect(Math.abs(v - c[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(c[i]!)));
  });

  it('long chains are cut into kernels of bounded size', () => {
    let y = tensor(values(100, 5));
    for (let i = 0; i < 100; i++) y = y.mul(1.01).add(0.001);
    let c = withBackend('cpu', () => tensor(values(100, 5)));
    withBackend('cpu', () => { for (let i = 0; i < 100; i++) c = c.mul(1.01).add(0.001); });
    expectClose(y, c, { rtol: 1e-5, atol: 1e-5 });
  });
});

describe('kernel cache and memory', () => {
  it('the kernel cache is bounded; evicted kernels are destroyed once their outputs are released', () => {
    const b = new GpuBackend({ name: `gpu-cache-test`, mode, kernelCacheSize: 3, minElements: 0 });
    registerBackend(b);
    withBackend('gpu-cache-test', () => {
      const kept = [];
      for (let n = 1; n <= 8; n++) {
        const t = tensor(values(n, n));
        const e = t.exp();
        b.evaluate(e);
        kept.push(t, e);
        expect(b.stats().kernelsCached).toBeLessThanOrEqual(3);
      }
      const s = b.stats();
      expect(s.kernelsEvicted).toBe(s.kernelsCompiled - s.kernelsCached);
      expect(s.kernelsEvicted).toBeGreaterThanOrEqual(5);
      // Outputs of evicted kernels still read correctly (GL textures outlive eviction).
      for (let i = 0; i < 8; i++) expect(kept[2 * i + 1]!.dataSync()[0]).toBeCloseTo(Math.exp(values(i + 1, i + 1)[0]!), 5);
      kept.forEach((t) => t.dispose());
      // The inputs were read by recorded ops: the garbage collector frees those.
      if (b.info()['syncCollection']) b.collectGarbage();
      const after = b.stats();
      expect(after.kernelsPendingDestroy).toBe(0);
      expect(after.kernelsDestroyed).toBe(after.kernelsEvicted);
    });
  });

  it('dispose() frees device memory at once; a disposed tensor cannot be read; dispose is idempotent', () => {
    const before = gpu.stats().liveArrays;
    const t = tensor(values(1000, 1));
    const u = t.exp();
    gpu.evaluate(u);
    expect(gpu.stats().liveArrays).toBe(before + 2);
    u.dispose();
    u.dispose();
    expect(gpu.stats().liveArrays).toBe(before + 1);
    expect(() => u.dataSync()).toThrow(/disposed/);
    expect(() => u.add(1)).toThrow(/disposed/);
    t.dispose();
    // t's buffer was read by the recorded exp: it is freed by the garbage collector.
    if (gpu.info()['syncCollection']) {
      gpu.collectGarbage();
      expect(gpu.stats().liveArrays).toBeLessThanOrEqual(before);
    }
    const w = tensor(values(10, 2));
    const before2 = gpu.stats().liveArrays;
    w.dispose();
    expect(gpu.stats().liveArrays).toBe(before2 - 1);
    withBackend('cpu', () => tensor([1]).dispose());
    const z = zeros([3]);
    z.dispose();
  });

  it('disposing an input of a not yet computed result is safe (the result keeps what it reads)', () => {
    const t = tensor(values(100, 3));
    const u = t.mul(2).exp();
    t.dispose();
    expect(() => t.dataSync()).toThrow(/disposed/);
    expectClose(u, withBackend('cpu', () => tensor(values(100, 3)).mul(2).exp()));
  });

  it('tensors that become garbage release their device memory (FinalizationRegistry)', () => {
    const s0 = gpu.stats();
    (() => {
      for (let i = 0; i < 50; i++) gpu.evaluate(tensor(values(64, i)).exp());
    })();
    expect(gpu.stats().liveArrays).toBeGreaterThanOrEqual(s0.liveArrays + 100);
    if (!gpu.info()['syncCollection']) return;
    gpu.collectGarbage();
    const s1 = gpu.stats();
    expect(s1.finalized).toBeGreaterThanOrEqual(s0.finalized + 100);
    expect(s1.liveArrays).toBeLessThanOrEqual(s0.liveArrays + 2);
  });

  it('a 10,000-step training loop holds device arrays and resident memory flat', () => {
    manualSeed(1);
    const x = tensor(values(64, 7)).reshape([16, 4]).detach();
    const target = tensor(values(16, 8, { lo: 0, hi: 1, integers: true }));
    const w = tensor(values(4, 9)).detach().requiresGrad_();
    const steps = 10_000;
    let rssAt1000 = 0;
    let maxLive = 0;
    const t0 = performance.now();
    for (let step = 0; step < steps; step++) {
      // Logistic regression: sigmoid BCE written out, so each step is ~10 small kernels.
      const p = x.matmul(w).sigmoid();
      const loss = p.sub(target).square().mean();
      loss.backward();
      w.assign_(w.detach().sub(w.grad!.mul(0.5)));
      w.grad = null;
      if (step === 1000) rssAt1000 = process.memoryUsage().rss;
      if (step % 100 === 0) maxLive = Math.max(maxLive, gpu.stats().liveArrays);
    }
    const ms = performance.now() - t0;
    const rssGrowth = (process.memoryUsage().rss - rssAt1000) / 2 ** 20;
    console.log(`[@tsgrad/gpu] ${mode}: 10k steps in ${(ms / 1000).toFixed(1)} s, RSS +${rssGrowth.toFixed(1)} MiB after step 1000, max live arrays ${maxLive}, ${JSON.stringify({ finalized: gpu.stats().finalized, collections: gpu.stats().pressureCollections })}`);
    expect(maxLive).toBeLessThan(8192 + 2000);
    expect(rssGrowth).toBeLessThan(64);
    const loss = x.matmul(w).sigmoid().sub(target).square().mean().item();
    expect(Number.isFinite(loss)).toBe(true);
  }, 120_000);
});

describe('parity spot-check through the registered backend', () => {
  it('exp on a strided view', () => {
    const p = pair([3, 4], values(12, 1));
    expectClose(p.gpu.T.exp(), withBackend('cpu', () => p.cpu.T.exp()));
  });
});
