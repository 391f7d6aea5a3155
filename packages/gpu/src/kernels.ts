import { contiguousStrides, type ReduceOp } from '@tsgrad/tensor';
import { Emitter, coalesce, lit, offsetExpr, type Dialect } from './codegen.js';
import type { Access, Buffer, LazyNode, Source } from './graph.js';
import type { KernelArg } from './gpujs.js';

/*
 * Source builders. A kernel's parameters are the buffers and uniforms it reads (in
 * the order first read), then the uniforms nanv and infv. Reading a lazy node
 * inlines its op (and, recursively, its operands') at the index being read. The
 * cache key is the source text plus the input and output sizes.
 */

export interface KernelSpec {
  key: string;
  source: string;
  /** Output elements (the kernel's 1-D output length). */
  outSize: number;
  args: KernelArg[];
}

/** Whether `a` reads an unevaluated recorded op of exactly `shape` element by element. */
export function sameLayout(a: Access, shape: readonly number[]): boolean {
  if (a.src.kind !== 'lazy' || a.src.node.result || a.offset !== 0) return false;
  const ns = a.src.node.outShape;
  if (ns.length !== shape.length || ns.some((d, i) => d !== shape[i])) return false;
  const cs = contiguousStrides(shape);
  return a.strides.every((st, d) => st === cs[d] || shape[d] === 1);
}

/** Chunk length of the pairwise sums: partial sums keep float32 error ~ (32 + R/32) ulps. */
const CHUNK = 32;

export class Builder {
  readonly em: Emitter;
  readonly args: KernelArg[] = [];
  private readonly names: string[] = [];
  private readonly paramOf = new Map<string, string>();
  private readonly memo: Map<string, string>[] = [new Map()];

  /** @param _what names the kernel kind (for readers; the cache key is the source). */
  constructor(readonly dialect: Dialect, _what: string) {
    this.em = new Emitter(dialect);
  }

  /** Runs emit inside a block (a loop body): values read there are not reused outside. */
  scope(emit: () => void): void {
    this.memo.push(new Map());
    emit();
    this.memo.pop();
  }

  private param(id: string, arg: KernelArg): string {
    let p = this.paramOf.get(id);
    if (!p) {
      p = `a${this.names.length}`;
      this.names.push(p);
      this.paramOf.set(id, p);
      this.args.push(arg);
    }
    return p;
  }

  private recall(k: string): string | undefined {
    for (let i = this.memo.length - 1; i >= 0; i--) {
      const v = this.memo[i]!.get(k);
      if (v) return v;
    }
    return undefined;
  }

  /** The value of `src` at flat index `off` (source text). */
  load(src: Source, off: string): string {
    if (src.kind === 'const') {
      const v = src.value;
      const p = this.param(`c:${Object.is(v, -0) ? '-0' : String(v)}`, v);
      return p;
    }
    if (src.kind === 'buf') return this.loadBuf(src.buf, off);
    const node = src.node;
    if (node.result) return this.loadBuf(node.result, off);
    const mk = `n${node.id}@${off}`;
    const hit = this.recall(mk);
    if (hit) {
      return hit;
    }
    const r = this.loadNode(node, this.em.coords(off, node.outShape));
    this.memo[this.memo.length - 1]!.set(mk, r);
    return r;
  }

  /**
   * A recorded op's value at coordinates of its own shape. Operands that are
   * recorded ops of the same shape read contiguously get the same coordinates (no
   * index arithmetic); others are read at their flat offset.
   */
  loadNode(node: LazyNode, coords: readonly string[]): string {
    if (node.result) return this.loadBuf(node.result, offsetExpr(0, coords, contiguousStrides(node.outShape)));
    const mk = `n${node.id}@(${coords.join(',')})`;
    const hit = this.recall(mk);
    if (hit) {
      return hit;
    }
    if (node.what.kind === 'scatter') {
      const r = this.scatterAt(node, node.what.dim, node.what.indexShape, coords);
      this.memo[this.memo.length - 1]!.set(mk, r);
      return r;
    }
    const vals = node.operands.map((o) => {
      if (sameLayout(o, node.outShape)) return this.loadNode((o.src as { node: LazyNode }).node, coords);
      return this.load(o.src, offsetExpr(o.offset, coords, o.strides));
    });
    const what = node.what;
    let r: string;
    if (what.kind === 'unary') r = this.em.unary(what.op, vals[0]!);
    else if (what.kind === 'binary') r = this.em.binary(what.op, vals[0]!, vals[1]!);
    else r = this.em.let(`${vals[0]} !== 0.0 ? ${vals[1]} : ${vals[2]}`);
    if (what.kind !== 'where' && what.toBool) r = this.em.toBool(r);
    this.memo[this.memo.length - 1]!.set(mk, r);
    return r;
  }

  /** base[p] + Σ_k src[p with p[dim] = k] where index[same] == p[dim]: scatterAdd at p. */
  scatterAt(node: LazyNode, dim: number, indexShape: readonly number[], coords: readonly string[]): string {
    const [base, index, src] = node.operands as [Access, Access, Access];
    const em = this.em;
    const acc = em.tmp('acc');
    em.line(`let ${acc} = ${this.loadAt(base, coords)};`);
    const shape = node.outShape;
    const K = indexShape[dim]!;
    if (K > 0 && indexShape.every((s) => s > 0)) {
      const inside = shape.map((_, d) => d).filter((d) => d !== dim && indexShape[d]! < shape[d]!).map((d) => `${coords[d]} < ${indexShape[d]}`);
      em.line(`if (${inside.length ? inside.join(' && ') : 'true'}) {`);
      this.scope(() => {
        const k = em.tmp('k');
        em.line(`for (let ${k} = 0; ${k} < ${K}; ${k}++) {`);
        this.scope(() => {
          const q = coords.map((c, d) => (d === dim ? k : c));
          const iv = this.loadAt(index, q);
          em.line(`if (${iv} === ${coords[dim]}) {`);
          this.scope(() => em.line(`${acc} += ${this.loadAt(src, q)};`));
          em.line('}');
        });
        em.line('}');
      });
      em.line('}');
    }
    return acc;
  }

  /** `access` at the given coordinates (one expression per dim of its strides). */
  loadAt(a: Access, coords: readonly string[]): string {
    return this.load(a.src, offsetExpr(a.offset, coords, a.strides));
  }

  private loadBuf(buf: Buffer, off: string): string {
    const p = this.param(`b:${buf.id}`, buf.array);
    const mk = `${p}[${off}]`;
    const hit = this.recall(mk);
    if (hit) return hit;
    const v = this.em.let(mk, 'v');
    this.memo[this.memo.length - 1]!.set(mk, v);
    return v;
  }

  /**
   * Emits `acc += Σ_{i < len} term(i)`, pairwise in chunks of CHUNK (partial sums keep
   * float32 error ~ (CHUNK + len/CHUNK) ulps); `term` emits inside the loop's scope.
   */
  pairwiseSum(acc: string, len: number, term: (idx: string) => string): void {
    const em = this.em;
    const loop = (from: number, to: number) => {
      em.line(`for (let m = ${from}; m < ${to}; m++) {`);
      this.scope(() => em.line(`${acc} += ${term('m')};`));
      em.line('}');
    };
    const full = Math.floor(len / CHUNK);
    if (full <= 1) {
      loop(0, len);
      return;
    }
    em.line(`for (let c = 0; c < ${full}; c++) {`);
    this.scope(() => {
      em.line('let p = 0.0;');
      em.line(`for (let m = 0; m < ${CHUNK}; m++) {`);
      this.scope(() => {
        const idx = em.let(`c * ${CHUNK} + m`, 'ix');
        em.line(`p += ${term(idx)};`);
      });
      em.line('}');
      em.line(`${acc} += p;`);
    });
    em.line('}');
    if (len % CHUNK) loop(full * CHUNK, len);
  }

  build(result: string, outSize: number): KernelSpec {
    const params = [...this.names, 'nanv', 'infv', 'onev'].join(', ');
    const source = `function(${params}) {\n  ${this.em.lines.join('\n  ')}\n  return ${result};\n}`;
    // The cache key is the source itself plus what the source does not say: the
    // output length and each input's kind and length (gpu.js bakes input sizes into
    // a compiled kernel). Equal keys therefore always mean interchangeable kernels.
    const inputs = this.args.map((a) => (typeof a === 'number' ? 'u' : a instanceof Float32Array ? `f${a.length}` : `t${(a as { output: readonly number[] }).output.join('x')}`));
    return { key: `${this.dialect}|${outSize}|${inputs.join(',')}|${source}`, source, outSize, args: this.args };
  }
}

/** Writes a lazy (or any) source's values, contiguous over `size` elements. */
export function evaluateKernel(dialect: Dialect, src: Source, size: number): KernelSpec {
  const b = new Builder(dialect, `eval:${size}`);
  const i = b.em.let('this.thread.x', 'i');
  const v = b.load(src, i);
  return b.build(v, size);
}


/** How a reduction reads its input: kept dims, reduced dims (coalesced unless direct). */
interface ReduceGeometry {
  keptDims: number[];
  nOut: number;
  direct: LazyNode | null;
  k: { shape: number[]; strides: number[][] };
  redDims: number[];
  r: { shape: number[]; strides: number[][] };
  R: number;
}

function reduceGeometry(shape: readonly number[], x: Access, axes: readonly number[]): ReduceGeometry {
  const keptDims = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const nOut = keptDims.reduce((p, d) => p * shape[d]!, 1);
  // Reading a recorded op of this very shape: address it by coordinates (no index
  // arithmetic per element); otherwise by flat offsets over coalesced dims.
  const direct = sameLayout(x, shape) && x.src.kind === 'lazy' ? x.src.node : null;
  const k = direct ? { shape: keptDims.map((d) => shape[d]!), strides: [keptDims.map(() => 0)] } : coalesce(keptDims.map((d) => shape[d]!), [keptDims.map((d) => x.strides[d]!)]);
  const redDims = direct ? axes.filter((d) => shape[d]! > 1) : [];
  const r = direct ? { shape: redDims.map((d) => shape[d]!), strides: [redDims.map(() => 0)] } : coalesce(axes.map((d) => shape[d]!), [axes.map((d) => x.strides[d]!)]);
  const R = axes.reduce((p, d) => p * shape[d]!, 1);
  return { keptDims, nOut, direct, k, redDims, r, R };
}

/** Outputs a split reduction aims for (GL: enough texels for several rasterizer tiles). */
export const SPLIT_TARGET_OUTPUTS = 65536;
/** Reductions over fewer elements than this (in all) are not split. */
export const SPLIT_MIN_ELEMENTS = 65536;
/** Shortest run of elements one partial result covers. */
export const SPLIT_MIN_RUN = 20;

/**
 * How many partial results per output a reduction is split into (1: not split).
 * Few outputs over long rows leave most of a software rasterizer idle (one tile of
 * texels); partials over equal runs of the (single, innermost) reduced dim, combined
 * by a second small reduction, spread the same work over many tiles.
 */
export function reduceSplit(op: ReduceOp, shape: readonly number[], x: Access, axes: readonly number[], target = SPLIT_TARGET_OUTPUTS): number {
  if (op === 'argmax' || op === 'argmin') return 1;
  const g = reduceGeometry(shape, x, axes);
  if (g.r.shape.length !== 1 || g.nOut === 0 || g.nOut * 2 > target || g.nOut * g.R < SPLIT_MIN_ELEMENTS) return 1;
  const L = g.r.shape[0]!;
  const most = Math.min(Math.floor(L / SPLIT_MIN_RUN), Math.ceil(target / g.nOut));
  if (most < 2) return 1;
  // Prefer runs that tile the row exactly (no bounds test per element).
  for (let p = most; p >= Math.ceil(most / 2); p--) if (L % p === 0) return p;
  return Math.ceil(L / Math.ceil(L / most));
}

/**
 * Reduces `x` (shape, strides, offset) over `axes`. Kept dims map from the output
 * index; reduced dims become nested loops with literal bounds (gpu.js caps loops
 * whose bound is an argument at 1000 iterations). With `parts` > 1 (see
 * reduceSplit) output o·parts + q reduces the q-th of `parts` equal runs of the
 * reduced dim: sum, max and min partials combine with the same op, logSumExp
 * partials with logSumExp.
 */
export function reduceKernel(dialect: Dialect, op: ReduceOp, shape: readonly number[], x: Access, axes: readonly number[], parts = 1): KernelSpec {
  const { keptDims, nOut, direct, k, redDims, r, R } = reduceGeometry(shape, x, axes);
  if (parts > 1 && (r.shape.length !== 1 || r.shape[0]! < parts || op === 'argmax' || op === 'argmin')) {
    throw new Error(`reduceKernel: cannot split ${op} over ${r.shape.join('x')} into ${parts} parts`);
  }
  const b = new Builder(dialect, `reduce:${op}${direct ? `:direct:${shape.join('x')}/${axes.join(',')}` : ''}|${k.shape.join('x')}:${k.strides[0]!.join(',')}/${r.shape.join('x')}:${r.strides[0]!.join(',')}@${x.offset}/${parts}`);
  const em = b.em;
  const o = em.let('this.thread.x', 'o');
  const all = em.coords(o, parts > 1 ? [...k.shape, parts] : k.shape);
  const coords = parts > 1 ? all.slice(0, -1) : all;
  const base = direct ? '0' : em.let(offsetExpr(x.offset, coords, k.strides[0]!), 'base');
  const rs = r.shape;
  const rt = r.strides[0]!;
  const nl = rs.length;
  const jv = rs.map((_, d) => `j${d}`);
  const full = nl ? rs[nl - 1]! : 1;
  // Split: this output's run of L elements starts at lo; when runs do not tile the
  // dim exactly, reads past its end are clamped to its last element (harmless for
  // max/min) and terms past it count 0 (sum, logSumExp).
  const L = Math.ceil(full / parts);
  const ragged = L * parts !== full;
  const lo = parts > 1 ? em.let(`${all[all.length - 1]} * ${lit(L)}`, 'lo') : null;
  const inRange = (innerIdx: string) => (ragged ? `${lo} + ${innerIdx} < ${lit(full)}` : null);
  const guarded = (innerIdx: string, term: string) => {
    const c = inRange(innerIdx);
    return c ? `(${c} ? ${term} : 0.0)` : term;
  };
  /** Full coordinates of the element at reduced loop indices (direct mode). */
  const fullCoords = (reduced: readonly string[]) => {
    const c = new Array<string>(shape.length).fill('0');
    keptDims.forEach((d, i) => (c[d] = coords[i]!));
    redDims.forEach((d, i) => (c[d] = reduced[i]!));
    return c;
  };
  const at = (innerIdx: string) => {
    const inner = !lo ? innerIdx : ragged ? `Math.min(${lo} + ${innerIdx}, ${lit(full - 1)})` : `(${lo} + ${innerIdx})`;
    if (direct) return b.loadNode(direct, fullCoords([...jv.slice(0, nl - 1), inner]));
    return b.load(x.src, [base, ...jv.slice(0, nl - 1).map((j, d) => (rt[d] === 1 ? j : `${j} * ${lit(rt[d]!)}`)), rt[nl - 1] === 1 ? inner : `${inner} * ${lit(rt[nl - 1]!)}`].join(' + '));
  };
  const first = () => (lo ? at('0') : direct ? b.loadNode(direct, fullCoords(jv.map(() => '0'))) : b.load(x.src, base));
  // Opens the outer reduced loops (all but the innermost); returns their closing.
  const openOuter = () => {
    for (let d = 0; d < nl - 1; d++) em.line(`for (let ${jv[d]} = 0; ${jv[d]} < ${rs[d]}; ${jv[d]}++) {`);
    return () => {
      for (let d = 0; d < nl - 1; d++) em.line('}');
    };
  };
  /** A loop over the innermost reduced dim; `body(index)` emits inside its own scope. */
  const loop = (v: string, from: number, to: number, body: (idx: string) => void) => {
    em.line(`for (let ${v} = ${from}; ${v} < ${to}; ${v}++) {`);
    b.scope(() => body(v));
    em.line('}');
  };
  /** Σ over the innermost dim (this output's run of it) of term(index). */
  const pairwiseInto = (acc: string, term: (idx: string) => string) => b.pairwiseSum(acc, L, term);
  const flatIndex = (inner: string) => {
    if (nl <= 1) return inner;
    let acc = jv[0]!;
    for (let d = 1; d < nl - 1; d++) acc = `(${acc}) * ${rs[d]} + ${jv[d]}`;
    return `(${acc}) * ${L} + ${inner}`;
  };

  let result: string;
  if (nl === 0 || R === 0) {
    // Nothing to reduce over (R = 1 once size-1 dims are dropped, or an empty dim).
    if (R === 0) {
      result = op === 'sum' ? '0.0' : op === 'logSumExp' ? '-infv' : op === 'argmax' || op === 'argmin' ? '0.0' : 'nanv';
    } else {
      const v = first();
      switch (op) {
        case 'sum': result = em.let(`${v} === 0.0 ? 0.0 : ${v}`); break;
        case 'argmax': case 'argmin': result = '0.0'; break;
        default: result = v;
      }
    }
  } else if (op === 'sum') {
    const s = em.tmp('s');
    em.line(`let ${s} = 0.0;`);
    const close = openOuter();
    b.scope(() => pairwiseInto(s, (i) => guarded(i, at(i))));
    close();
    // −0 sums to +0 as on the CPU (0 + −0): GLSL may fold the 0.0 + x away.
    result = em.let(`${s} === 0.0 ? 0.0 : ${s}`);
  } else if (op === 'max' || op === 'min' || op === 'argmax' || op === 'argmin') {
    const better = op === 'max' || op === 'argmax' ? '>' : '<';
    const m = em.tmp('m');
    const idx = em.tmp('ix');
    em.line(`let ${m} = ${first()};`);
    em.line(`let ${idx} = 0.0;`);
    const close = openOuter();
    b.scope(() => loop('m', 0, L, (i) => {
      const v = at(i);
      // NaN wins and sticks (the first NaN for argmax/argmin), like the CPU backend.
      em.line(`if (${v} ${better} ${m} || (${v} !== ${v} && ${m} === ${m})) { ${m} = ${v}; ${idx} = ${flatIndex(i)}; }`);
    }));
    close();
    result = op === 'max' || op === 'min' ? m : idx;
  } else {
    // logSumExp: the max first; a ±∞/NaN max is the answer (no ∞ − ∞); then Σ e^(x − max).
    const m = em.tmp('m');
    em.line(`let ${m} = ${first()};`);
    let close = openOuter();
    b.scope(() => loop('m', 0, L, (i) => {
      const v = at(i);
      em.line(`if (${v} > ${m} || ${v} !== ${v}) { ${m} = ${v}; }`);
    }));
    close();
    const s = em.tmp('s');
    em.line(`let ${s} = 0.0;`);
    em.line(`if (${m} === ${m} && ${m} < infv && ${m} > -infv) {`);
    b.scope(() => {
      close = openOuter();
      b.scope(() => pairwiseInto(s, (i) => guarded(i, em.expFastExpr(`(${at(i)} - ${m})`))));
      close();
      const lg = em.log(s);
      em.line(`${m} = ${m} + ${lg};`);
    });
    em.line('}');
    result = m;
  }
  return b.build(result, nOut * parts);
}

/** out[p] = x[p with p[dim] = index[p]]; out has the index's shape. */
export function gatherKernel(dialect: Dialect, x: Access, dim: number, indexShape: readonly number[], index: Access): KernelSpec {
  const n = indexShape.reduce((p, s) => p * s, 1);
  const b = new Builder(dialect, `gather:${dim}|${indexShape.join('x')}|x@${x.offset}:${x.strides.join(',')}|i@${index.offset}:${index.strides.join(',')}`);
  const i = b.em.let('this.thread.x', 'i');
  const coords = b.em.coords(i, indexShape);
  const iv = b.loadAt(index, coords);
  const xs = x.strides.map((s, d) => (d === dim ? 0 : s));
  const r = b.load(x.src, `${offsetExpr(x.offset, coords, xs)} + ${iv} * ${lit(x.strides[dim] ?? 0)}`);
  return b.build(r, n);
}

/** A contiguous copy of base with src[q] added at q with q[dim] = index[q] (`scatterAdd`). */
export function scatterAddKernel(
  dialect: Dialect, baseShape: readonly number[], base: Access, dim: number,
  indexShape: readonly number[], index: Access, src: Access,
): KernelSpec {
  const n = baseShape.reduce((p, s) => p * s, 1);
  const b = new Builder(dialect, `scatterAdd:${dim}|${baseShape.join('x')}/${indexShape.join('x')}|${[base, index, src].map((a) => `@${a.offset}:${a.strides.join(',')}`).join('|')}`);
  const em = b.em;
  const i = em.let('this.thread.x', 'i');
  const coords = em.coords(i, baseShape);
  const acc = em.tmp('acc');
  em.line(`let ${acc} = ${b.loadAt(base, coords)};`);
  const inside = baseShape.map((_, d) => d).filter((d) => d !== dim && indexShape[d]! < baseShape[d]!).map((d) => `${coords[d]} < ${indexShape[d]}`);
  const K = indexShape[dim]!;
  if (K > 0 && indexShape.every((s) => s > 0)) {
    em.line(`if (${inside.length ? inside.join(' && ') : 'true'}) {`);
    b.scope(() => {
      em.line(`for (let k = 0; k < ${K}; k++) {`);
      b.scope(() => {
        const q = coords.map((c, d) => (d === dim ? 'k' : c));
        const iv = b.loadAt(index, q);
        em.line(`if (${iv} === ${coords[dim]}) {`);
        b.scope(() => em.line(`${acc} += ${b.loadAt(src, q)};`));
        em.line('}');
      });
      em.line('}');
    });
    em.line('}');
  }
  return b.build(acc, n);
}

/**
 * Writes the view src into the region `dst` (shape, strides, offset) of a storage of
 * `dstSize` elements, keeping every other element of `old`. Needs positive nested
 * dst strides (each larger than the span of the smaller ones), which every view the
 * front end writes through has; the caller checks.
 */
export function copyIntoKernel(
  dialect: Dialect, dstSize: number, old: Source, shape: readonly number[],
  dstStrides: readonly number[], dstOffset: number, src: Access,
): KernelSpec {
  const b = new Builder(dialect, `copyInto:${dstSize}|${shape.join('x')}|${dstStrides.join(',')}@${dstOffset}|src@${src.offset}:${src.strides.join(',')}`);
  const em = b.em;
  const p = em.let('this.thread.x', 'p');
  const order = shape.map((_, d) => d).filter((d) => shape[d]! > 1).sort((a, c) => dstStrides[c]! - dstStrides[a]!);
  const out = em.tmp('out');
  em.line(`let ${out} = ${b.load(old, p)};`);
  em.line(`let rel = ${p} - ${dstOffset}.0;`);
  em.line('let ok = rel >= 0.0 ? 1.0 : 0.0;');
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
  em.line('if (ok > 0.5) {');
  // Out-of-region threads still compute an index: clamp it into the source.
  b.scope(() => {
    const v = b.loadAt(src, coords);
    em.line(`${out} = ${v};`);
  });
  em.line('}');
  return b.build(out, dstSize);
}

/** a [...B, M, K] · b [...B, K, N] → [...B, M, N]; both already broadcast over B. */
export function matmulKernel(dialect: Dialect, outShape: readonly number[], K: number, a: Access, bm: Access): KernelSpec {
  const n = outShape.reduce((p, s) => p * s, 1);
  const nd = outShape.length;
  const b = new Builder(dialect, `matmul|${outShape.join('x')}|${K}|a@${a.offset}:${a.strides.join(',')}|b@${bm.offset}:${bm.strides.join(',')}`);
  const em = b.em;
  const i = em.let('this.thread.x', 'i');
  const coords = em.coords(i, outShape);
  const batch = coords.slice(0, nd - 2);
  const aRow = em.let(offsetExpr(a.offset, [...batch, coords[nd - 2]!], [...a.strides.slice(0, nd - 2), a.strides[nd - 2]!]), 'ar');
  const bCol = em.let(offsetExpr(bm.offset, [...batch, coords[nd - 1]!], [...bm.strides.slice(0, nd - 2), bm.strides[nd - 1]!]), 'bc');
  const ak = a.strides[nd - 1]!;
  const bk = bm.strides[nd - 2]!;
  const term = (k: string) => `${b.load(a.src, `${aRow} + ${k} * ${lit(ak)}`)} * ${b.load(bm.src, `${bCol} + ${k} * ${lit(bk)}`)}`;
  em.line('let s = 0.0;');
  b.pairwiseSum('s', K, term);
  return b.build('s', n);
}
