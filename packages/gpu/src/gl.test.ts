import { describe, expect, it } from 'vitest';
import { registerBackend, tensor } from '@tsgrad/tensor';
import { GpuBackend, modeAvailability } from './index.js';
import { expectClose, REDUCTION, values, withBackend } from './test-support.js';

/*
 * The headless GL mode in a plain `npm test`: it needs the optional `gl` addon
 * built (npm run setup:gl) and an X display (xvfb-run -a). Where either is missing
 * the test is reported as skipped with the reason in its name; CI runs the whole
 * gpu suite in headlessgl mode under xvfb (npm run test:gpu:gl).
 */

const gl = modeAvailability('headlessgl');
const title = 'headlessgl mode: exp, softmax and a 3000-long reduction match the CPU';

describe('headlessgl', () => {
  if (!gl.available) {
    console.warn(`[@tsgrad/gpu] headlessgl tests NOT RUN: ${gl.reason}`);
    it.skip(`${title} — NOT RUN: ${gl.reason}`, () => {});
    return;
  }
  it(title, () => {
    const b = new GpuBackend({ name: 'gpu-headlessgl-smoke', mode: 'headlessgl', minElements: 0 });
    registerBackend(b);
    expect(b.mode).toBe('headlessgl');
    const data = values(3 * 3000, 1);
    const c = withBackend('cpu', () => tensor(data).reshape([3, 3000]));
    const g = withBackend('gpu-headlessgl-smoke', () => tensor(data).reshape([3, 3000]));
    expect(g.device).toBe('gpu-headlessgl-smoke');
    expectClose(g.exp(), withBackend('cpu', () => c.exp()));
    expectClose(g.softmax(1), withBackend('cpu', () => c.softmax(1)), REDUCTION);
    expectClose(g.logSumExp(1), withBackend('cpu', () => c.logSumExp(1)), REDUCTION);
    expect(Array.from(withBackend('gpu-headlessgl-smoke', () => tensor(new Float32Array(3000).fill(1)).sum()).dataSync())).toEqual([3000]);
  });
});
