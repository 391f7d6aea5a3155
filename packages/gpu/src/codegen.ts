import type { BinaryOp, UnaryOp } from '@tsgrad/tensor';

/*
 * Kernel sources are generated per (op, shapes, strides, mode) as gpu.js JavaScript
 * text. Every size, stride, offset and loop bound is baked in as a literal, because:
 *  - gpu.js caps loops whose bound is an argument at loopMaxIterations (1000) and
 *    ignores constants set after the first call, silently;
 *  - literal bounds are what GLSL compiles into tight loops.
 * Index maths is done here on a 1-D output (thread.x), in float with an exact
 * integer correction (every index is below 2^24, so floats hold it exactly).
 *
 * Two math dialects: 'wasm' calls the JS Math functions gpu.js imports into the
 * module (correctly rounded doubles, stored as f32); 'gl' avoids GLSL's weak spots
 * measured on Mesa llvmpipe: exp loses ~|x| ulps (range-reduced here, Cody–Waite),
 * log near 1 has a relative error of 1e-3 (an atanh series there), expm1/log1p/tanh
 * are naive in gpu.js's GLSL prelude, `Infinity` literals and `x - x` fold wrongly.
 * The GL kernels take the uniforms `nanv` (NaN), `infv` (+Infinity) and `onev` (1)
 * for that.
 */

export type Dialect = 'gl' | 'wasm';

/** Formats a JS number as kernel source (always with a decimal point for floats). */
export function lit(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`internal: non-finite literal ${v}`);
  return Number.isInteger(v) ? String(v) : String(v);
}

/** A float literal that gpu.js types as Number (not Integer). */
function flit(v: number): string {
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

export class Emitter {
  readonly lines: string[] = [];
  private n = 0;
  constructor(readonly dialect: Dialect) {}

  tmp(prefix = 't'): string {
    return `${prefix}${this.n++}`;
  }

  line(s: string): void {
    this.lines.push(s);
  }

  /** Declares `const name = expr;` and returns name. */
  let(expr: string, prefix = 't'): string {
    const name = this.tmp(prefix);
    this.lines.push(`const ${name} = ${expr};`);
    return name;
  }

  // ---------- accurate math for GL ----------

  /** e^x: Cody–Waite range reduction to e^r · 2^k, e^r by its Taylor polynomial. */
  exp(x: string): string {
    if (this.dialect === 'wasm') return this.let(`Math.exp(${x})`);
    const c = this.let(`${x} > 89.0 ? 89.0 : (${x} < -104.0 ? -104.0 : ${x})`);
    const k = this.let(`Math.floor(${c} * 1.4426950408889634 + 0.5)`);
    const r = this.let(`(${c} - ${k} * 0.693145751953125) - ${k} * 1.428606765330187e-6`);
    // One pow: 2^128 overflows, so k = 128 (e^88.4…88.7) is done as 2·2^127.
    const k2 = this.let(`${k} > 127.5 ? 127.0 : ${k}`);
    // e^r on |r| <= ln2/2 by its Taylor polynomial (error < 1e-8): GLSL's exp is
    // not correctly rounded even at tiny r (exp(−1e−9) came out one ulp below 1).
    const er = this.let(`1.0 + ${r} * (1.0 + ${r} * (0.5 + ${r} * (0.16666666666666666 + ${r} * (0.041666666666666664 + ${r} * (0.008333333333333333 + ${r} * (0.001388888888888889 + ${r} * 0.0001984126984126984))))))`);
    return this.let(`${x} !== ${x} ? ${x} : (${k} > 127.5 ? ${er} * 2.0 : ${er}) * Math.pow(2.0, ${k2})`);
  }

  /** e^x as an expression, for x <= 0 where a few ulps are fine (log-sum-exp terms). */
  expFastExpr(x: string): string {
    return `Math.exp(${x})`;
  }

  expm1(x: string): string {
    if (this.dialect === 'wasm') return this.let(`Math.expm1(${x})`);
    const out = this.tmp('em');
    this.line(`let ${out} = ${x};`);
    this.line(`if (${x} > -0.5 && ${x} < 0.5) {`);
    this.line(`${out} = ${x} * (1.0 + ${x} * (0.5 + ${x} * (0.16666666666666666 + ${x} * (0.041666666666666664 + ${x} * (0.008333333333333333 + ${x} * (0.001388888888888889 + ${x} * (0.0001984126984126984 + ${x} * (0.0000248015873015873 + ${x} * 0.0000027557319223985893))))))));`);
    this.line(`} else {`);
    const e = this.exp(x);
    this.line(`${out} = ${e} - 1.0;`);
    this.line(`}`);
    return out;
  }

  /** log(1 + u) for small u: 2·atanh(u / (2 + u)) as an odd series (|s| < 0.2). */
  private log1pSeries(u: string): string {
    const s = this.let(`${u} / (2.0 + ${u})`);
    const s2 = this.let(`${s} * ${s}`);
    return `2.0 * ${s} * (1.0 + ${s2} * (0.3333333333333333 + ${s2} * (0.2 + ${s2} * (0.14285714285714285 + ${s2} * (0.1111111111111111 + ${s2} * (0.09090909090909091 + ${s2} * 0.07692307692307693))))))`;
  }

  /**
   * log x = e·ln2 + log(m), x = m·2^e with m near 1: the series gives log m to an
   * ulp, e·ln2 is split hi/lo. GLSL's log alone is off by 1e-3 relative near x = 1.
   * 0, negatives, ∞ and NaN go to GLSL's log, which handles them.
   */
  log(x: string): string {
    if (this.dialect === 'wasm') return this.let(`Math.log(${x})`);
    const out = this.tmp('lg');
    this.line(`let ${out} = ${x};`);
    this.line(`if (${x} > 0.0 && ${x} < infv) {`);
    const e = this.let(`Math.floor(Math.log2(${x}) + 0.5)`);
    const h = this.let(`Math.floor(${e} * 0.5)`);
    // Two exact power-of-two scalings keep 2^-e normal for every finite x.
    const m = this.let(`(${x} * Math.pow(2.0, -${h})) * Math.pow(2.0, ${h} - ${e})`);
    const u = this.let(`${m} - 1.0`);
    this.line(`${out} = ${e} * 0.693145751953125 + (${e} * 1.428606765330187e-6 + ${this.log1pSeries(u)});`);
    this.line(`} else {`);
    this.line(`${out} = Math.log(${x});`);
    this.line(`}`);
    return out;
  }

  log1p(x: string): string {
    if (this.dialect === 'wasm') return this.let(`Math.log1p(${x})`);
    const out = this.tmp('lp');
    this.line(`let ${out} = ${x};`);
    this.line(`if (${x} > -0.3 && ${x} < 0.45) {`);
    this.line(`${out} = ${this.log1pSeries(x)};`);
    this.line(`} else {`);
    this.line(`${out} = Math.log(1.0 + ${x});`);
    this.line(`}`);
    return out;
  }

  tanh(x: string): string {
    if (this.dialect === 'wasm') return this.let(`Math.tanh(${x})`);
    const a = this.let(`-2.0 * Math.abs(${x})`);
    const e = this.expm1(a);
    const t = this.let(`-${e} / (2.0 + ${e})`);
    return this.let(`${x} < 0.0 ? -${t} : ${t}`);
  }

  /** Math.pow semantics (pow(x, 0) = 1 even for NaN, pow(±1, ±∞) = NaN, signed zeros). */
  pow(a: string, b: string): string {
    if (this.dialect === 'wasm') return this.let(`Math.pow(${a}, ${b})`);
    const out = this.tmp('pw');
    const ab = this.let(`Math.abs(${a})`);
    const bb = this.let(`Math.abs(${b})`);
    const isInt = this.let(`Math.floor(${b}) === ${b} && ${bb} < 16777216.0 ? 1.0 : 0.0`);
    const odd = this.let(`${isInt} > 0.5 && Math.floor(${b} * 0.5) * 2.0 !== ${b} ? 1.0 : 0.0`);
    this.line(`let ${out} = 1.0;`);
    this.line(`if (${b} === 0.0) { ${out} = 1.0; }`);
    this.line(`else if (${a} !== ${a} || ${b} !== ${b}) { ${out} = nanv; }`);
    this.line(`else if (${ab} === 1.0 && ${bb} === infv) { ${out} = nanv; }`);
    this.line(`else if (${a} === 0.0) {`);
    this.line(`  if (${b} > 0.0) { ${out} = ${odd} > 0.5 ? ${a} : 0.0; } else { ${out} = ${odd} > 0.5 ? 1.0 / ${a} : infv; }`);
    this.line(`} else if (${a} < 0.0 && ${isInt} < 0.5) { ${out} = nanv; }`);
    this.line(`else if (${isInt} > 0.5 && ${bb} <= 64.0) {`);
    // Small integer powers by squaring: exact-ish like the CPU, where exp2(b·log2 a) is not.
    const base = this.tmp('pb');
    const e = this.tmp('pe');
    this.line(`  let ${base} = ${ab}; let ${e} = ${bb}; let acc = 1.0;`);
    this.line(`  for (let k = 0; k < 7; k++) { const hb = Math.floor(${e} * 0.5); if (${e} - hb * 2.0 > 0.5) { acc = acc * ${base}; } ${base} = ${base} * ${base}; ${e} = hb; }`);
    this.line(`  if (${b} < 0.0) { acc = 1.0 / acc; }`);
    this.line(`  ${out} = ${a} < 0.0 && ${odd} > 0.5 ? -acc : acc;`);
    this.line(`} else {`);
    const lg = this.log(ab);
    const prod = this.let(`${b} * ${lg}`);
    const ex = this.exp(prod);
    // exp of ±∞ products: exp() clamps, so route infinities explicitly.
    this.line(`  let pr = ${ex};`);
    this.line(`  if (${prod} > 3.4e38) { pr = infv; }`);
    this.line(`  ${out} = ${a} < 0.0 && ${odd} > 0.5 ? -pr : pr;`);
    this.line(`}`);
    return out;
  }

  unary(op: UnaryOp, v: string): string {
    switch (op) {
      case 'neg': return this.let(`-${v}`);
      case 'abs': return this.let(`Math.abs(${v})`);
      case 'sign': return this.let(`${v} > 0.0 ? 1.0 : (${v} < 0.0 ? -1.0 : ${v})`);
      case 'exp': return this.exp(v);
      case 'expm1': return this.expm1(v);
      case 'log': return this.log(v);
      case 'log1p': return this.log1p(v);
      case 'sqrt': return this.let(`Math.sqrt(${v})`);
      case 'rsqrt': return this.let(`1.0 / Math.sqrt(${v})`);
      case 'sin': return this.let(`Math.sin(${v})`);
      case 'cos': return this.let(`Math.cos(${v})`);
      case 'tanh': return this.tanh(v);
      case 'sigmoid': {
        const e = this.exp(`-${v}`);
        return this.let(`1.0 / (1.0 + ${e})`);
      }
      case 'relu': return this.let(`${v} > 0.0 ? ${v} : (${v} === ${v} ? 0.0 : ${v})`);
      case 'square': return this.let(this.dialect === 'gl' ? `(${v} * ${v}) * onev` : `${v} * ${v}`);
      case 'reciprocal': return this.let(`1.0 / ${v}`);
      case 'copy': return v;
    }
  }

  binary(op: BinaryOp, a: string, b: string): string {
    switch (op) {
      case 'add': return this.let(this.dialect === 'gl' ? `(${a} + ${b}) * onev` : `${a} + ${b}`);
      case 'sub': return this.let(this.dialect === 'gl' ? `(${a} - ${b}) * onev` : `${a} - ${b}`);
      // GL: add, sub and mul results go through a uniform 1, so the shader compiler can
      // neither contract a product into a following add (fused multiply-add) nor
      // reassociate (c − (c − x) → x): every op of a fused kernel rounds exactly as
      // its own kernel would. Error-free transformations (Veltkamp's split, TwoSum,
      // used by erfc) depend on it. wasm never does either.
      case 'mul': return this.let(this.dialect === 'gl' ? `(${a} * ${b}) * onev` : `${a} * ${b}`);
      case 'div': return this.let(`${a} / ${b}`);
      case 'pow': return this.pow(a, b);
      // NaN propagates like the CPU backend (PyTorch's maximum/minimum).
      case 'maximum': return this.let(`(${a} > ${b} || ${a} !== ${a}) ? ${a} : ${b}`);
      case 'minimum': return this.let(`(${a} < ${b} || ${a} !== ${a}) ? ${a} : ${b}`);
      case 'eq': return this.let(`${a} === ${b} ? 1.0 : 0.0`);
      case 'ne': return this.let(`${a} !== ${b} ? 1.0 : 0.0`);
      case 'lt': return this.let(`${a} < ${b} ? 1.0 : 0.0`);
      case 'le': return this.let(`${a} <= ${b} ? 1.0 : 0.0`);
      case 'gt': return this.let(`${a} > ${b} ? 1.0 : 0.0`);
      case 'ge': return this.let(`${a} >= ${b} ? 1.0 : 0.0`);
    }
  }

  /** Cast to bool: any non-zero, NaN included, is true. */
  toBool(v: string): string {
    return this.let(`${v} !== 0.0 ? 1.0 : 0.0`);
  }

  /**
   * Splits the flat index `idx` (a source expression) over `shape` (row-major) and
   * returns one coordinate expression per dim. Float division is corrected by an
   * exact integer remainder test, twice where the quotient can reach 2^22.
   */
  coords(idx: string, shape: readonly number[]): string[] {
    const nd = shape.length;
    if (nd === 0) return [];
    if (nd === 1) return [/^[\w.]+$/.test(idx) ? idx : `(${idx})`];
    const out: string[] = new Array(nd);
    let rest = /^[\w.]+$/.test(idx) ? idx : this.let(idx, 'ix');
    let total = shape.reduce((p, s) => p * s, 1);
    for (let d = nd - 1; d >= 1; d--) {
      const S = shape[d]!;
      if (S === 1) {
        out[d] = '0';
        continue;
      }
      const q = this.tmp('q');
      const r = this.tmp('r');
      this.line(`let ${q} = Math.floor(${rest} / ${flit(S)});`);
      this.line(`let ${r} = ${rest} - ${q} * ${flit(S)};`);
      const rounds = total / S >= 4194304 ? 2 : 1;
      for (let k = 0; k < rounds; k++) {
        this.line(`if (${r} < 0.0) { ${q} = ${q} - 1.0; ${r} = ${r} + ${flit(S)}; }`);
        this.line(`if (${r} >= ${flit(S)}) { ${q} = ${q} + 1.0; ${r} = ${r} - ${flit(S)}; }`);
      }
      out[d] = r;
      rest = q;
      total /= S;
    }
    out[0] = rest;
    return out;
  }
}

/** offset + Σ coord·stride as source, skipping zero strides. */
export function offsetExpr(offset: number, coords: readonly string[], strides: readonly number[]): string {
  const terms: string[] = [];
  if (offset !== 0) terms.push(lit(offset));
  coords.forEach((c, d) => {
    const s = strides[d]!;
    // A literal 0 coordinate ('0', or '0.0' from copyIntoKernel) adds nothing — and gpu.js
    // mistypes a sum of literals such as `0.0 + 0.0` as a GL index (a shader that does not compile).
    if (s === 0 || /^0(\.0*)?$/.test(c)) return;
    const cp = /^[\w.()]+$/.test(c) ? c : `(${c})`;
    terms.push(s === 1 ? cp : `${cp} * ${lit(s)}`);
  });
  return terms.length ? terms.join(' + ') : '0';
}

/**
 * Merges adjacent dims that are contiguous for every operand (and drops size-1
 * dims), so most kernels see one or two dims.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const s = shape[d]!;
    if (s === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((st, k) => outStrides[k]![last] === st[d]! * s)) {
      outShape[last]! *= s;
      strides.forEach((st, k) => (outStrides[k]![last] = st[d]!));
      continue;
    }
    outShape.push(s);
    strides.forEach((st, k) => outStrides[k]!.push(st[d]!));
  }
  return { shape: outShape, strides: outStrides };
}
