/**
 * Interoperability: files built byte by byte in this test from the format description
 * (https://github.com/huggingface/safetensors#format) — not with our serializer — load
 * as the description says; and our files read back with a reader written here the
 * same way. Includes the dtypes other writers produce (F16, BF16, I64 as PyTorch stores
 * labels and `num_batches_tracked`, U8, …), other orders and other header padding.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, ValueError, tensor } from '@tsgrad/tensor';
import { mulberry32 } from '@tsgrad/testing';
import { deserializeSafetensors, parseSafetensorsHeader, serializeSafetensors } from '../index.js';

type Writer = (view: DataView, at: number, value: number | bigint) => void;

const WRITERS: Record<string, { size: number; write: Writer }> = {
  F64: { size: 8, write: (v, at, x) => v.setFloat64(at, Number(x), true) },
  F32: { size: 4, write: (v, at, x) => v.setFloat32(at, Number(x), true) },
  I32: { size: 4, write: (v, at, x) => v.setInt32(at, Number(x), true) },
  U32: { size: 4, write: (v, at, x) => v.setUint32(at, Number(x), true) },
  I16: { size: 2, write: (v, at, x) => v.setInt16(at, Number(x), true) },
  U16: { size: 2, write: (v, at, x) => v.setUint16(at, Number(x), true) },
  I8: { size: 1, write: (v, at, x) => v.setInt8(at, Number(x)) },
  U8: { size: 1, write: (v, at, x) => v.setUint8(at, Number(x)) },
  BOOL: { size: 1, write: (v, at, x) => v.setUint8(at, Number(x)) },
  I64: { size: 8, write: (v, at, x) => v.setBigInt64(at, BigInt(x), true) },
  U64: { size: 8, write: (v, at, x) => v.setBigUint64(at, BigInt(x), true) },
  // Raw 16-bit patterns: the test gives the bits, so the expected values are independent of any decoder.
  F16: { size: 2, write: (v, at, x) => v.setUint16(at, Number(x), true) },
  BF16: { size: 2, write: (v, at, x) => v.setUint16(at, Number(x), true) },
};

interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  values: (number | bigint)[];
}

/**
 * An independent safetensors writer: tensors in the given order, the header JSON with
 * keys in the given order, padded with `pad` characters to a multiple of `align`.
 */
function writeFile(tensors: RawTensor[], opts: { metadata?: Record<string, string>; align?: number; metadataLast?: boolean } = {}): Uint8Array {
  let offset = 0;
  const header: [string, unknown][] = [];
  for (const t of tensors) {
    const bytes = t.values.length * WRITERS[t.dtype]!.size;
    header.push([t.name, { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] }]);
    offset += bytes;
  }
  if (opts.metadata) {
    if (opts.metadataLast) header.push(['__metadata__', opts.metadata]);
    else header.unshift(['__metadata__', opts.metadata]);
  }
  let json = '{' + header.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',') + '}';
  const align = opts.align ?? 8;
  while (new TextEncoder().encode(json).length % align !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    const w = WRITERS[t.dtype]!;
    for (const x of t.values) {
      w.write(view, at, x);
      at += w.size;
    }
  }
  return out;
}

/** An independent reader: header JSON and DataView, for checking what our writer emits. */
function readFile(bytes: Uint8Array): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; values: Record<string, number[]> } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const values: Record<string, number[]> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [b, e] = info.data_offsets;
    const out: number[] = [];
    for (let at = 8 + n + b; at < 8 + n + e;) {
      if (info.dtype === 'F32') { out.push(view.getFloat32(at, true)); at += 4; }
      else if (info.dtype === 'F64') { out.push(view.getFloat64(at, true)); at += 8; }
      else if (info.dtype === 'I32') { out.push(view.getInt32(at, true)); at += 4; }
      else if (info.dtype === 'BOOL') { out.push(view.getUint8(at)); at += 1; }
      else throw new Error(`unexpected dtype ${info.dtype}`);
    }
    values[name] = out;
  }
  return { header, values };
}

const data = (t: Tensor | undefined) => Array.from(t!.dataSync());

describe('deserializeSafetensors reads files from an independent writer', () => {
  it('loads F32/F64/I32/BOOL with shapes, in any order, with metadata first or last', () => {
    const tensors: RawTensor[] = [
      { name: 'mask', dtype: 'BOOL', shape: [2, 2], values: [1, 0, 0, 1] }, // unaligned start for what follows: allowed by the format
      { name: 'w', dtype: 'F32', shape: [2, 3], values: [0.5, -1.25, 3, 4, 5, 6] },
      { name: 'labels', dtype: 'I32', shape: [3], values: [2147483647, -2147483648, 0] },
      { name: 'scale', dtype: 'F64', shape: [], values: [Math.E] },
    ];
    for (const metadataLast of [false, true]) {
      const back = deserializeSafetensors(writeFile(tensors, { metadata: { format: 'pt' }, metadataLast }));
      expect(Object.keys(back).sort()).toEqual(['labels', 'mask', 'scale', 'w']);
      expect(back['mask']!.dtype).toBe('bool');
      expect(back['mask']!.toArray()).toEqual([[1, 0], [0, 1]]);
      expect(back['w']!.dtype).toBe('float32');
      expect(back['w']!.toArray()).toEqual([[0.5, -1.25, 3], [4, 5, 6]]);
      expect(back['labels']!.dtype).toBe('int32');
      expect(data(back['labels'])).toEqual([2147483647, -2147483648, 0]);
      expect(back['scale']!.shape).toEqual([]);
      expect(back['scale']!.dtype).toBe('float64');
      expect(back['scale']!.item()).toBe(Math.E);
    }
    expect(parseSafetensorsHeader(writeFile(tensors, { metadata: { format: 'pt', epoch: '7' } })).metadata).toEqual({ format: 'pt', epoch: '7' });
  });

  it('accepts a header that needs no padding, and one padded further than 8 bytes', () => {
    const tensors: RawTensor[] = [{ name: 'x', dtype: 'F32', shape: [1], values: [42] }];
    for (const align of [1, 8, 64]) expect(data(deserializeSafetensors(writeFile(tensors, { align }))['x'])).toEqual([42]);
  });

  it('widens F16 and BF16 exactly to float32 (normals, subnormals, ±0, ±∞, NaN)', () => {
    const f16 = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555];
    const f16Values = [1, -2, 65504, 2 ** -24, 2 ** -14, -0, Infinity, -Infinity, NaN, 0.333251953125];
    const bf16 = [0x3f80, 0xc040, 0x7f7f, 0x0001, 0x8000, 0x7f80, 0x7fc0, 0x4049];
    const bf16Values = [1, -3, 3.3895313892515355e38, 9.183549615799121e-41, -0, Infinity, NaN, 3.140625];
    const back = deserializeSafetensors(writeFile([
      { name: 'h', dtype: 'F16', shape: [f16.length], values: f16 },
      { name: 'b', dtype: 'BF16', shape: [bf16.length], values: bf16 },
    ]));
    expect(back['h']!.dtype).toBe('float32');
    expect(data(back['h'])).toEqual(f16Values);
    expect(back['b']!.dtype).toBe('float32');
    expect(data(back['b'])).toEqual(bf16Values);
  });

  it('loads I64/U64/U32 within int32 range, and 8/16-bit integers, as int32 (PyTorch labels, num_batches_tracked, uint8 images)', () => {
    const back = deserializeSafetensors(writeFile([
      { name: 'bn.num_batches_tracked', dtype: 'I64', shape: [], values: [1234n] },
      { name: 'labels', dtype: 'I64', shape: [4], values: [0n, -1n, 2147483647n, -2147483648n] },
      { name: 'u64', dtype: 'U64', shape: [2], values: [0n, 2147483647n] },
      { name: 'u32', dtype: 'U32', shape: [1], values: [2147483647] },
      { name: 'pixels', dtype: 'U8', shape: [3], values: [0, 128, 255] },
      { name: 'i8', dtype: 'I8', shape: [2], values: [-128, 127] },
      { name: 'i16', dtype: 'I16', shape: [2], values: [-32768, 32767] },
      { name: 'u16', dtype: 'U16', shape: [1], values: [65535] },
    ]));
    for (const t of Object.values(back)) expect(t.dtype).toBe('int32');
    expect(back['bn.num_batches_tracked']!.shape).toEqual([]);
    expect(back['bn.num_batches_tracked']!.item()).toBe(1234);
    expect(data(back['labels'])).toEqual([0, -1, 2147483647, -2147483648]);
    expect(data(back['u64'])).toEqual([0, 2147483647]);
    expect(data(back['u32'])).toEqual([2147483647]);
    expect(data(back['pixels'])).toEqual([0, 128, 255]);
    expect(data(back['i8'])).toEqual([-128, 127]);
    expect(data(back['i16'])).toEqual([-32768, 32767]);
    expect(data(back['u16'])).toEqual([65535]);
  });

  it.each([
    ['I64', 2147483648n, '2147483648'],
    ['I64', -2147483649n, '-2147483649'],
    ['I64', 2n ** 40n, String(2n ** 40n)],
    ['U64', 2n ** 63n, String(2n ** 63n)],
    ['U32', 4294967295, '4294967295'],
  ])('rejects %s value %s outside int32 range, naming tensor, value and element, and loads nothing', (dtype, big, text) => {
    const bytes = writeFile([
      { name: 'ok', dtype: 'F32', shape: [1], values: [1] },
      { name: 'steps', dtype, shape: [3], values: dtype === 'U32' ? [0, 1, big as number] : [0n, 1n, big as bigint] },
    ]);
    expect(() => deserializeSafetensors(bytes)).toThrow(ValueError);
    expect(() => deserializeSafetensors(bytes)).toThrow(`tensor 'steps' (${dtype}) holds ${text} at element 2, outside int32 range`);
  });

  it('names an unsupported dtype and lists the supported ones', () => {
    const bytes = writeFile([{ name: 'q', dtype: 'U8', shape: [2], values: [1, 2] }]);
    const patched = new TextDecoder().decode(bytes).replace('"U8"', '"F8"'); // same length: F8_E4M3 is not loadable
    const b2 = new TextEncoder().encode(patched);
    expect(() => deserializeSafetensors(b2)).toThrow(/tensor 'q' has dtype F8, which tsgrad cannot load; supported: F32, F64, I32, BOOL/);
  });

  it('agrees with a seeded random file of every dtype the writer knows', () => {
    const rand = mulberry32(7);
    const dtypes = ['F64', 'F32', 'I32', 'BOOL', 'U8', 'I8', 'I16', 'U16', 'I64'];
    const tensors: RawTensor[] = dtypes.map((dtype, i) => {
      const shape = [1 + Math.floor(rand() * 3), Math.floor(rand() * 4)];
      const n = shape[0]! * shape[1]!;
      const values = Array.from({ length: n }, () => {
        const u = rand();
        if (dtype === 'F64' || dtype === 'F32') return (u - 0.5) * 100;
        if (dtype === 'BOOL') return u < 0.5 ? 0 : 1;
        if (dtype === 'I64') return BigInt(Math.floor((u - 0.5) * 2 ** 31));
        if (dtype === 'U8') return Math.floor(u * 256);
        if (dtype === 'I8') return Math.floor(u * 256) - 128;
        if (dtype === 'U16') return Math.floor(u * 65536);
        return Math.floor(u * 65536) - 32768;
      });
      return { name: `t${i}_${dtype}`, dtype, shape, values };
    });
    const back = deserializeSafetensors(writeFile(tensors));
    for (const t of tensors) {
      const got = back[t.name]!;
      expect(got.shape).toEqual(t.shape);
      const want = t.values.map((v) => (t.dtype === 'F32' ? Math.fround(Number(v)) : Number(v)));
      expect(data(got)).toEqual(want);
    }
  });
});

describe('serializeSafetensors output read by an independent reader', () => {
  it('has the header fields, shapes, dtypes and little-endian values the format prescribes', () => {
    const state = {
      '0.weight': tensor([[0.1, 0.2, 0.3], [-1, -2, -3]]),
      '0.bias': tensor([0.5, -0.5]),
      'x64': tensor([[1e-310, -7]], { dtype: 'float64' }),
      'ids': tensor([3, -4, 5], { dtype: 'int32' }),
      'flag': tensor(false),
    };
    const { header, values } = readFile(serializeSafetensors(state, { format: 'pt' }));
    expect(header['__metadata__']).toEqual({ format: 'pt' });
    expect(header['0.weight']).toMatchObject({ dtype: 'F32', shape: [2, 3] });
    expect(header['x64']).toMatchObject({ dtype: 'F64', shape: [1, 2] });
    expect(header['ids']).toMatchObject({ dtype: 'I32', shape: [3] });
    expect(header['flag']).toMatchObject({ dtype: 'BOOL', shape: [] });
    expect(values['0.weight']).toEqual([0.1, 0.2, 0.3, -1, -2, -3].map(Math.fround));
    expect(values['0.bias']).toEqual([0.5, -0.5]);
    expect(values['x64']).toEqual([1e-310, -7]);
    expect(values['ids']).toEqual([3, -4, 5]);
    expect(values['flag']).toEqual([0]);
    for (const [k, v] of Object.entries(header)) {
      if (k !== '__metadata__') expect(Object.keys(v)).toEqual(['dtype', 'shape', 'data_offsets']);
    }
  });
});
