import { afterEach, describe, expect, it } from 'vitest';
import { BackendError } from '../errors.js';
import type { ModuleBuilder } from './builder.js';
import { WasmRuntime } from './runtime.js';

/** A kernel `f` returning `value`. */
const constant = (value: number) => (m: ModuleBuilder) => m.func('f', [], ['i32'], (f) => f.i32.const(value));

describe('wasm runtime: kernel cache', () => {
  const saved = process.env['TSGRAD_WASM_VERIFY_KEYS'];
  afterEach(() => {
    if (saved === undefined) delete process.env['TSGRAD_WASM_VERIFY_KEYS'];
    else process.env['TSGRAD_WASM_VERIFY_KEYS'] = saved;
  });

  it('builds a kernel once per key and reuses it', () => {
    delete process.env['TSGRAD_WASM_VERIFY_KEYS'];
    const rt = new WasmRuntime({ relaxed: false, cacheLimit: 8 });
    let builds = 0;
    const build = (m: ModuleBuilder) => {
      builds++;
      constant(7)(m);
    };
    expect(rt.kernel('seven', build)['f']!()).toBe(7);
    expect(rt.kernel('seven', build)['f']!()).toBe(7);
    expect(builds).toBe(1);
    expect(rt.cacheStats()).toMatchObject({ compiled: 1, hits: 1 });
  });

  it('with TSGRAD_WASM_VERIFY_KEYS=1, two different kernels under one key are an error on the second use', () => {
    process.env['TSGRAD_WASM_VERIFY_KEYS'] = '1';
    const rt = new WasmRuntime({ relaxed: false, cacheLimit: 8 });
    expect(rt.kernel('k', constant(1))['f']!()).toBe(1);
    expect(rt.kernel('k', constant(1))['f']!()).toBe(1); // the same kernel again: fine
    expect(() => rt.kernel('k', constant(2))).toThrow(BackendError);
    expect(() => rt.kernel('k', constant(2))).toThrow(/two different kernels share the cache key 'k'/);
  });

  it('without it, a hit is not rebuilt (the check costs a build per call)', () => {
    delete process.env['TSGRAD_WASM_VERIFY_KEYS'];
    const rt = new WasmRuntime({ relaxed: false, cacheLimit: 8 });
    rt.kernel('k', constant(1));
    let rebuilt = false;
    expect(rt.kernel('k', (m) => {
      rebuilt = true;
      constant(2)(m);
    })['f']!()).toBe(1);
    expect(rebuilt).toBe(false);
  });
});
