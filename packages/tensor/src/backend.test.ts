import { describe, expect, it } from 'vitest';
import {
  tensor, backendInfo, setBackend, getBackend, listBackends, registerBackend, BackendError, CpuBackend, CpuStorage,
  type Backend, type View,
} from './index.js';

/* Backend selection and reporting. */

describe('backend', () => {
  it('backendInfo() reports the backend that runs and why it was chosen: wasm by default where SIMD runs', () => {
    const env = process.env['TSGRAD_BACKEND'];
    const info = backendInfo();
    expect(info.backend).toBe(getBackend().name);
    if (env) {
      expect(info.backend).toBe(env);
      // The gpu suites' setup selects the backend by name as well.
      expect([`TSGRAD_BACKEND=${env}`, `setBackend('${env}')`]).toContain(info.reason);
    } else {
      // Node >= 20.19 has WebAssembly SIMD: the WebAssembly backend is the default.
      expect(info).toMatchObject({ backend: 'wasm', simd: true, reason: 'default: WebAssembly SIMD is available' });
      expect(typeof info['relaxedSimd']).toBe('boolean');
      // `npm run test:relaxed` forces the relaxed-SIMD kernels: prove they are the ones running.
      if (process.env['TSGRAD_WASM_RELAXED'] === '1') expect(info).toMatchObject({ relaxedSimd: true, mode: 'wasm-relaxed-simd' });
      if (process.env['TSGRAD_WASM_RELAXED'] === '0') expect(info).toMatchObject({ relaxedSimd: false, mode: 'wasm-simd' });
    }
    if (info.backend === 'cpu') expect(info).toMatchObject({ backend: 'cpu', mode: 'js' });
  });

  it("setBackend records why: backendInfo().reason is \"setBackend('…')\"", () => {
    const before = getBackend();
    setBackend('cpu');
    expect(backendInfo().reason).toBe("setBackend('cpu')");
    setBackend(before.name);
  });

  it('the CPU backend is registered and selectable by name', () => {
    expect(listBackends()).toContain('cpu');
    const before = getBackend();
    setBackend('cpu');
    expect(getBackend()).toBeInstanceOf(CpuBackend);
    expect(backendInfo().backend).toBe('cpu');
    const t = tensor([1, 2]);
    expect(t.device).toBe('cpu');
    expect(t.storage).toBeInstanceOf(CpuStorage);
    setBackend(before.name);
  });

  it("setBackend('nope') throws a BackendError listing the available backends", () => {
    const before = getBackend();
    let err: unknown = null;
    try {
      setBackend('nope');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BackendError);
    const message = (err as Error).message;
    expect(message).toContain('setBackend');
    expect(message).toContain("'nope'");
    for (const name of listBackends()) expect(message).toContain(name);
    expect(getBackend()).toBe(before);
  });

  it("setBackend('gpu') without the gpu package says how to register it", () => {
    if (listBackends().includes('gpu')) return;
    expect(() => setBackend('gpu')).toThrow(/import '@tsgrad\/gpu'/);
  });
});

describe('asynchronous reads (data(), array())', () => {
  it('resolve to the values dataSync()/toArray() give, strided views and 0-d included', async () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]).transpose(0, 1);
    expect(Array.from(await t.data())).toEqual(Array.from(t.dataSync()));
    expect(await t.array()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(await tensor(7, { dtype: 'int32' }).array()).toBe(7);
    expect((await tensor([true, false]).data())).toBeInstanceOf(Uint8Array);
  });

  it("use the backend's readAsync when it has one, and reject with its error", async () => {
    const base = new CpuBackend();
    let calls = 0;
    const asyncCpu = Object.create(base, {
      name: { value: 'cpu-async-test' },
      readAsync: {
        value: (v: View) => {
          calls++;
          if (v.shape.length === 0) return Promise.reject(new BackendError('readAsync: nothing to read'));
          return Promise.resolve(base.read(v));
        },
      },
    }) as Backend;
    registerBackend(asyncCpu);
    const before = getBackend().name;
    setBackend('cpu-async-test');
    try {
      const t = tensor([1.5, 2.5]).mul(2);
      expect(t.device).toBe('cpu-async-test');
      expect(Array.from(await t.data())).toEqual([3, 5]);
      expect(await t.array()).toEqual([3, 5]);
      expect(calls).toBe(2);
      await expect(tensor(1).data()).rejects.toThrow('readAsync: nothing to read');
    } finally {
      setBackend(before);
    }
  });
});
