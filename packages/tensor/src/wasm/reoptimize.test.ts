import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * V8 keeps the optimised code of a closure only while an instance of it lives: a closure
 * created per call (an arrow passed to map/every/forEach, a callback per op) loses its
 * code at every full garbage collection and is optimised again on V8's background
 * threads. A training loop without tidy() collects every few dozen steps (the wasm
 * backend forces it to free unreachable tensors' memory), so at a0f156e ~20 such
 * closures of the recording, planning and backward paths were recompiled after every
 * collection: ≈ 1.2 s of compiler time per 8 s of 2-thread training, on the core the
 * worker thread needs. The hot paths now make no closures per call; this guards it by
 * counting optimisations (--trace-opt) in a settled loop that forces a full
 * collection every 20 steps. Not a timing: a count of compiler events.
 */

const here = fileURLToPath(new URL('.', import.meta.url));

const child = (index: string) => `
const { setBackend, setNumThreads, tensor, noGrad, evaluate, wasm } = await import(${JSON.stringify(index)});
setBackend('wasm');
setNumThreads(1);
const B = 32, IN = 64, H = 32, OUT = 10;
const r = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.3);
const x = tensor(r(B * IN, 1), { shape: [B, IN] });
const t = tensor(Int32Array.from({ length: B }, (_, i) => i % OUT), { dtype: 'int32' });
const params = [tensor(r(IN * H, 2), { shape: [IN, H], requiresGrad: true }), tensor(r(H, 3), { requiresGrad: true }),
  tensor(r(H * OUT, 4), { shape: [H, OUT], requiresGrad: true }), tensor(r(OUT, 5), { requiresGrad: true })];
function step() {
  const [w1, b1, w2, b2] = params;
  const loss = x.matmul(w1).add(b1).relu().matmul(w2).add(b2).logSoftmax(1).gather(1, t.unsqueeze(1)).mean().neg();
  loss.backward();
  noGrad(() => { for (const p of params) { p.assign_(p.sub(p.grad.mul(0.05))); p.grad = null; } });
  evaluate(loss, ...params);
}
const cycle = () => { for (let i = 0; i < 20; i++) step(); wasm.collectGarbage(); };
for (let c = 0; c < 100; c++) cycle();
console.log('=== MEASURE');
for (let c = 0; c < 20; c++) cycle();
console.log('=== END');
`;

describe('optimised code survives full collections', () => {
  it('a settled training loop without tidy() is not re-optimised after every collection', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsgrad-reopt-'));
    const script = join(dir, 'loop.mts');
    writeFileSync(script, child(resolve(here, '../index.ts')));
    // The child runs the defaults (and without this process's V8 flags): no TSGRAD_* settings
    // of the suite (relaxed SIMD, thread counts, key checks) carry over.
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('TSGRAD_')) delete env[k];
    const r = spawnSync(process.execPath, ['--trace-opt', '--import', 'tsx', script], {
      encoding: 'utf8', timeout: 120_000, cwd: resolve(here, '../../../..'), env, maxBuffer: 64 << 20,
    });
    expect(r.error, 'timed out or failed to start').toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout;
    const from = out.indexOf('=== MEASURE');
    expect(from).toBeGreaterThan(0);
    expect(out).toContain('=== END');
    const after = out.slice(from).split('\n').filter((l) => l.startsWith('[completed optimizing'));
    // At a0f156e: 69–83 optimisations in these 20 collections; now 2 (one-off tier-ups).
    expect(after.length, after.join('\n')).toBeLessThanOrEqual(20);
  }, 150_000);
});
