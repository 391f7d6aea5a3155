/*
 * The safetensors format (https://github.com/huggingface/safetensors), the one
 * PyTorch and the Hugging Face ecosystem read:
 *
 *   8 bytes    N, the header length, an unsigned little-endian 64-bit integer
 *   N bytes    a UTF-8 JSON object { name: { dtype, shape, data_offsets: [begin, end] },
 *              "__metadata__"?: { string: string } }, padded with spaces
 *   the rest   the tensors' bytes, little-endian, row-major; offsets are relative to
 *              the start of this buffer, and the tensors cover it exactly (no holes)
 *
 * This file works on bytes only, so it runs in a browser; `./safetensors-file.ts`
 * adds the Node file forms.
 */
import { Tensor, ValueError, DTypeError, tensor, type TypedArray } from '@tsgrad/tensor';
import { READ_RULES, READABLE_DTYPES_TEXT, WRITE_ORDER, WRITTEN_DTYPE } from './safetensors-dtypes.js';

/** One tensor as the header describes it. */
export interface SafetensorsTensorInfo {
  /** The safetensors dtype name as written in the file (`F32`, `I64`, …). */
  readonly dtype: string;
  readonly shape: readonly number[];
  /** [begin, end) in bytes, relative to the data buffer that follows the header. */
  readonly dataOffsets: readonly [number, number];
}

/** The parsed and validated header of a safetensors buffer. */
export interface SafetensorsHeader {
  /** Tensors by name, in the order their data is stored. */
  readonly tensors: Readonly<Record<string, SafetensorsTensorInfo>>;
  /** The `__metadata__` strings (empty when the file has none). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Byte offset of the data buffer within the whole buffer (8 + header length). */
  readonly dataStart: number;
}

const METADATA_KEY = '__metadata__';
/** The reference implementation refuses headers above 100 MB; so do we. */
const MAX_HEADER_BYTES = 100_000_000;

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Sets `key` as an own data property, so a name such as `__proto__` stays an ordinary key. */
function define<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------- writing

/**
 * Encodes tensors (a `Module.stateDict()`, or any record of tensors) as safetensors
 * bytes, the form for browsers and for `fetch`/`Blob`/IndexedDB; `saveSafetensors`
 * writes the same bytes to a file. The Python equivalent is
 * `safetensors.torch.save(tensors, metadata)`.
 *
 * Each tensor is stored in logical row-major order whatever its strides (a transposed
 * or sliced view is saved as its values, not its storage), with dtype F32, F64, I32 or
 * BOOL (one byte per element). Tensors are packed without gaps, ordered as Hugging
 * Face's writer orders them (by dtype, widest first, then by name), and the header is
 * padded with spaces so the data starts 8-byte aligned. `metadata` goes into
 * `__metadata__` (string values only, as the format requires).
 *
 * Throws a `ValueError` naming the entry when a value is not a Tensor, when a name is
 * `__metadata__`, or when a metadata value is not a string — before encoding anything.
 */
export function serializeSafetensors(stateDict: Readonly<Record<string, Tensor>>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  return encode('serializeSafetensors', stateDict, metadata);
}

/** `serializeSafetensors` reporting errors under the name the user called. */
export function encode(op: string, stateDict: Readonly<Record<string, Tensor>>, metadata: Readonly<Record<string, string>> | undefined): Uint8Array {
  // Plain objects only: a Map (or another class instance) has no own names and would save nothing.
  if (!isPlainObject(stateDict)) {
    throw new ValueError(`${op}: argument 'stateDict' expected an object of Tensors keyed by name, got ${describe(stateDict)}`);
  }
  const names = Object.keys(stateDict);
  for (const name of names) {
    const t = stateDict[name];
    if (name === METADATA_KEY) {
      throw new ValueError(`${op}: argument 'stateDict' has an entry named '${METADATA_KEY}', a name the safetensors format reserves for metadata`);
    }
    if (!(t instanceof Tensor)) throw new ValueError(`${op}: argument 'stateDict' entry '${name}' expected a Tensor, got ${describe(t)}`);
    if (!hasOwn(WRITTEN_DTYPE, t.dtype)) throw new DTypeError(`${op}: argument 'stateDict' entry '${name}' has dtype ${String(t.dtype)}, expected float32, float64, int32 or bool`);
  }
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) {
      throw new ValueError(`${op}: argument 'metadata' expected an object of strings, got ${describe(metadata)}`);
    }
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ValueError(`${op}: argument 'metadata' entry '${k}' expected a string (the format stores strings only), got ${describe(v)}`);
    }
  }

  const entries = names
    .map((name) => ({ name, t: stateDict[name]! }))
    .sort((a, b) => WRITE_ORDER[a.t.dtype] - WRITE_ORDER[b.t.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) define(header, METADATA_KEY, { ...metadata });
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const { name, t } of entries) {
    const bytes = littleEndianBytes(t.dataSync());
    define(header, name, { dtype: WRITTEN_DTYPE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.length] });
    payloads.push(bytes);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded, true);
  view.setUint32(4, Math.floor(padded / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const p of payloads) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(data: TypedArray): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN_HOST || data.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(4 * i, data[i]!, true);
    else if (data instanceof Float64Array) view.setFloat64(8 * i, data[i]!, true);
    else view.setInt32(4 * i, data[i]!, true);
  }
  return out;
}

// ---------------------------------------------------------------- reading

/**
 * Decodes safetensors bytes into tensors keyed by name (the inverse of
 * `serializeSafetensors`; `safetensors.torch.load(bytes)` in Python). Pass the result
 * to `Module.loadStateDict`.
 *
 * F32, F64, I32 and BOOL load as float32, float64, int32 and bool. Other dtypes convert
 * where nothing is lost: F16 and BF16 to float32 (exact), I8/U8/I16/U16 to int32, and
 * I64/U64/U32 to int32 when every value fits (PyTorch saves labels and BatchNorm's
 * `num_batches_tracked` as int64); anything else (F8 variants, complex, …) is rejected
 * by name. A BOOL byte other than 0 loads as true.
 *
 * The whole buffer is validated before any tensor is made, so a malformed buffer
 * loads nothing: a `ValueError` says what is wrong (too short, a header length beyond
 * the end, invalid UTF-8 or JSON, a duplicate key, a bad or unsupported dtype, a shape
 * whose byte length does not match its offsets, offsets out of range, overlapping or
 * leaving a hole, a value out of int32 range).
 */
export function deserializeSafetensors(bytes: Uint8Array): Record<string, Tensor> {
  return decode('deserializeSafetensors', "argument 'bytes'", bytes);
}

/**
 * Parses and validates a safetensors buffer's header without decoding any tensor: the
 * names, dtypes, shapes and offsets, and the `__metadata__` strings. Throws the same
 * `ValueError`s as `deserializeSafetensors`.
 */
export function parseSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  return parseHeader('parseSafetensorsHeader', "argument 'bytes'", bytes);
}

/** `deserializeSafetensors` reporting errors under the name the user called, for `source` ("file 'x.safetensors'"). */
export function decode(op: string, source: string, bytes: Uint8Array): Record<string, Tensor> {
  const header = parseHeader(op, source, bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Decode everything first: a value out of int32 range must leave nothing half-loaded.
  const decoded: [string, TypedArray, readonly number[], string][] = [];
  for (const [name, info] of Object.entries(header.tensors)) {
    const rule = READ_RULES[info.dtype]!;
    const [begin, end] = info.dataOffsets;
    const data = rule.decode(view, header.dataStart + begin, (end - begin) / rule.size);
    if (!ArrayBuffer.isView(data)) {
      throw invalid(op, source, `tensor '${name}' (${info.dtype}) holds ${data.badValue} at element ${data.badIndex}, outside int32 range; tsgrad loads ${info.dtype} as int32 and has no 64-bit integers`);
    }
    decoded.push([name, data, info.shape, rule.dtype]);
  }
  const out: Record<string, Tensor> = {};
  for (const [name, data, shape, dtype] of decoded) define(out, name, tensor(data, { shape, dtype: dtype as Tensor['dtype'] }));
  return out;
}

/** One line whatever the file holds: control characters in names or JSON excerpts are escaped. */
function invalid(op: string, source: string, reason: string): ValueError {
  const oneLine = reason.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return new ValueError(`${op}: ${source} is not a valid safetensors file: ${oneLine}; nothing was loaded`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Tensor) return `a Tensor`;
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '…' : v}'`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function isPlainObject(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

const isByteCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** `parseSafetensorsHeader` reporting errors under the name the user called. */
export function parseHeader(op: string, source: string, bytes: Uint8Array): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) throw new ValueError(`${op}: ${source} expected a Uint8Array, got ${describe(bytes)}`);
  const bad = (reason: string) => invalid(op, source, reason);
  if (bytes.length < 8) throw bad(`it is ${bytes.length} bytes long, shorter than the 8-byte header length that starts the format`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > bytes.length - 8) {
    throw bad(`the header length is ${headerLength} bytes but only ${bytes.length - 8} bytes follow it (truncated, or not a safetensors file)`);
  }
  if (headerLength > MAX_HEADER_BYTES) throw bad(`the header length ${headerLength} exceeds ${MAX_HEADER_BYTES} bytes, the limit of the reference implementation`);
  const headerBytes = bytes.subarray(8, 8 + headerLength);
  if (headerBytes[0] !== 0x7b) throw bad(`the header must be a JSON object starting with '{', got ${headerBytes.length ? `byte 0x${headerBytes[0]!.toString(16).padStart(2, '0')}` : 'an empty header'}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw bad('the header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw bad(`the header is not valid JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('the header is not a JSON object');
  const duplicate = findDuplicateKey(text);
  if (duplicate !== null) throw bad(`the header has the key '${duplicate}' twice`);

  const dataLength = bytes.length - 8 - headerLength;
  const record = parsed as Record<string, unknown>;
  const metadata: Record<string, string> = {};
  const infos: [string, SafetensorsTensorInfo][] = [];
  for (const name of Object.keys(record)) {
    const entry = record[name];
    if (name === METADATA_KEY) {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw bad(`'${METADATA_KEY}' must be an object of strings, got ${describe(entry)}`);
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw bad(`'${METADATA_KEY}' entry '${k}' must be a string, got ${describe(v)}`);
        define(metadata, k, v);
      }
      continue;
    }
    infos.push([name, checkEntry(name, entry, dataLength, bad)]);
  }

  // The tensors must tile the data buffer exactly: sorted by offset, each begins where
  // the previous one ended and the last ends at the end of the buffer.
  const byOffset = [...infos].sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let covered = 0;
  let previous = '';
  for (const [name, info] of byOffset) {
    const [begin, end] = info.dataOffsets;
    if (begin < covered) throw bad(`tensor '${name}' (bytes ${begin}–${end}) overlaps tensor '${previous}' (which ends at byte ${covered})`);
    if (begin > covered) throw bad(`bytes ${covered}–${begin} of the data buffer belong to no tensor (the format allows no holes)`);
    covered = end;
    previous = name;
  }
  if (covered !== dataLength) {
    throw bad(`the tensors cover ${covered} bytes of data but ${dataLength} bytes follow the header (the format allows no trailing bytes)`);
  }
  const tensors: Record<string, SafetensorsTensorInfo> = {};
  for (const [name, info] of byOffset) define(tensors, name, info);
  return { tensors, metadata, dataStart: 8 + headerLength };
}

function checkEntry(name: string, entry: unknown, dataLength: number, bad: (reason: string) => ValueError): SafetensorsTensorInfo {
  const what = `tensor '${name}'`;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw bad(`${what} must be an object { dtype, shape, data_offsets }, got ${describe(entry)}`);
  const e = entry as Record<string, unknown>;
  for (const key of ['dtype', 'shape', 'data_offsets']) if (!hasOwn(e, key)) throw bad(`${what} has no '${key}'`);
  const extra = Object.keys(e).filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
  if (extra.length) throw bad(`${what} has unknown fields ${extra.map((k) => `'${k}'`).join(', ')} (expected dtype, shape, data_offsets)`);
  const { dtype, shape, data_offsets: offsets } = e;
  if (typeof dtype !== 'string') throw bad(`${what} has dtype ${describe(dtype)}, expected a string such as "F32"`);
  if (!hasOwn(READ_RULES, dtype)) throw bad(`${what} has dtype ${dtype}, which tsgrad cannot load; supported: ${READABLE_DTYPES_TEXT}`);
  if (!Array.isArray(shape) || !shape.every(isByteCount)) throw bad(`${what} has shape ${JSON.stringify(shape)}, expected an array of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isByteCount)) {
    throw bad(`${what} has data_offsets ${JSON.stringify(offsets)}, expected [begin, end] with non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw bad(`${what} has data_offsets [${begin}, ${end}] with begin after end`);
  if (end > dataLength) throw bad(`${what} has data_offsets [${begin}, ${end}] beyond the ${dataLength} bytes of data after the header`);
  const size = READ_RULES[dtype]!.size;
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(numel * size) || numel * size !== end - begin) {
    throw bad(`${what} has shape [${shape.join(', ')}] of ${dtype}, which needs ${numel * size} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { dtype, shape: [...(shape as number[])], dataOffsets: [begin, end] };
}

/**
 * The first key that appears twice in one JSON object, anywhere in `json`, or null.
 * JSON.parse keeps the last of duplicates silently; the format requires unique names.
 * `json` must already be valid JSON.
 */
export function findDuplicateKey(json: string): string | null {
  const stack: (Set<string> | null)[] = [];
  let previous = '';
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      const keys = stack[stack.length - 1];
      if (keys && (previous === '{' || previous === ',')) {
        const key = JSON.parse(json.slice(i, j + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      previous = 'value';
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      previous = c;
    } else if (c === '[') {
      stack.push(null);
      previous = c;
    } else if (c === '}' || c === ']') {
      stack.pop();
      previous = 'value';
    } else if (c === ',' || c === ':') {
      previous = c;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      previous = 'value';
    }
  }
  return null;
}
