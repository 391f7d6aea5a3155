/*
 * A small typed WebAssembly bytecode builder. Every opcode is a method
 * (`f.f32x4.mul()`, `f.i32.load(offset)`), and the builder keeps the operand type
 * stack as it emits: an opcode whose operands have the wrong types, a branch to a
 * label that is not in scope, or a function whose body leaves the wrong values
 * throws a `WasmBuildError` naming the function, the opcode and the stack, where the
 * kernel is built, instead of later in `WebAssembly.validate` with a byte offset.
 *
 * Only what tsgrad's kernels need: one imported memory, functions with locals,
 * structured control flow, integer/float/SIMD arithmetic and relaxed-SIMD FMA.
 */

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const VALTYPE_CODE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

export class WasmBuildError extends Error {
  override name = 'WasmBuildError';
}

/** A local variable (parameters included) of one function. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/** A branch target: the block, loop or if that `br`/`brIf` jumps to. */
export interface Label {
  readonly depth: number;
  /** The frame it belongs to (a label of a closed block at the same depth is not in scope). */
  readonly frame: object;
  /** Types a branch carries: a loop's are its params (none here), a block's its results. */
  readonly branchTypes: readonly ValType[];
}

// ---------- LEB128 and byte helpers ----------

function uleb(out: number[], v: number): void {
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

function sleb(out: number[], v: number): void {
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function sleb64(out: number[], v: bigint): void {
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function name(out: number[], s: string): void {
  const bytes = new TextEncoder().encode(s);
  uleb(out, bytes.length);
  for (const b of bytes) out.push(b);
}

const scratch = new DataView(new ArrayBuffer(8));

// ---------- opcode tables: [opcode bytes, operand types, result types] ----------

type Sig = readonly [code: readonly number[], pops: readonly ValType[], pushes: readonly ValType[]];

const I = 'i32', L = 'i64', F = 'f32', D = 'f64', V = 'v128';
const simd = (op: number): number[] => {
  const out = [0xfd];
  uleb(out, op);
  return out;
};
const un = (code: number[], t: ValType, r: ValType = t): Sig => [code, [t], [r]];
const bin = (code: number[], t: ValType, r: ValType = t): Sig => [code, [t, t], [r]];

const I32_OPS = {
  eqz: un([0x45], I), eq: bin([0x46], I), ne: bin([0x47], I), lt_s: bin([0x48], I), lt_u: bin([0x49], I),
  gt_s: bin([0x4a], I), gt_u: bin([0x4b], I), le_s: bin([0x4c], I), le_u: bin([0x4d], I), ge_s: bin([0x4e], I),
  ge_u: bin([0x4f], I), clz: un([0x67], I), ctz: un([0x68], I), popcnt: un([0x69], I), add: bin([0x6a], I),
  sub: bin([0x6b], I), mul: bin([0x6c], I), div_s: bin([0x6d], I), div_u: bin([0x6e], I), rem_s: bin([0x6f], I),
  rem_u: bin([0x70], I), and: bin([0x71], I), or: bin([0x72], I), xor: bin([0x73], I), shl: bin([0x74], I),
  shr_s: bin([0x75], I), shr_u: bin([0x76], I), rotl: bin([0x77], I), rotr: bin([0x78], I),
  wrap_i64: un([0xa7], L, I), trunc_f32_s: un([0xa8], F, I), trunc_f32_u: un([0xa9], F, I),
  trunc_f64_s: un([0xaa], D, I), trunc_f64_u: un([0xab], D, I), reinterpret_f32: un([0xbc], F, I),
  trunc_sat_f32_s: un([0xfc, 0x00], F, I), trunc_sat_f64_s: un([0xfc, 0x02], D, I),
} as const satisfies Record<string, Sig>;

const I64_OPS = {
  add: bin([0x7c], L), sub: bin([0x7d], L), mul: bin([0x7e], L), and: bin([0x83], L), or: bin([0x84], L),
  shl: bin([0x86], L), shr_u: bin([0x88], L), extend_i32_s: un([0xac], I, L), extend_i32_u: un([0xad], I, L),
  reinterpret_f64: un([0xbd], D, L),
} as const satisfies Record<string, Sig>;

const F32_OPS = {
  eq: bin([0x5b], F, I), ne: bin([0x5c], F, I), lt: bin([0x5d], F, I), gt: bin([0x5e], F, I), le: bin([0x5f], F, I),
  ge: bin([0x60], F, I), abs: un([0x8b], F), neg: un([0x8c], F), ceil: un([0x8d], F), floor: un([0x8e], F),
  trunc: un([0x8f], F), nearest: un([0x90], F), sqrt: un([0x91], F), add: bin([0x92], F), sub: bin([0x93], F),
  mul: bin([0x94], F), div: bin([0x95], F), min: bin([0x96], F), max: bin([0x97], F), copysign: bin([0x98], F),
  convert_i32_s: un([0xb2], I, F), convert_i32_u: un([0xb3], I, F), demote_f64: un([0xb6], D, F),
  reinterpret_i32: un([0xbe], I, F),
} as const satisfies Record<string, Sig>;

const F64_OPS = {
  eq: bin([0x61], D, I), ne: bin([0x62], D, I), lt: bin([0x63], D, I), gt: bin([0x64], D, I), le: bin([0x65], D, I),
  ge: bin([0x66], D, I), abs: un([0x99], D), neg: un([0x9a], D), ceil: un([0x9b], D), floor: un([0x9c], D),
  trunc: un([0x9d], D), nearest: un([0x9e], D), sqrt: un([0x9f], D), add: bin([0xa0], D), sub: bin([0xa1], D),
  mul: bin([0xa2], D), div: bin([0xa3], D), min: bin([0xa4], D), max: bin([0xa5], D), copysign: bin([0xa6], D),
  convert_i32_s: un([0xb7], I, D), convert_i32_u: un([0xb8], I, D), promote_f32: un([0xbb], F, D),
  reinterpret_i64: un([0xbf], L, D),
} as const satisfies Record<string, Sig>;

const V128_OPS = {
  not: un(simd(0x4d), V), and: bin(simd(0x4e), V), andnot: bin(simd(0x4f), V), or: bin(simd(0x50), V),
  xor: bin(simd(0x51), V), bitselect: [simd(0x52), [V, V, V], [V]], any_true: un(simd(0x53), V, I),
} as const satisfies Record<string, Sig>;

const F32X4_OPS = {
  splat: un(simd(0x13), F, V), eq: bin(simd(0x41), V), ne: bin(simd(0x42), V), lt: bin(simd(0x43), V),
  gt: bin(simd(0x44), V), le: bin(simd(0x45), V), ge: bin(simd(0x46), V), ceil: un(simd(0x67), V),
  floor: un(simd(0x68), V), trunc: un(simd(0x69), V), nearest: un(simd(0x6a), V), abs: un(simd(0xe0), V),
  neg: un(simd(0xe1), V), sqrt: un(simd(0xe3), V), add: bin(simd(0xe4), V), sub: bin(simd(0xe5), V),
  mul: bin(simd(0xe6), V), div: bin(simd(0xe7), V), min: bin(simd(0xe8), V), max: bin(simd(0xe9), V),
  pmin: bin(simd(0xea), V), pmax: bin(simd(0xeb), V), convert_i32x4_s: un(simd(0xfa), V),
  convert_i32x4_u: un(simd(0xfb), V), demote_f64x2_zero: un(simd(0x5e), V),
  /** Relaxed SIMD: a·b + c, fused or not as the engine chooses. Operands: a, b, c. */
  relaxed_madd: [simd(0x105), [V, V, V], [V]],
  /** Relaxed SIMD: −(a·b) + c. */
  relaxed_nmadd: [simd(0x106), [V, V, V], [V]],
} as const satisfies Record<string, Sig>;

const F64X2_OPS = {
  splat: un(simd(0x14), D, V), add: bin(simd(0xf0), V), sub: bin(simd(0xf1), V), mul: bin(simd(0xf2), V),
  div: bin(simd(0xf3), V), promote_low_f32x4: un(simd(0x5f), V),
  eq: bin(simd(0x47), V), ne: bin(simd(0x48), V), lt: bin(simd(0x49), V), gt: bin(simd(0x4a), V),
  le: bin(simd(0x4b), V), ge: bin(simd(0x4c), V), ceil: un(simd(0x74), V), floor: un(simd(0x75), V),
  trunc: un(simd(0x7a), V), nearest: un(simd(0x94), V), abs: un(simd(0xec), V), neg: un(simd(0xed), V),
  sqrt: un(simd(0xef), V), min: bin(simd(0xf4), V), max: bin(simd(0xf5), V), pmin: bin(simd(0xf6), V),
  pmax: bin(simd(0xf7), V), convert_low_i32x4_s: un(simd(0xfe), V),
  /** Relaxed SIMD: a·b + c, fused or not as the engine chooses. Operands: a, b, c. */
  relaxed_madd: [simd(0x107), [V, V, V], [V]],
  /** Relaxed SIMD: −(a·b) + c. */
  relaxed_nmadd: [simd(0x108), [V, V, V], [V]],
} as const satisfies Record<string, Sig>;

const I32X4_OPS = {
  splat: un(simd(0x11), I, V), eq: bin(simd(0x37), V), ne: bin(simd(0x38), V), lt_s: bin(simd(0x39), V),
  lt_u: bin(simd(0x3a), V), gt_s: bin(simd(0x3b), V), gt_u: bin(simd(0x3c), V), le_s: bin(simd(0x3d), V),
  le_u: bin(simd(0x3e), V), ge_s: bin(simd(0x3f), V), ge_u: bin(simd(0x40), V), abs: un(simd(0xa0), V),
  neg: un(simd(0xa1), V), all_true: un(simd(0xa3), V, I), bitmask: un(simd(0xa4), V, I),
  extend_low_i16x8_s: un(simd(0xa7), V), extend_high_i16x8_s: un(simd(0xa8), V),
  extend_low_i16x8_u: un(simd(0xa9), V), extend_high_i16x8_u: un(simd(0xaa), V),
  shl: [simd(0xab), [V, I], [V]], shr_s: [simd(0xac), [V, I], [V]], shr_u: [simd(0xad), [V, I], [V]],
  add: bin(simd(0xae), V), sub: bin(simd(0xb1), V), mul: bin(simd(0xb5), V), min_s: bin(simd(0xb6), V),
  min_u: bin(simd(0xb7), V), max_s: bin(simd(0xb8), V), max_u: bin(simd(0xb9), V),
  trunc_sat_f32x4_s: un(simd(0xf8), V), trunc_sat_f32x4_u: un(simd(0xf9), V),
  trunc_sat_f64x2_s_zero: un(simd(0xfc), V), relaxed_trunc_f32x4_s: un(simd(0x101), V),
} as const satisfies Record<string, Sig>;

const I16X8_OPS = {
  splat: un(simd(0x10), I, V), narrow_i32x4_s: bin(simd(0x85), V), narrow_i32x4_u: bin(simd(0x86), V),
  extend_low_i8x16_s: un(simd(0x87), V), extend_high_i8x16_s: un(simd(0x88), V),
  extend_low_i8x16_u: un(simd(0x89), V), extend_high_i8x16_u: un(simd(0x8a), V),
  add: bin(simd(0x8e), V), sub: bin(simd(0x91), V),
} as const satisfies Record<string, Sig>;

const I8X16_OPS = {
  splat: un(simd(0x0f), I, V), swizzle: bin(simd(0x0e), V), eq: bin(simd(0x23), V), ne: bin(simd(0x24), V),
  narrow_i16x8_s: bin(simd(0x65), V), narrow_i16x8_u: bin(simd(0x66), V), add: bin(simd(0x6e), V),
  sub: bin(simd(0x71), V), all_true: un(simd(0x63), V, I), bitmask: un(simd(0x64), V, I),
} as const satisfies Record<string, Sig>;

/** Memory ops: [opcode bytes, address + operand types, results, natural alignment log2]. */
type MemSig = readonly [code: readonly number[], pops: readonly ValType[], pushes: readonly ValType[], align: number];

const I32_MEM = {
  load: [[0x28], [I], [I], 2], load8_s: [[0x2c], [I], [I], 0], load8_u: [[0x2d], [I], [I], 0],
  load16_s: [[0x2e], [I], [I], 1], load16_u: [[0x2f], [I], [I], 1],
  store: [[0x36], [I, I], [], 2], store8: [[0x3a], [I, I], [], 0], store16: [[0x3b], [I, I], [], 1],
} as const satisfies Record<string, MemSig>;
const I64_MEM = { load: [[0x29], [I], [L], 3], store: [[0x37], [I, L], [], 3] } as const satisfies Record<string, MemSig>;
const F32_MEM = { load: [[0x2a], [I], [F], 2], store: [[0x38], [I, F], [], 2] } as const satisfies Record<string, MemSig>;
const F64_MEM = { load: [[0x2b], [I], [D], 3], store: [[0x39], [I, D], [], 3] } as const satisfies Record<string, MemSig>;
const V128_MEM = {
  load: [simd(0x00), [I], [V], 4], store: [simd(0x0b), [I, V], [], 4],
  load32_zero: [simd(0x5c), [I], [V], 2], load64_zero: [simd(0x5d), [I], [V], 3],
  load32_splat: [simd(0x09), [I], [V], 2], load8x8_u: [simd(0x02), [I], [V], 3],
} as const satisfies Record<string, MemSig>;

/** Lane ops: [opcode, operand types, results, lane count]. */
type LaneSig = readonly [code: readonly number[], pops: readonly ValType[], pushes: readonly ValType[], lanes: number];
const LANE_OPS = {
  f32x4: { extract_lane: [simd(0x1f), [V], [F], 4], replace_lane: [simd(0x20), [V, F], [V], 4] },
  i32x4: { extract_lane: [simd(0x1b), [V], [I], 4], replace_lane: [simd(0x1c), [V, I], [V], 4] },
  f64x2: { extract_lane: [simd(0x21), [V], [D], 2], replace_lane: [simd(0x22), [V, D], [V], 2] },
  i8x16: { extract_lane_u: [simd(0x16), [V], [I], 16] },
} as const;
/** Store one lane: v128.store32_lane etc. (memarg then lane). */
const STORE_LANE = {
  store8_lane: [simd(0x58), [I, V], [], 0, 16], store32_lane: [simd(0x5a), [I, V], [], 2, 4],
} as const;

type Plain<T> = { readonly [K in keyof T]: () => void };
type Mem<T> = { readonly [K in keyof T]: (offset?: number, alignLog2?: number) => void };
type Lane<T> = { readonly [K in keyof T]: (lane: number) => void };

interface Frame {
  kind: 'func' | 'block' | 'loop' | 'if';
  /** Identity for labels. */
  token: object;
  /** Stack height when the frame was entered. */
  height: number;
  results: readonly ValType[];
  unreachable: boolean;
}

/** Emits one function body; obtained from `ModuleBuilder.func`. */
export class FunctionBuilder {
  private readonly code: number[] = [];
  private readonly stack: ValType[] = [];
  private readonly frames: Frame[] = [];
  private readonly localTypes: ValType[] = [];
  readonly params: Local[];

  readonly i32: Plain<typeof I32_OPS> & Mem<typeof I32_MEM> & Lane<object> & { const(v: number): void };
  readonly i64: Plain<typeof I64_OPS> & Mem<typeof I64_MEM> & { const(v: bigint): void };
  readonly f32: Plain<typeof F32_OPS> & Mem<typeof F32_MEM> & { const(v: number): void };
  readonly f64: Plain<typeof F64_OPS> & Mem<typeof F64_MEM> & { const(v: number): void };
  readonly v128: Plain<typeof V128_OPS> & Mem<typeof V128_MEM> & {
    /** A constant from 16 bytes, or from 4 f32 / 4 i32 lane values. */
    const(bytes: Uint8Array): void;
    store8_lane(lane: number, offset?: number): void;
    store32_lane(lane: number, offset?: number): void;
  };
  readonly f32x4: Plain<typeof F32X4_OPS> & Lane<typeof LANE_OPS.f32x4> & { const(a: number, b?: number, c?: number, d?: number): void };
  readonly f64x2: Plain<typeof F64X2_OPS> & Lane<typeof LANE_OPS.f64x2>;
  readonly i32x4: Plain<typeof I32X4_OPS> & Lane<typeof LANE_OPS.i32x4> & { const(a: number, b?: number, c?: number, d?: number): void };
  readonly i16x8: Plain<typeof I16X8_OPS>;
  readonly i8x16: Plain<typeof I8X16_OPS> & Lane<typeof LANE_OPS.i8x16> & {
    /** i8x16.shuffle with 16 lane indices (0–31). */
    shuffle(lanes: readonly number[]): void;
  };
  readonly local: { get(l: Local): void; set(l: Local): void; tee(l: Local): void };

  constructor(
    readonly funcName: string,
    paramTypes: readonly ValType[],
    readonly resultTypes: readonly ValType[],
  ) {
    this.params = paramTypes.map((t, i) => {
      this.localTypes.push(t);
      return { index: i, type: t };
    });
    this.frames.push({ kind: 'func', token: {}, height: 0, results: resultTypes, unreachable: false });
    const plain = <T extends Record<string, Sig>>(ns: string, table: T) => {
      const o: Record<string, () => void> = {};
      for (const [k, [code, pops, pushes]] of Object.entries(table) as [string, Sig][]) {
        o[k] = () => this.op(`${ns}.${k}`, code, pops, pushes);
      }
      return o;
    };
    const mem = <T extends Record<string, MemSig>>(ns: string, table: T) => {
      const o: Record<string, (offset?: number, align?: number) => void> = {};
      for (const [k, [code, pops, pushes, natural]] of Object.entries(table) as [string, MemSig][]) {
        o[k] = (offset = 0, align = natural) => {
          if (!(Number.isInteger(offset) && offset >= 0)) this.fail(`${ns}.${k}`, `offset must be a non-negative integer, got ${offset}`);
          if (align > natural) this.fail(`${ns}.${k}`, `alignment 2^${align} exceeds the natural 2^${natural}`);
          this.op(`${ns}.${k}`, code, pops, pushes);
          uleb(this.code, align);
          uleb(this.code, offset);
        };
      }
      return o;
    };
    const lane = <T extends Record<string, LaneSig>>(ns: string, table: T) => {
      const o: Record<string, (lane: number) => void> = {};
      for (const [k, [code, pops, pushes, lanes]] of Object.entries(table) as [string, LaneSig][]) {
        o[k] = (l: number) => {
          if (!(Number.isInteger(l) && l >= 0 && l < lanes)) this.fail(`${ns}.${k}`, `lane must be 0..${lanes - 1}, got ${l}`);
          this.op(`${ns}.${k}`, code, pops, pushes);
          this.code.push(l);
        };
      }
      return o;
    };
    const lanes4 = (kind: 'f32' | 'i32') => (a: number, b = a, c = a, d = a) => {
      const bytes = new Uint8Array(16);
      const dv = new DataView(bytes.buffer);
      [a, b, c, d].forEach((x, i) => (kind === 'f32' ? dv.setFloat32(i * 4, x, true) : dv.setInt32(i * 4, x, true)));
      this.v128.const(bytes);
    };
    this.i32 = {
      ...plain('i32', I32_OPS), ...mem('i32', I32_MEM),
      const: (v: number) => {
        if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) this.fail('i32.const', `expected a 32-bit integer, got ${v}`);
        this.op('i32.const', [0x41], [], [I]);
        sleb(this.code, v | 0);
      },
    } as FunctionBuilder['i32'];
    this.i64 = {
      ...plain('i64', I64_OPS), ...mem('i64', I64_MEM),
      const: (v: bigint) => {
        this.op('i64.const', [0x42], [], [L]);
        sleb64(this.code, BigInt.asIntN(64, v));
      },
    } as FunctionBuilder['i64'];
    this.f32 = {
      ...plain('f32', F32_OPS), ...mem('f32', F32_MEM),
      const: (v: number) => {
        this.op('f32.const', [0x43], [], [F]);
        scratch.setFloat32(0, v, true);
        for (let i = 0; i < 4; i++) this.code.push(scratch.getUint8(i));
      },
    } as FunctionBuilder['f32'];
    this.f64 = {
      ...plain('f64', F64_OPS), ...mem('f64', F64_MEM),
      const: (v: number) => {
        this.op('f64.const', [0x44], [], [D]);
        scratch.setFloat64(0, v, true);
        for (let i = 0; i < 8; i++) this.code.push(scratch.getUint8(i));
      },
    } as FunctionBuilder['f64'];
    const storeLane = (k: keyof typeof STORE_LANE) => (l: number, offset = 0) => {
      const [code, pops, pushes, align, lanes] = STORE_LANE[k];
      if (!(Number.isInteger(l) && l >= 0 && l < lanes)) this.fail(`v128.${k}`, `lane must be 0..${lanes - 1}, got ${l}`);
      this.op(`v128.${k}`, code, pops, pushes);
      uleb(this.code, align);
      uleb(this.code, offset);
      this.code.push(l);
    };
    this.v128 = {
      ...plain('v128', V128_OPS), ...mem('v128', V128_MEM),
      const: (bytes: Uint8Array) => {
        if (bytes.length !== 16) this.fail('v128.const', `expected 16 bytes, got ${bytes.length}`);
        this.op('v128.const', simd(0x0c), [], [V]);
        for (const b of bytes) this.code.push(b);
      },
      store8_lane: storeLane('store8_lane'),
      store32_lane: storeLane('store32_lane'),
    } as FunctionBuilder['v128'];
    this.f32x4 = { ...plain('f32x4', F32X4_OPS), ...lane('f32x4', LANE_OPS.f32x4), const: lanes4('f32') } as FunctionBuilder['f32x4'];
    this.f64x2 = { ...plain('f64x2', F64X2_OPS), ...lane('f64x2', LANE_OPS.f64x2) } as FunctionBuilder['f64x2'];
    this.i32x4 = { ...plain('i32x4', I32X4_OPS), ...lane('i32x4', LANE_OPS.i32x4), const: lanes4('i32') } as FunctionBuilder['i32x4'];
    this.i16x8 = plain('i16x8', I16X8_OPS) as FunctionBuilder['i16x8'];
    this.i8x16 = {
      ...plain('i8x16', I8X16_OPS), ...lane('i8x16', LANE_OPS.i8x16),
      shuffle: (lanes: readonly number[]) => {
        if (lanes.length !== 16 || lanes.some((l) => !(Number.isInteger(l) && l >= 0 && l < 32))) {
          this.fail('i8x16.shuffle', `expected 16 lane indices in 0..31, got [${lanes.join(', ')}]`);
        }
        this.op('i8x16.shuffle', simd(0x0d), [V, V], [V]);
        for (const l of lanes) this.code.push(l);
      },
    } as FunctionBuilder['i8x16'];
    this.local = {
      get: (l: Local) => {
        this.checkLocal('local.get', l);
        this.op('local.get', [0x20], [], [l.type]);
        uleb(this.code, l.index);
      },
      set: (l: Local) => {
        this.checkLocal('local.set', l);
        this.op('local.set', [0x21], [l.type], []);
        uleb(this.code, l.index);
      },
      tee: (l: Local) => {
        this.checkLocal('local.tee', l);
        this.op('local.tee', [0x22], [l.type], [l.type]);
        uleb(this.code, l.index);
      },
    };
  }

  /** A new local of `type` (zero-initialised, as WebAssembly does). */
  addLocal(type: ValType): Local {
    const l = { index: this.localTypes.length, type };
    this.localTypes.push(type);
    return l;
  }

  private checkLocal(opname: string, l: Local): void {
    if (this.localTypes[l.index] !== l.type) this.fail(opname, `local ${l.index} is not a ${l.type} local of this function`);
  }

  private fail(opname: string, why: string): never {
    throw new WasmBuildError(`wasm builder: function '${this.funcName}', ${opname}: ${why} (stack: [${this.stack.join(', ')}])`);
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private pop(opname: string, want: readonly ValType[]): void {
    const frame = this.top();
    for (let i = want.length - 1; i >= 0; i--) {
      if (this.stack.length <= frame.height) {
        if (frame.unreachable) continue;
        this.fail(opname, `expected operands [${want.join(', ')}], the stack has too few`);
      }
      const got = this.stack.pop()!;
      if (got !== want[i]) this.fail(opname, `operand ${i} expected ${want[i]}, got ${got}`);
    }
  }

  private op(opname: string, code: readonly number[], pops: readonly ValType[], pushes: readonly ValType[]): void {
    if (this.frames.length === 0) this.fail(opname, 'the function body is already finished');
    this.pop(opname, pops);
    for (const b of code) this.code.push(b);
    for (const t of pushes) this.stack.push(t);
  }

  private blockType(results: readonly ValType[]): void {
    if (results.length === 0) this.code.push(0x40);
    else if (results.length === 1) this.code.push(VALTYPE_CODE[results[0]!]);
    else this.fail('block', 'multi-value blocks are not supported');
  }

  private structured(kind: 'block' | 'loop', opcode: number, results: readonly ValType[], body: (label: Label) => void): void {
    this.op(kind, [opcode], [], []);
    this.blockType(results);
    const token = {};
    this.frames.push({ kind, token, height: this.stack.length, results, unreachable: false });
    body({ depth: this.frames.length, frame: token, branchTypes: kind === 'loop' ? [] : results });
    this.end(kind);
  }

  private end(kind: string): void {
    const frame = this.top();
    this.pop(`end of ${kind}`, frame.results);
    if (this.stack.length !== frame.height) this.fail(`end of ${kind}`, `${this.stack.length - frame.height} value(s) left on the stack`);
    this.frames.pop();
    this.code.push(0x0b);
    for (const t of frame.results) this.stack.push(t);
  }

  /** `block … end`; `br(label)` inside jumps past its end. */
  block(body: (label: Label) => void, results: readonly ValType[] = []): void {
    this.structured('block', 0x02, results, body);
  }

  /** `loop … end`; `br(label)` inside jumps back to its start. */
  loop(body: (label: Label) => void, results: readonly ValType[] = []): void {
    this.structured('loop', 0x03, results, body);
  }

  /** `if … else … end` on the i32 on top of the stack. */
  if(then: (label: Label) => void, otherwise?: (label: Label) => void, results: readonly ValType[] = []): void {
    this.op('if', [0x04], [I], []);
    this.blockType(results);
    const token = {};
    this.frames.push({ kind: 'if', token, height: this.stack.length, results, unreachable: false });
    const label: Label = { depth: this.frames.length, frame: token, branchTypes: results };
    then(label);
    if (otherwise) {
      const frame = this.top();
      this.pop('else', frame.results);
      if (this.stack.length !== frame.height) this.fail('else', `${this.stack.length - frame.height} value(s) left on the stack`);
      frame.unreachable = false;
      this.code.push(0x05);
      otherwise(label);
    } else if (results.length > 0) {
      this.fail('if', 'an if with results needs an else');
    }
    this.end('if');
  }

  private labelIndex(opname: string, label: Label): number {
    if (label.depth > this.frames.length || label.depth < 2 || this.frames[label.depth - 1]!.token !== label.frame) {
      this.fail(opname, 'branch to a label that is not in scope');
    }
    return this.frames.length - label.depth;
  }

  /** Unconditional branch to `label`. */
  br(label: Label): void {
    const idx = this.labelIndex('br', label);
    this.pop('br', label.branchTypes);
    this.code.push(0x0c);
    uleb(this.code, idx);
    this.markUnreachable();
  }

  /** Branch to `label` if the i32 on top of the stack is non-zero. */
  brIf(label: Label): void {
    const idx = this.labelIndex('br_if', label);
    this.pop('br_if', [I]);
    this.pop('br_if', label.branchTypes);
    this.code.push(0x0d);
    uleb(this.code, idx);
    for (const t of label.branchTypes) this.stack.push(t);
  }

  private markUnreachable(): void {
    const frame = this.top();
    this.stack.length = frame.height;
    frame.unreachable = true;
  }

  /** Returns from the function with its results on the stack. */
  return(): void {
    this.pop('return', this.resultTypes);
    this.code.push(0x0f);
    this.markUnreachable();
  }

  drop(): void {
    const t = this.stack[this.stack.length - 1];
    if (t === undefined || this.stack.length <= this.top().height) this.fail('drop', 'nothing to drop');
    this.op('drop', [0x1a], [t], []);
  }

  /** `select`: a if the i32 condition is non-zero, else b (operands a, b, cond; both of one numeric type). */
  select(): void {
    const t = this.stack[this.stack.length - 2];
    if (t === undefined) this.fail('select', 'expected operands [a, b, i32]');
    this.op('select', t === 'v128' ? [0x1c, 0x01, VALTYPE_CODE.v128] : [0x1b], [t, t, I], [t]);
  }

  /** Number of values on the operand stack (for assertions in emitters). */
  get stackDepth(): number {
    return this.stack.length;
  }

  /** The type on top of the operand stack. */
  peek(): ValType | undefined {
    return this.stack[this.stack.length - 1];
  }

  /** @internal closes the body and returns the encoded function (locals + code). */
  encode(): number[] {
    if (this.frames.length !== 1) this.fail('end of function', 'a block, loop or if is still open');
    this.end('function');
    const out: number[] = [];
    const extra = this.localTypes.slice(this.params.length);
    const groups: [number, ValType][] = [];
    for (const t of extra) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(out, groups.length);
    for (const [n, t] of groups) {
      uleb(out, n);
      out.push(VALTYPE_CODE[t]);
    }
    out.push(...this.code);
    return out;
  }
}

export interface MemoryImport {
  module: string;
  name: string;
  /** Initial pages (64 KiB each). */
  initial: number;
  maximum?: number;
  shared?: boolean;
}

/** Builds one module: an imported memory and exported functions. */
export class ModuleBuilder {
  private memory: MemoryImport | null = null;
  private readonly funcs: { name: string; type: number; body: FunctionBuilder; exported: boolean }[] = [];
  private readonly types: string[] = [];
  private readonly typeSigs: [readonly ValType[], readonly ValType[]][] = [];

  /** Imports the memory every function reads (memory index 0). */
  importMemory(memory: MemoryImport): this {
    this.memory = memory;
    return this;
  }

  /**
   * Adds a function; `body(f, params)` emits its code. Returns its index (for
   * `call`). Exported under `name` unless `exported` is false.
   */
  func(
    fname: string, params: readonly ValType[], results: readonly ValType[],
    body: (f: FunctionBuilder, params: Local[]) => void, exported = true,
  ): number {
    const key = `${params.join(',')}>${results.join(',')}`;
    let type = this.types.indexOf(key);
    if (type < 0) {
      type = this.types.length;
      this.types.push(key);
      this.typeSigs.push([params, results]);
    }
    const f = new FunctionBuilder(fname, params, results);
    body(f, f.params);
    this.funcs.push({ name: fname, type, body: f, exported });
    return this.funcs.length - 1;
  }

  /** The module's bytes. */
  finish(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, content: number[]) => {
      out.push(id);
      uleb(out, content.length);
      out.push(...content);
    };
    // type section
    const types: number[] = [];
    uleb(types, this.typeSigs.length);
    for (const [p, r] of this.typeSigs) {
      types.push(0x60);
      uleb(types, p.length);
      for (const t of p) types.push(VALTYPE_CODE[t]);
      uleb(types, r.length);
      for (const t of r) types.push(VALTYPE_CODE[t]);
    }
    section(1, types);
    if (this.memory) {
      const imp: number[] = [];
      uleb(imp, 1);
      name(imp, this.memory.module);
      name(imp, this.memory.name);
      imp.push(0x02);
      const flags = (this.memory.maximum !== undefined ? 1 : 0) | (this.memory.shared ? 2 : 0);
      imp.push(flags);
      uleb(imp, this.memory.initial);
      if (this.memory.maximum !== undefined) uleb(imp, this.memory.maximum);
      section(2, imp);
    }
    const fsec: number[] = [];
    uleb(fsec, this.funcs.length);
    for (const f of this.funcs) uleb(fsec, f.type);
    section(3, fsec);
    const exports = this.funcs.map((f, i) => [f, i] as const).filter(([f]) => f.exported);
    const esec: number[] = [];
    uleb(esec, exports.length);
    for (const [f, i] of exports) {
      name(esec, f.name);
      esec.push(0x00);
      uleb(esec, i);
    }
    section(7, esec);
    const csec: number[] = [];
    uleb(csec, this.funcs.length);
    for (const f of this.funcs) {
      const body = f.body.encode();
      uleb(csec, body.length);
      csec.push(...body);
    }
    section(10, csec);
    return Uint8Array.from(out);
  }
}

/** `call` is emitted through this helper so the callee's signature is checked. */
export function emitCall(f: FunctionBuilder, index: number, params: readonly ValType[], results: readonly ValType[]): void {
  (f as unknown as { op(n: string, c: number[], p: readonly ValType[], r: readonly ValType[]): void }).op('call', [0x10], params, results);
  const code = (f as unknown as { code: number[] }).code;
  uleb(code, index);
}
