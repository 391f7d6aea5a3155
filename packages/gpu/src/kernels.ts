import type { BinaryOp, ReduceOp, UnaryOp } from '@tsgrad/tensor';
import { Emitter, coalesce, lit, offsetExpr, type Dialect } from './codegen';

/*
 * Source builders: each returns the gpu.js kernel source for one (op, shapes,
 * strides) signature. The backend caches compiled kernels by that same key.
 * Every kernel's parameters are the operands a0…ak (a texture/array, or a number
 * for a constant operand) followed by the uniforms nanv and infv.
 */

/** How an operand reaches the kernel: a device array, or a uniform constant. */
export interface OperandDesc {
  constant: boolean;
  /** Elements in the operand's storage (a kernel is compiled per input size). */
  storageSize: number;
  offset: number;
  strides: readonly number[];
}

export interface KernelSpec {
  key: string;
  source: string;
  /** Output elements (the kernel's 1-D output length). */
  outSize: number;
}

function operandKey(o: OperandDesc): string {
  return o.constant ? 'c' : `t${o.storageSize}@${o.offset}:${o.strides.join(',')}`;
}

function params(count: number): string {
  return [...Array.from({ length: count }, (_, k) => `a${k}`), 'nanv', 'infv'].join(', ');
}

function wrap(count: number, em: Emitter, result: string): string {
  return `function(${params(count)}) {\n  ${em.lines.join('\n  ')}\n  return ${result};\n}`;
}

/** Loads each operand at the output position `idx` over `shape` (already coalesced). */
function loadOperands(em: Emitter, idx: string, shape: readonly number[], ops: readonly OperandDesc[], strides: readonly (readonly number[])[]): string[] {
  const coords = em.coords(idx, shape);
  return ops.map((o, k) => (o.constant ? `a${k}` : em.let(`a${k}[${offsetExpr(o.offset, coords, strides[k]!)}]`, 'v')));
}

export type ElementwiseOp =
  | { kind: 'unary'; op: UnaryOp; toBool: boolean }
  | { kind: 'binary'; op: BinaryOp; toBool: boolean }
  | { kind: 'where' };

export function elementwiseKernel(dialect: Dialect, what: ElementwiseOp, outShape: readonly number[], ops: readonly OperandDesc[]): KernelSpec {
  const n = outShape.reduce((p, s) => p * s, 1);
  const c = coalesce(outShape, ops.map((o) => o.strides));
  const em = new Emitter(dialect);
  const i = em.let('this.thread.x', 'i');
  const vals = loadOperands(em, i, c.shape, ops, c.strides);
  let r: string;
  if (what.kind === 'unary') r = em.unary(what.op, vals[0]!);
  else if (what.kind === 'binary') r = em.binary(what.op, vals[0]!, vals[1]!);
  else r = em.let(`${vals[0]} !== 0.0 ? ${vals[1]} : ${vals[2]}`);
  if (what.kind !== 'where' && what.toBool) r = em.toBool(r);
  const opName = what.kind === 'where' ? 'where' : `${what.op}${what.toBool ? '>bool' : ''}`;
  const descs = ops.map((o, k) => ({ ...o, strides: c.strides[k]! }));
  return {
    key: `${dialect}|${opName}|${c.shape.join('x')}|${n}|${descs.map(operandKey).join('|')}`,
    source: wrap(ops.length, em, r),
    outSize: n,
  };
}

/** Chunk length of the pairwise sums: partial sums keep float32 error ~ (32 + R/32) ulps. */
const CHUNK = 32;

/**
 * Reduces `x` (shape, strides, offset) over `axes`. Kept dims map from the output
 * index; reduced dims become nested loops with literal bounds.
 */
export function reduceKernel(dialect: Dialect, op: ReduceOp, shape: readonly number[], x: OperandDesc, axes: readonly number[]): KernelSpec {
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const k = coalesce(kept.map((d) => shape[d]!), [kept.map((d) => x.strides[d]!)]);
  const r = coalesce(axes.map((d) => shape[d]!), [axes.map((d) => x.strides[d]!)]);
  const nOut = kept.reduce((p, d) => p * shape[d]!, 1);
  const R = r.shape.reduce((p, s) => p * s, 1);
  const em = new Emitter(dialect);
  const o = em.let('this.thread.x', 'o');
  const coords = em.coords(o, k.shape);
  const base = em.let(offsetExpr(x.offset, coords, k.strides[0]!), 'base');
  const rs = r.shape;
  const rt = r.strides[0]!;
  const nl = rs.length;
  const jv = rs.map((_, d) => `j${d}`);
  const at = (inner: string) => {
    const terms = [base, ...jv.slice(0, nl - 1).map((j, d) => (rt[d] === 1 ? j : `${j} * ${lit(rt[d]!)}`)), rt[nl - 1] === 1 ? inner : `${inner} * ${lit(rt[nl - 1]!)}`];
    return `a0[${terms.join(' + ')}]`;
  };
  // Opens the outer reduced loops (all but the innermost), returns the closing text.
  const openOuter = () => {
    for (let d = 0; d < nl - 1; d++) em.line(`for (let ${jv[d]} = 0; ${jv[d]} < ${rs[d]}; ${jv[d]}++) {`);
    return () => {
      for (let d = 0; d < nl - 1; d++) em.line('}');
    };
  };
  const L = rs[nl - 1]!;
  // The flat reduced index of (j0, …, inner), for argmax/argmin.
  const flatIndex = (inner: string) => {
    if (nl === 1) return inner;
    let acc = jv[0]!;
    for (let d = 1; d < nl - 1; d++) acc = `(${acc}) * ${rs[d]} + ${jv[d]}`;
    return `(${acc}) * ${L} + ${inner}`;
  };

  let result: string;
  if (nl === 0 || R === 0) {
    // Nothing to reduce over (R = 1 after dropping size-1 dims, or an empty dim).
    const first = R === 0 ? null : `a0[${base}]`;
    switch (op) {
      case 'sum': result = first ?? '0.0'; break;
      case 'logSumExp': result = first ?? '-infv'; break;
      case 'argmax': case 'argmin': result = '0.0'; break;
      default: result = first ?? 'nanv';
    }
  } else if (op === 'sum') {
    const s = em.tmp('s');
    em.line(`let ${s} = 0.0;`);
    const close = openOuter();
    const full = Math.floor(L / CHUNK);
    if (full > 1) {
      em.line(`for (let c = 0; c < ${full}; c++) { let p = 0.0; for (let m = 0; m < ${CHUNK}; m++) { p += ${at(`(c * ${CHUNK} + m)`)}; } ${s} += p; }`);
      if (L % CHUNK) em.line(`for (let m = ${full * CHUNK}; m < ${L}; m++) { ${s} += ${at('m')}; }`);
    } else {
      em.line(`for (let m = 0; m < ${L}; m++) { ${s} += ${at('m')}; }`);
    }
    close();
    result = s;
  } else if (op === 'max' || op === 'min' || op === 'argmax' || op === 'argmin') {
    const better = op === 'max' || op === 'argmax' ? '>' : '<';
    const m = em.tmp('m');
    const idx = em.tmp('ix');
    em.line(`let ${m} = a0[${base}];`);
    em.line(`let ${idx} = 0.0;`);
    const close = openOuter();
    // NaN wins and sticks (first NaN for argmax/argmin), like the CPU backend.
    em.line(`for (let m = 0; m < ${L}; m++) { const v = ${at('m')}; if (v ${better} ${m} || (v !== v && ${m} === ${m})) { ${m} = v; ${idx} = ${flatIndex('m')}; } }`);
    close();
    result = op === 'max' || op === 'min' ? m : idx;
  } else {
    // logSumExp: max first, ±∞/NaN max returned as is (no ∞ − ∞), then Σ e^(x − max).
    const m = em.tmp('m');
    em.line(`let ${m} = a0[${base}];`);
    let close = openOuter();
    em.line(`for (let m = 0; m < ${L}; m++) { const v = ${at('m')}; if (v > ${m} || v !== v) { ${m} = v; } }`);
    close();
    const s = em.tmp('s');
    em.line(`let ${s} = 0.0;`);
    em.line(`if (${m} === ${m} && ${m} < infv && ${m} > -infv) {`);
    close = openOuter();
    const full = Math.floor(L / CHUNK);
    const term = (idx: string) => ({ lines: '', e: em.expFastExpr(`(${at(idx)} - ${m})`) });
    if (full > 1) {
      const t = term(`(c * ${CHUNK} + q)`);
      em.line(`for (let c = 0; c < ${full}; c++) { let p = 0.0; for (let q = 0; q < ${CHUNK}; q++) { ${t.lines} p += ${t.e}; } ${s} += p; }`);
      if (L % CHUNK) {
        const t2 = term('q');
        em.line(`for (let q = ${full * CHUNK}; q < ${L}; q++) { ${t2.lines} ${s} += ${t2.e}; }`);
      }
    } else {
      const t = term('q');
      em.line(`for (let q = 0; q < ${L}; q++) { ${t.lines} ${s} += ${t.e}; }`);
    }
    close();
    const lg = em.log(s);
    em.line(`${m} = ${m} + ${lg};`);
    em.line('}');
    result = m;
  }
  return {
    key: `${dialect}|reduce:${op}|${k.shape.join('x')}/${r.shape.join('x')}|${operandKey({ ...x, strides: [...k.strides[0]!, -1, ...rt] })}`,
    source: wrap(1, em, result),
    outSize: nOut,
  };
}

/** out[p] = x[p with p[dim] = index[p]]; out has the index's shape. */
export function gatherKernel(dialect: Dialect, x: OperandDesc, dim: number, indexShape: readonly number[], index: OperandDesc): KernelSpec {
  const n = indexShape.reduce((p, s) => p * s, 1);
  const em = new Emitter(dialect);
  const i = em.let('this.thread.x', 'i');
  const coords = em.coords(i, indexShape);
  const iv = index.constant ? 'a1' : em.let(`a1[${offsetExpr(index.offset, coords, index.strides)}]`, 'ix');
  const xs = x.strides.map((s, d) => (d === dim ? 0 : s));
  const off = offsetExpr(x.offset, coords, xs);
  const r = x.constant ? 'a0' : em.let(`a0[${off} + ${iv} * ${lit(x.strides[dim] ?? 0)}]`);
  return {
    key: `${dialect}|gather:${dim}|${indexShape.join('x')}|${operandKey(x)}|${operandKey(index)}`,
    source: wrap(2, em, r),
    outSize: n,
  };
}

/** A contiguous copy of base with src[q] added at q with q[dim] = index[q] (`scatterAdd`). */
export function scatterAddKernel(
  dialect: Dialect, baseShape: readonly number[], base: OperandDesc, dim: number,
  indexShape: readonly number[], index: OperandDesc, src: OperandDesc,
): KernelSpec {
  const n = baseShape.reduce((p, s) => p * s, 1);
  const em = new Emitter(dialect);
  const i = em.let('this.thread.x', 'i');
  const coords = em.coords(i, baseShape);
  const acc = em.tmp('acc');
  em.line(`let ${acc} = ${base.constant ? 'a0' : `a0[${offsetExpr(base.offset, coords, base.strides)}]`};`);
  const inside = baseShape.map((_, d) => d).filter((d) => d !== dim && indexShape[d]! < baseShape[d]!).map((d) => `${coords[d]} < ${indexShape[d]}`);
  const K = indexShape[dim]!;
  if (K > 0 && indexShape.every((s) => s > 0)) {
    const qIdx = (k: string) => offsetExpr(index.offset, coords.map((c, d) => (d === dim ? k : c)), index.strides);
    const qSrc = (k: string) => offsetExpr(src.offset, coords.map((c, d) => (d === dim ? k : c)), src.strides);
    const idxAt = index.constant ? 'a1' : `a1[${qIdx('k')}]`;
    const srcAt = src.constant ? 'a2' : `a2[${qSrc('k')}]`;
    em.line(`if (${inside.length ? inside.join(' && ') : 'true'}) {`);
    em.line(`for (let k = 0; k < ${K}; k++) { if (${idxAt} === ${coords[dim]}) { ${acc} += ${srcAt}; } }`);
    em.line('}');
  }
  return {
    key: `${dialect}|scatterAdd:${dim}|${baseShape.join('x')}/${indexShape.join('x')}|${operandKey(base)}|${operandKey(index)}|${operandKey(src)}`,
    source: wrap(3, em, acc),
    outSize: n,
  };
}

/**
 * Writes the view src into the region `dst` (shape, strides, offset) of a storage of
 * `dstSize` elements and keeps every other element of the old storage a0. Needs the
 * dst strides to be positive and nested (each larger than the span of the smaller
 * ones), which every view the front end writes through has; the caller checks.
 */
export function copyIntoKernel(
  dialect: Dialect, dstSize: number, old: OperandDesc | null, shape: readonly number[],
  dstStrides: readonly number[], dstOffset: number, src: OperandDesc,
): KernelSpec {
  const em = new Emitter(dialect);
  const p = em.let('this.thread.x', 'p');
  const order = shape.map((_, d) => d).filter((d) => shape[d]! > 1).sort((a, b) => dstStrides[b]! - dstStrides[a]!);
  const keep = old ? (old.constant ? 'a1' : `a1[${p}]`) : '0.0';
  const out = em.tmp('out');
  em.line(`let ${out} = ${keep};`);
  em.line(`let rel = ${p} - ${dstOffset}.0;`);
  em.line('let ok = rel >= 0 ? 1.0 : 0.0;');
  const coords: string[] = shape.map(() => '0.0');
  for (const d of order) {
    const c = em.tmp('c');
    const S = dstStrides[d]!;
    em.line(`let ${c} = Math.floor(rel / ${S}.0);`);
    em.line(`if (rel - ${c} * ${S}.0 < 0.0) { ${c} = ${c} - 1.0; }`);
    em.line(`if (rel - ${c} * ${S}.0 >= ${S}.0) { ${c} = ${c} + 1.0; }`);
    em.line(`if (${c} >= ${shape[d]}.0 || ${c} < 0.0) { ok = 0.0; }`);
    em.line(`rel = rel - ${c} * ${S}.0;`);
    coords[d] = c;
  }
  em.line('if (rel !== 0.0) { ok = 0.0; }');
  const srcAt = src.constant ? 'a0' : `a0[${offsetExpr(src.offset, coords, src.strides)}]`;
  em.line(`if (ok > 0.5) { ${out} = ${srcAt}; }`);
  const args = old ? 2 : 1;
  return {
    key: `${dialect}|copyInto|${dstSize}|${shape.join('x')}|${dstStrides.join(',')}@${dstOffset}|${old ? operandKey(old) : 'none'}|${operandKey(src)}`,
    source: wrap(args, em, out),
    outSize: dstSize,
  };
}

/** a [...B, M, K] · b [...B, K, N] → [...B, M, N]; both already broadcast over B. */
export function matmulKernel(dialect: Dialect, outShape: readonly number[], K: number, a: OperandDesc, b: OperandDesc): KernelSpec {
  const n = outShape.reduce((p, s) => p * s, 1);
  const nd = outShape.length;
  const em = new Emitter(dialect);
  const i = em.let('this.thread.x', 'i');
  const coords = em.coords(i, outShape);
  const batch = coords.slice(0, nd - 2);
  const m = coords[nd - 2]!;
  const col = coords[nd - 1]!;
  const aRow = em.let(offsetExpr(a.offset, [...batch, m], [...a.strides.slice(0, nd - 2), a.strides[nd - 2]!]), 'ar');
  const bCol = em.let(offsetExpr(b.offset, [...batch, col], [...b.strides.slice(0, nd - 2), b.strides[nd - 1]!]), 'bc');
  const ak = a.strides[nd - 1]!;
  const bk = b.strides[nd - 2]!;
  const A = (k: string) => (a.constant ? 'a0' : `a0[${aRow} + ${k} * ${lit(ak)}]`);
  const B = (k: string) => (b.constant ? 'a1' : `a1[${bCol} + ${k} * ${lit(bk)}]`);
  em.line('let s = 0.0;');
  const full = Math.floor(K / CHUNK);
  if (full > 1) {
    em.line(`for (let c = 0; c < ${full}; c++) { let p = 0.0; for (let q = 0; q < ${CHUNK}; q++) { const k = c * ${CHUNK} + q; p += ${A('k')} * ${B('k')}; } s += p; }`);
    if (K % CHUNK) em.line(`for (let k = ${full * CHUNK}; k < ${K}; k++) { s += ${A('k')} * ${B('k')}; }`);
  } else {
    em.line(`for (let k = 0; k < ${K}; k++) { s += ${A('k')} * ${B('k')}; }`);
  }
  return {
    key: `${dialect}|matmul|${outShape.join('x')}|${K}|${operandKey(a)}|${operandKey(b)}`,
    source: wrap(2, em, 's'),
    outSize: n,
  };
}
