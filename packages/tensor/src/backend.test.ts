import { describe, expect, it } from 'vitest';
import {
  tensor, backendInfo, setBackend, getBackend, listBackends, BackendError, CpuBackend, CpuStorage,
} from './index';

/* Backend selection and reporting. */

describe('backend', () => {
  it("backendInfo() reports { backend: 'cpu', … } with the CPU backend's details", () => {
    const expected = process.env['TSGRAD_BACKEND'] ?? 'cpu';
    const info = backendInfo();
    expect(info.backend).toBe(expected);
    expect(info.backend).toBe(getBackend().name);
    if (expected === 'cpu') expect(info).toMatchObject({ backend: 'cpu', mode: 'js' });
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
