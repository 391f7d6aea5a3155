/**
 * Malformed safetensors input: each kind of damage gives a ValueError that says what
 * is wrong and loads nothing — named cases first, then fast-check: any truncation, and
 * random byte flips in the header, either still decode to exactly the saved tensors
 * (a flip inside whitespace or a harmless digit is no error) or throw a ValueError.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Linear, Module } from '../index.js';
import { Tensor, TsgradError, ValueError, manualSeed, tensor } from '@tsgrad/tensor';
import { deserializeSafetensors, parseSafetensorsHeader, serializeSafetensors } from './index.js';
import { findDuplicateKey } from './safetensors.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** A file with the given header text (padded to 8) and data bytes, built by hand. */
function rawFile(header: string, data: number[] = [], declaredLength?: number): Uint8Array {
  let h = header;
  while (enc(h).length % 8) h += ' ';
  const hb = enc(h);
  const out = new Uint8Array(8 + hb.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? hb.length), true);
  out.set(hb, 8);
  out.set(data, 8 + hb.length);
  return out;
}

const f32 = (name: string, shape: number[], offsets: [number, number]) => `"${name}":{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;
const zeros8 = [0, 0, 0, 0, 0, 0, 0, 0];

function expectInvalid(bytes: Uint8Array, reason: string | RegExp): void {
  let thrown: unknown;
  try {
    deserializeSafetensors(bytes);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ValueError);
  const message = (thrown as Error).message;
  expect(message).toMatch(/^deserializeSafetensors: argument 'bytes' is not a valid safetensors file: /);
  expect(message).toMatch(/nothing was loaded$/);
  expect(message).not.toMatch(/[\u0000-\u001f]/); // one line, whatever the file holds
  if (typeof reason === 'string') expect(message).toContain(reason);
  else expect(message).toMatch(reason);
}

describe('deserializeSafetensors: each kind of damage has its own message', () => {
  it.each<[string, Uint8Array, string | RegExp]>([
    ['fewer than 8 bytes', new Uint8Array([1, 2, 3]), 'it is 3 bytes long, shorter than the 8-byte header length'],
    ['empty', new Uint8Array(0), 'it is 0 bytes long'],
    ['header length beyond the file', rawFile(`{${f32('a', [2], [0, 8])}}`, zeros8, 4096), 'the header length is 4096 bytes but only 64 bytes follow it'],
    ['a header length with the high 32 bits set', rawFile('{}', [], 2 ** 40), `the header length is ${2 ** 40} bytes`],
    ['header not starting with {', rawFile(' {}'), "the header must be a JSON object starting with '{', got byte 0x20"],
    ['an empty header', rawFile('', [], 0), 'got an empty header'],
    ['invalid JSON', rawFile(`{${f32('a', [2], [0, 8])}`, zeros8), 'the header is not valid JSON'],
    ['invalid UTF-8', (() => { const b = rawFile('{"\u00e9":1}'); b[10] = 0xff; return b; })(), 'the header is not valid UTF-8'],
    ['a JSON array', rawFile('[]'), "must be a JSON object starting with '{'"],
    ['duplicate tensor names', rawFile(`{${f32('a', [1], [0, 4])},${f32('a', [1], [4, 8])}}`, zeros8), "the header has the key 'a' twice"],
    ['a duplicate field inside an entry', rawFile('{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), "the key 'dtype' twice"],
    ['an entry that is not an object', rawFile('{"a":[1,2]}'), "tensor 'a' must be an object { dtype, shape, data_offsets }, got an array"],
    ['a missing field', rawFile('{"a":{"dtype":"F32","shape":[1]}}'), "tensor 'a' has no 'data_offsets'"],
    ['an unknown field', rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"stride":[1]}}', [0, 0, 0, 0]), "tensor 'a' has unknown fields 'stride'"],
    ['an unknown dtype', rawFile('{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}', zeros8), "tensor 'a' has dtype C64, which tsgrad cannot load; supported: F32, F64, I32, BOOL"],
    ['a non-string dtype', rawFile('{"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), "tensor 'a' has dtype number 4"],
    ['a negative dim', rawFile(`{${f32('a', [-1], [0, 4])}}`, [0, 0, 0, 0]), "tensor 'a' has shape [-1], expected an array of non-negative integers"],
    ['a fractional dim', rawFile(`{${f32('a', [1.5], [0, 4])}}`, [0, 0, 0, 0]), 'has shape [1.5]'],
    ['three offsets', rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}', zeros8), 'has data_offsets [0,4,8], expected [begin, end]'],
    ['begin after end', rawFile(`{${f32('a', [0], [4, 0])}}`, [0, 0, 0, 0]), 'with begin after end'],
    ['offsets past the data', rawFile(`{${f32('a', [4], [0, 16])}}`, zeros8), "tensor 'a' has data_offsets [0, 16] beyond the 8 bytes of data"],
    ['byte length ≠ shape × dtype size', rawFile(`{${f32('a', [3], [0, 8])}}`, zeros8), "tensor 'a' has shape [3] of F32, which needs 12 bytes, but data_offsets [0, 8] hold 8"],
    ['overlapping tensors', rawFile(`{${f32('a', [2], [0, 8])},${f32('b', [1], [4, 8])}}`, zeros8), /tensor '(a|b)' \(bytes \d–8\) overlaps tensor '(a|b)'/],
    ['a hole between tensors', rawFile(`{${f32('a', [1], [0, 4])},${f32('b', [1], [8, 12])}}`, [...zeros8, 0, 0, 0, 0]), 'bytes 4–8 of the data buffer belong to no tensor'],
    ['a hole at the start', rawFile(`{${f32('a', [1], [4, 8])}}`, zeros8), 'bytes 0–4 of the data buffer belong to no tensor'],
    ['trailing bytes after the last tensor', rawFile(`{${f32('a', [1], [0, 4])}}`, zeros8), 'the tensors cover 4 bytes of data but 8 bytes follow the header'],
    ['metadata that is not an object', rawFile('{"__metadata__":"pt"}'), "'__metadata__' must be an object of strings"],
    ['a metadata value that is not a string', rawFile('{"__metadata__":{"epoch":3}}'), "'__metadata__' entry 'epoch' must be a string, got number 3"],
  ])('%s', (_, bytes, reason) => expectInvalid(bytes, reason));

  it('keeps the message on one line when the header holds control characters', () => {
    expectInvalid(rawFile('{"a":1,"fc1.bias"\n{"dtype":"F32"}}'), 'the header is not valid JSON (');
  });

  it('rejects a non-Uint8Array argument', () => {
    expect(() => deserializeSafetensors([1, 2, 3] as unknown as Uint8Array)).toThrow("deserializeSafetensors: argument 'bytes' expected a Uint8Array, got an array");
  });

  it('parseSafetensorsHeader reports under its own name', () => {
    expect(() => parseSafetensorsHeader(new Uint8Array(2))).toThrow(/^parseSafetensorsHeader: argument 'bytes' is not a valid safetensors file/);
  });
});

describe('findDuplicateKey', () => {
  it.each([
    ['{"a":1,"b":{"a":2}}', null],
    ['{"a":1,"b":2,"a":3}', 'a'],
    ['{"x":{"k":[1,{"k":2}],"k":3}}', 'k'],
    ['{"s":"a\\"b","a\\"b":1}', null],
    ['{"a\\u0062":1,"ab":2}', 'ab'],
    ['{"l":["a","a"],"m":{"a":"a"}}', null],
  ])('%s → %s', (json, expected) => {
    JSON.parse(json);
    expect(findDuplicateKey(json)).toBe(expected);
  });
});

class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor() {
    super();
    this.fc1 = new Linear(3, 4);
    this.fc2 = new Linear(4, 2);
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

/** What a successful decode must produce: exactly the tensors that were saved. */
function sameAsSaved(back: Record<string, Tensor>, state: Record<string, Tensor>): boolean {
  const keys = Object.keys(state).sort();
  if (JSON.stringify(Object.keys(back).sort()) !== JSON.stringify(keys)) return false;
  return keys.every((k) => {
    const a = back[k]!, b = state[k]!;
    return a.dtype === b.dtype && JSON.stringify(a.shape) === JSON.stringify(b.shape);
  });
}

describe('deserializeSafetensors: random damage (property)', () => {
  manualSeed(3);
  const state: Record<string, Tensor> = { ...new Mlp().stateDict(), steps: tensor(5, { dtype: 'int32' }), mask: tensor([true, false]) };
  const good = serializeSafetensors(state, { format: 'pt' });
  const headerEnd = 8 + new DataView(good.buffer).getUint32(0, true);

  it('every strict prefix of a file throws a ValueError (nothing half-loaded)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), (cut) => {
        expect(() => deserializeSafetensors(good.slice(0, cut))).toThrow(ValueError);
      }),
      { numRuns: 300 },
    );
    // The exhaustive version is cheap too: every cut point, not just sampled ones.
    for (let cut = 0; cut < good.length; cut += 1) expect(() => deserializeSafetensors(good.subarray(0, cut))).toThrow(ValueError);
  });

  it('a file with bytes appended throws (the tensors must cover the data exactly)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 16 }), (extra) => {
        const longer = new Uint8Array(good.length + extra.length);
        longer.set(good);
        longer.set(extra, good.length);
        expect(() => deserializeSafetensors(longer)).toThrow(ValueError);
      }),
      { numRuns: 50 },
    );
  });

  it('random byte flips in the length field or the header either decode to the same names, dtypes and shapes or throw a TsgradError ValueError', () => {
    let rejected = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: headerEnd - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        (flips) => {
          const bad = good.slice();
          for (const { at, value } of flips) bad[at] = value;
          let back: Record<string, Tensor> | undefined;
          try {
            back = deserializeSafetensors(bad);
          } catch (err) {
            expect(err).toBeInstanceOf(TsgradError);
            expect(err).toBeInstanceOf(ValueError);
            expect((err as Error).message).toMatch(/^deserializeSafetensors: argument 'bytes' is not a valid safetensors file: .+; nothing was loaded$/);
            rejected++;
            return;
          }
          // Survivors changed only padding, metadata text or a name's letters: the shapes
          // and byte counts still tile the buffer, so dtypes and element counts agree.
          const total = (r: Record<string, Tensor>) => Object.values(r).reduce((s, t) => s + t.numel, 0);
          expect(total(back)).toBe(total(state));
          if (flips.every(({ at }) => at >= 8 && (good[at] === 0x20 || good[at] === bad[at]))) expect(sameAsSaved(back, state)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
    expect(rejected).toBeGreaterThan(200);
  });
});
