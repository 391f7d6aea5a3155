/**
 * safetensors round trips: every dtype, odd shapes (0-d, zero-size, views), metadata,
 * the byte layout the format prescribes, the Node file forms, and bad input to the
 * writers.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BackendError, DTypeError, Tensor, ValueError, arange, tensor, zeros, type DType } from '@tsgrad/tensor';
import { arbNonContiguous, arbShape, arbTensor } from '@tsgrad/testing';
import {
  deserializeSafetensors, loadSafetensors, parseSafetensorsHeader, saveSafetensors, serializeSafetensors,
} from '../index.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tsgrad-safetensors-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function expectSameTensor(actual: Tensor | undefined, expected: Tensor): void {
  expect(actual).toBeInstanceOf(Tensor);
  expect(actual!.dtype).toBe(expected.dtype);
  expect(actual!.shape).toEqual(expected.shape);
  // Object.is semantics: NaN, -0 and ±Infinity must survive bit for bit.
  expect(Array.from(actual!.dataSync())).toEqual(Array.from(expected.dataSync()));
}

const headerText = (bytes: Uint8Array) => {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return new TextDecoder().decode(bytes.subarray(8, 8 + n));
};

describe('serializeSafetensors / deserializeSafetensors: round trips', () => {
  it('keeps every dtype, value and shape, including special floats', () => {
    const state = {
      f32: tensor([[1.5, -0, NaN], [Infinity, -Infinity, 3.4028234663852886e38]]),
      f64: tensor([Math.PI, -1e-300, 5e-324, Number.MAX_VALUE], { dtype: 'float64' }),
      i32: tensor([-2147483648, 2147483647, 0, -1, 7], { dtype: 'int32' }),
      b: tensor([[true, false], [false, true], [true, true]]),
    };
    const back = deserializeSafetensors(serializeSafetensors(state));
    expect(Object.keys(back).sort()).toEqual(Object.keys(state).sort());
    for (const [k, t] of Object.entries(state)) expectSameTensor(back[k], t);
  });

  it('handles 0-d tensors (shape []) and zero-size tensors of every dtype', () => {
    const state: Record<string, Tensor> = {
      scalar: tensor(2.5),
      scalarInt: tensor(-3, { dtype: 'int32' }),
      scalarBool: tensor(true),
      empty: zeros([0]),
      emptyMiddle: zeros([3, 0, 2], { dtype: 'float64' }),
      emptyInt: zeros([0, 4], { dtype: 'int32' }),
      emptyBool: zeros([2, 0], { dtype: 'bool' }),
    };
    const bytes = serializeSafetensors(state);
    const header = JSON.parse(headerText(bytes)) as Record<string, { shape: number[]; data_offsets: [number, number] }>;
    expect(header['scalar']!.shape).toEqual([]);
    expect(header['emptyMiddle']!.shape).toEqual([3, 0, 2]);
    const [b, e] = header['empty']!.data_offsets;
    expect(e - b).toBe(0);
    const back = deserializeSafetensors(bytes);
    for (const [k, t] of Object.entries(state)) expectSameTensor(back[k], t);
  });

  it('saves non-contiguous views (transposed, stepped, broadcast) in logical row-major order', () => {
    const base = arange(0, 24, 1, { dtype: 'float32' }).reshape([2, 3, 4]);
    const state = {
      transposed: base.permute([2, 0, 1]),
      stepped: base.slice(2, 1, 4, 2),
      broadcast: tensor([1, 2, 3], { dtype: 'int32' }).reshape([3, 1]).expand([3, 5]),
    };
    const back = deserializeSafetensors(serializeSafetensors(state));
    for (const [k, t] of Object.entries(state)) expectSameTensor(back[k], t.contiguous());
    expect(back['transposed']!.toArray()).toEqual(base.permute([2, 0, 1]).toArray());
  });

  it('round-trips random tensors and views of every dtype (property)', () => {
    const arbAny = fc.constantFrom<DType>('float32', 'float64', 'int32', 'bool').chain((dtype) =>
      fc.oneof(
        arbTensor({ dtype, shapeArb: arbShape({ maxRank: 4, minSize: 0 }) }),
        arbNonContiguous({ dtype, shapeArb: arbShape({ minRank: 1, maxRank: 3, minSize: 2 }) }),
      ),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__metadata__'), arbAny, { maxKeys: 5 }), (state) => {
        const back = deserializeSafetensors(serializeSafetensors(state));
        expect(Object.keys(back).sort()).toEqual(Object.keys(state).sort());
        for (const [k, t] of Object.entries(state)) expectSameTensor(back[k], t);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps awkward names as ordinary keys (dots, unicode, __proto__)', () => {
    const state: Record<string, Tensor> = {};
    for (const name of ['layers.0.weight', 'ünïcødé 名前', '__proto__', 'constructor', '']) {
      Object.defineProperty(state, name, { value: tensor([name.length]), enumerable: true });
    }
    const back = deserializeSafetensors(serializeSafetensors(state));
    expect(Object.keys(back).sort()).toEqual(Object.keys(state).sort());
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expectSameTensor(back['__proto__'], tensor([9]));
  });

  it('returns fresh tensors that do not alias the bytes', () => {
    const bytes = serializeSafetensors({ w: tensor([1, 2, 3]) });
    const back = deserializeSafetensors(bytes);
    bytes.fill(0, bytes.length - 12);
    expect(Array.from(back['w']!.dataSync())).toEqual([1, 2, 3]);
    expect(back['w']!.requiresGrad).toBe(false);
  });

  it('reads a buffer that is a view at an odd offset into a larger one', () => {
    const bytes = serializeSafetensors({ a: tensor([1, 2], { dtype: 'float64' }), b: tensor([7], { dtype: 'int32' }) });
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    const back = deserializeSafetensors(host.subarray(3));
    expectSameTensor(back['a'], tensor([1, 2], { dtype: 'float64' }));
    expectSameTensor(back['b'], tensor([7], { dtype: 'int32' }));
  });
});

describe('serializeSafetensors: the byte layout', () => {
  it('writes exactly the bytes the format description gives for a small dict', () => {
    const bytes = serializeSafetensors({ a: tensor([1, -2]) });
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(json.length).toBe(54);
    const expected = new Uint8Array(8 + 56 + 8);
    expected.set([56, 0, 0, 0, 0, 0, 0, 0], 0); // u64 LE header length, padded 54 → 56
    expected.set(new TextEncoder().encode(json + '  '), 8);
    expected.set([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0], 64); // 1.0f, -2.0f little-endian
    expect(Array.from(bytes)).toEqual(Array.from(expected));
  });

  it('pads the header with spaces to 8-byte alignment and packs tensors by dtype width then name, without gaps', () => {
    const state = {
      z_bool: tensor([true, false, true]),
      b_f32: tensor([1, 2, 3]),
      a_i32: tensor([4], { dtype: 'int32' }),
      y_f64: tensor([5], { dtype: 'float64' }),
      a_f32: tensor([[6]]),
    };
    const bytes = serializeSafetensors(state, { format: 'pt', note: 'ünïcødé' });
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const n = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect((8 + n) % 8).toBe(0);
    const text = headerText(bytes);
    expect(text).toMatch(/^\{.*\} *$/);
    expect(text.trimEnd().length).toBeGreaterThan(n - 8);
    const header = JSON.parse(text) as Record<string, unknown>;
    expect(header['__metadata__']).toEqual({ format: 'pt', note: 'ünïcødé' });
    const entries = Object.entries(header).filter(([k]) => k !== '__metadata__') as [string, { dtype: string; data_offsets: [number, number] }][];
    const order = [...entries]
      .sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0])
      .map(([k, v]) => `${k}:${v.dtype}`);
    expect(order).toEqual(['y_f64:F64', 'a_f32:F32', 'b_f32:F32', 'a_i32:I32', 'z_bool:BOOL']);
    const sizes: Record<string, number> = { F64: 8, F32: 4, I32: 4, BOOL: 1 };
    let end = 0;
    for (const [, v] of entries) {
      expect(v.data_offsets[0] % sizes[v.dtype]!).toBe(0);
      end = Math.max(end, v.data_offsets[1]);
    }
    expect(8 + n + end).toBe(bytes.length);
  });

  it('writes BOOL as one byte per element, 0 or 1', () => {
    const bytes = serializeSafetensors({ m: tensor([true, false, true, true]) });
    expect(Array.from(bytes.subarray(bytes.length - 4))).toEqual([1, 0, 1, 1]);
  });

  it('writes an empty dict as a valid file with an empty header object', () => {
    const bytes = serializeSafetensors({});
    expect(headerText(bytes).trimEnd()).toBe('{}');
    expect(bytes.length).toBe(16);
    expect(deserializeSafetensors(bytes)).toEqual({});
  });

  it('parseSafetensorsHeader reports names, dtypes, shapes, offsets and metadata without decoding', () => {
    const bytes = serializeSafetensors({ w: zeros([2, 3]), s: tensor(1, { dtype: 'int32' }) }, { epoch: '3' });
    const h = parseSafetensorsHeader(bytes);
    expect(h.metadata).toEqual({ epoch: '3' });
    expect(h.tensors['w']).toEqual({ dtype: 'F32', shape: [2, 3], dataOffsets: [0, 24] });
    expect(h.tensors['s']).toEqual({ dtype: 'I32', shape: [], dataOffsets: [24, 28] });
    expect(h.dataStart % 8).toBe(0);
  });
});

describe('serializeSafetensors: bad input throws before anything is encoded', () => {
  it.each([
    [null, "argument 'stateDict' expected an object of Tensors"],
    [tensor([1]), "argument 'stateDict' expected an object of Tensors keyed by name, got a Tensor"],
    [{ w: [1, 2] }, "entry 'w' expected a Tensor, got an array"],
    [{ w: tensor([1]), __metadata__: tensor([2]) }, "entry named '__metadata__'"],
  ])('%#: %s', (state, message) => {
    expect(() => serializeSafetensors(state as unknown as Record<string, Tensor>)).toThrow(ValueError);
    expect(() => serializeSafetensors(state as unknown as Record<string, Tensor>)).toThrow(message);
  });

  it('rejects metadata values that are not strings, naming the entry', () => {
    const call = () => serializeSafetensors({ w: tensor([1]) }, { epoch: 3 as unknown as string });
    expect(call).toThrow(ValueError);
    expect(call).toThrow("serializeSafetensors: argument 'metadata' entry 'epoch' expected a string");
  });

  it('rejects a tensor whose dtype is not one of the four', () => {
    const t = tensor([1]);
    Object.defineProperty(t, 'dtype', { value: 'int64' });
    expect(() => serializeSafetensors({ t })).toThrow(DTypeError);
  });
});

describe('saveSafetensors / loadSafetensors (Node files)', () => {
  it('round-trips through a file and leaves no temporary files behind', () => {
    const dir = tempDir();
    const path = join(dir, 'model.safetensors');
    const state = { 'fc.weight': tensor([[1, 2], [3, 4]]), 'fc.bias': tensor([0.5, -0.5]), steps: tensor(12, { dtype: 'int32' }) };
    saveSafetensors(state, path, { format: 'pt' });
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
    expect(Array.from(readFileSync(path))).toEqual(Array.from(serializeSafetensors(state, { format: 'pt' })));
    const back = loadSafetensors(path);
    for (const [k, t] of Object.entries(state)) expectSameTensor(back[k], t);
  });

  it('overwrites an existing file atomically (rename into place)', () => {
    const dir = tempDir();
    const path = join(dir, 'm.safetensors');
    saveSafetensors({ a: tensor([1]) }, path);
    saveSafetensors({ b: tensor([2, 3]) }, path);
    expect(Object.keys(loadSafetensors(path))).toEqual(['b']);
    expect(readdirSync(dir)).toEqual(['m.safetensors']);
  });

  it('names the path when a file cannot be read or written, and writes nothing on bad input', () => {
    const dir = tempDir();
    expect(() => loadSafetensors(join(dir, 'missing.safetensors'))).toThrow(/loadSafetensors: argument 'path' '.*missing\.safetensors' could not be read/);
    expect(() => saveSafetensors({ a: tensor([1]) }, join(dir, 'no', 'such', 'folder.safetensors'))).toThrow(/saveSafetensors: argument 'path' '.*folder\.safetensors' could not be written/);
    const target = join(dir, 'bad.safetensors');
    expect(() => saveSafetensors({ a: 'nope' as unknown as Tensor }, target)).toThrow("saveSafetensors: argument 'stateDict' entry 'a' expected a Tensor");
    expect(() => saveSafetensors({ a: tensor([1]) }, '')).toThrow("saveSafetensors: argument 'path' expected a non-empty file path");
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports a malformed file under loadSafetensors with its path', () => {
    const path = join(tempDir(), 'junk.safetensors');
    writeFileSync(path, 'not a safetensors file at all');
    expect(() => loadSafetensors(path)).toThrow(ValueError);
    expect(() => loadSafetensors(path)).toThrow(/^loadSafetensors: file '.*junk\.safetensors' is not a valid safetensors file: the header length is \d+ bytes but only 21 bytes follow it/);
  });

  it('outside Node (no process.getBuiltinModule) the file forms throw a BackendError pointing to the byte forms', () => {
    const proc = process as unknown as { getBuiltinModule?: unknown };
    const original = proc.getBuiltinModule;
    proc.getBuiltinModule = undefined;
    try {
      expect(() => saveSafetensors({ a: tensor([1]) }, 'x.safetensors')).toThrow(BackendError);
      expect(() => saveSafetensors({ a: tensor([1]) }, 'x.safetensors')).toThrow('use serializeSafetensors (bytes) instead');
      expect(() => loadSafetensors('x.safetensors')).toThrow('use deserializeSafetensors (bytes) instead');
    } finally {
      proc.getBuiltinModule = original;
    }
    expect(existsSync('x.safetensors')).toBe(false);
  });
});
