import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Tensor, broadcastShapes, cat, gather, logSoftmax, matmul, scatterAdd, softmax, tensor, where,
  type BinaryOp, type UnaryOp,
} from '@tsgrad/tensor';
import { arbBroadcastShapes, arbShape } from '@tsgrad/testing';
import { gpu } from './index.js';
import { ELEMENTWISE, REDUCTION, expectClose, pair, useGpu, values, withBackend } from './test-support.js';

/*
 * Every gpu kernel against the CPU reference over fast-check shapes: broadcasting,
 * non-contiguous views, special values, reductions along every dim (past the 1000
 * iterations gpu.js caps argument-bound loops at), indexing, matmul.
 */

let mode = '';
beforeAll(() => {
  mode = useGpu();
  console.log(`[@tsgrad/gpu parity] mode ${mode}: ${String(gpu.info()['modeReason'])}`);
});

const GL = () => mode !== 'webasm';
// GL compiles a shader per shape (~10–50 ms on llvmpipe): fewer draws there.
const runs = (n: number) => ({ numRuns: GL() ? Math.max(4, Math.ceil(n / 3)) : n, seed: 20261123 });

/** Applies the same view transform to both tensors of a pair. */
type ViewFn = (t: Tensor) => Tensor;
const VIEWS: Record<string, { base: (s: number[]) => number[]; f: (s: number[]) => ViewFn }> = {
  contiguous: { base: (s) => s, f: () => (t) => t },
  transposed: { base: (s) => [...s].reverse(), f: (s) => (t) => t.permute(s.map((_, i) => s.length - 1 - i)) },
  sliced: { base: (s) => (s.length ? [s[0]! * 2 + 1, ...s.slice(1)] : s), f: (s) => (t) => (s.length ? t.slice(0, 1, 1 + s[0]! * 2, 2) : t) },
};

function onBoth<T>(p: { cpu: T; gpu: T }, f: (t: T) => Tensor): { cpu: Tensor; gpu: Tensor } {
  const c = withBackend('cpu', () => f(p.cpu));
  const g = f(p.gpu);
  return { cpu: c, gpu: g };
}

const UNARY: { op: UnaryOp; lo?: number; hi?: number; tol?: { rtol: number; atol: number } }[] = [
  { op: 'neg' }, { op: 'abs' }, { op: 'sign' }, { op: 'exp', lo: -20, hi: 20 }, { op: 'expm1', lo: -3, hi: 3 },
  { op: 'log', lo: 0, hi: 5 }, { op: 'log1p', lo: -0.99, hi: 5 }, { op: 'sqrt', lo: 0, hi: 9 }, { op: 'rsqrt', lo: 0.01, hi: 9 },
  { op: 'sin', lo: -6, hi: 6, tol: { rtol: 2e-6, atol: 2e-7 } }, { op: 'cos', lo: -6, hi: 6, tol: { rtol: 2e-6, atol: 2e-7 } },
  { op: 'tanh', lo: -10, hi: 10 }, { op: 'sigmoid', lo: -30, hi: 30 }, { op: 'relu' }, { op: 'square' }, { op: 'reciprocal', lo: 0.1, hi: 4 },
];

describe('elementwise unary', () => {
  for (const { op, lo, hi, tol } of UNARY) {
    it(`${op} matches the CPU on contiguous and strided views, special values included`, () => {
      fc.assert(fc.property(arbShape({ maxRank: 3, maxSize: 6, maxNumel: 120 }), fc.constantFrom(...Object.keys(VIEWS)), fc.integer(), (shape, view, seed) => {
        const v = VIEWS[view]!;
        const p = pair(v.base(shape), values(v.base(shape).reduce((a, b) => a * b, 1), seed, { lo, hi, special: 0.15 }));
        const r = onBoth(p, (t) => (t[op as 'exp'] as () => Tensor).call(v.f(shape)(t)));
        expect(r.gpu.device).toBe('gpu');
        expectClose(r.gpu, r.cpu, tol ?? ELEMENTWISE, `${op} ${view} [${shape}]`);
      }), runs(12));
    });
  }
});

const BINARY: { op: BinaryOp; lo?: number; hi?: number; integers?: boolean }[] = [
  { op: 'add' }, { op: 'sub' }, { op: 'mul' }, { op: 'div' }, { op: 'maximum', integers: true }, { op: 'minimum', integers: true },
  { op: 'eq', integers: true }, { op: 'ne', integers: true }, { op: 'lt', integers: true }, { op: 'le', integers: true },
  { op: 'gt', integers: true }, { op: 'ge', integers: true },
];

describe('elementwise binary with broadcasting', () => {
  for (const { op, integers } of BINARY) {
    it(`${op} matches the CPU over broadcast shapes and strided views`, () => {
      fc.assert(fc.property(arbBroadcastShapes(2, { maxRank: 3, maxSize: 5 }), fc.boolean(), fc.integer(), ([sa, sb], transpose, seed) => {
        const na = sa!.reduce((x, y) => x * y, 1);
        const nb = sb!.reduce((x, y) => x * y, 1);
        const a = pair(sa!, values(na, seed, { integers, special: 0.1 }));
        const b = pair(sb!, values(nb, seed + 1, { integers, special: 0.1 }));
        const f = (x: Tensor, y: Tensor) => {
          const r = (x[op as 'add'] as (o: Tensor) => Tensor).call(x, y);
          return transpose && r.ndim > 1 ? r.transpose(0, r.ndim - 1).contiguous() : r;
        };
        const c = withBackend('cpu', () => f(a.cpu, b.cpu));
        const g = f(a.gpu, b.gpu);
        expect(g.device).toBe('gpu');
        expectClose(g, c, ELEMENTWISE, `${op} [${sa}] [${sb}]`);
      }), runs(10));
    });
  }

  it('pow with a tensor exponent (Math.pow semantics: 0^0, negative bases, NaN, ±∞)', () => {
    fc.assert(fc.property(arbBroadcastShapes(2, { maxRank: 3, maxSize: 5 }), fc.integer(), ([sa, sb], seed) => {
      const na = sa!.reduce((x, y) => x * y, 1);
      const nb = sb!.reduce((x, y) => x * y, 1);
      const a = pair(sa!, values(na, seed, { lo: -3, hi: 3, special: 0.15 }));
      const expo = values(nb, seed + 7, { lo: -3, hi: 3, special: 0.15 });
      // Half the exponents integers: exercises odd/even signs of negative bases.
      for (let i = 0; i < expo.length; i += 2) expo[i] = Math.round(expo[i]!);
      const b = pair(sb!, expo);
      const c = withBackend('cpu', () => a.cpu.pow(b.cpu));
      const g = a.gpu.pow(b.gpu);
      expectClose(g, c, { rtol: 1e-5, atol: 1e-6 }, `pow [${sa}] [${sb}]`);
    }), runs(20));
  });

  it('pow gradients with respect to base and exponent', () => {
    const a = pair([2, 3], Float32Array.from([0.5, 1.5, 2, 3, 0.25, 1]), true);
    const b = pair([3], Float32Array.from([2, -1.5, 0.5]), true);
    const c = withBackend('cpu', () => a.cpu.pow(b.cpu).sum());
    c.backward();
    const g = a.gpu.pow(b.gpu).sum();
    g.backward();
    expectClose(g, c, ELEMENTWISE, 'pow sum');
    expectClose(a.gpu.grad!, a.cpu.grad!, ELEMENTWISE, 'd/da');
    expectClose(b.gpu.grad!, b.cpu.grad!, { rtol: 1e-5, atol: 1e-6 }, 'd/db');
  });

  it('where with broadcast condition and operands', () => {
    fc.assert(fc.property(arbBroadcastShapes(3, { maxRank: 3, maxSize: 5 }), fc.integer(), ([sc, sa, sb], seed) => {
      const n = (s: number[]) => s.reduce((x, y) => x * y, 1);
      const cond = pair(sc!, values(n(sc!), seed, { integers: true }));
      const a = pair(sa!, values(n(sa!), seed + 1, { special: 0.1 }));
      const b = pair(sb!, values(n(sb!), seed + 2, { special: 0.1 }));
      const c = withBackend('cpu', () => where(cond.cpu.gt(0), a.cpu, b.cpu));
      const g = where(cond.gpu.gt(0), a.gpu, b.gpu);
      expect(g.device).toBe('gpu');
      expectClose(g, c, ELEMENTWISE, `where [${sc}] [${sa}] [${sb}]`);
    }), runs(15));
  });

  it('comparisons give bool tensors on the gpu, casts round-trip', () => {
    const a = pair([5], Float32Array.from([NaN, 0, -0, 2, -3]));
    const g = a.gpu.ne(0);
    expect(g.dtype).toBe('bool');
    expect(g.device).toBe('gpu');
    expect(Array.from(g.dataSync())).toEqual([1, 0, 0, 1, 1]);
    expect(Array.from(a.gpu.to('bool').dataSync())).toEqual([1, 0, 0, 1, 1]);
    expect(Array.from(a.gpu.to('bool').to('float32').dataSync())).toEqual([1, 0, 0, 1, 1]);
    expect(a.gpu.eq(a.gpu).logicalNot().to('float32').dataSync()[0]).toBe(1);
  });

  it('scalar operands stay uniforms and fold when every operand is constant', () => {
    const a = pair([4], Float32Array.from([1, 2, 3, 4]));
    expectClose(a.gpu.mul(2.5).add(1).div(3), withBackend('cpu', () => a.cpu.mul(2.5).add(1).div(3)));
    const z = tensor(0).add(tensor(3)).exp();
    expect(z.item()).toBeCloseTo(Math.exp(3), 4);
  });
});

describe('reductions along any dim', () => {
  const OPS = ['sum', 'max', 'min', 'logSumExp', 'argmax', 'argmin', 'mean'] as const;
  for (const op of OPS) {
    it(`${op} over each dim, all dims and strided views`, () => {
      fc.assert(fc.property(arbShape({ minRank: 1, maxRank: 3, maxSize: 6, maxNumel: 150 }), fc.boolean(), fc.integer(), (shape, transposed, seed) => {
        const base = transposed ? [...shape].reverse() : shape;
        const n = shape.reduce((a, b) => a * b, 1);
        const p = pair(base, values(n, seed, { integers: op.startsWith('arg'), special: op === 'sum' || op === 'mean' ? 0 : 0.05 }));
        const view = (t: Tensor) => (transposed ? t.permute(shape.map((_, i) => shape.length - 1 - i)) : t);
        for (let d = -1; d < shape.length; d++) {
          const f = (t: Tensor) => {
            const x = view(t);
            if (op === 'argmax' || op === 'argmin') return d < 0 ? x[op]() : x[op](d, true);
            return d < 0 ? x[op]() : x[op](d);
          };
          const c = withBackend('cpu', () => f(p.cpu));
          const g = f(p.gpu);
          expectClose(g, c, REDUCTION, `${op} dim ${d} [${shape}]${transposed ? ' transposed' : ''}`);
        }
      }), runs(12));
    });
  }

  it('reductions over several dims at once (non-adjacent included)', () => {
    const p = pair([3, 4, 5], values(60, 5));
    for (const dims of [[0, 2], [1, 2], [0, 1], [0, 1, 2]]) {
      for (const op of ['sum', 'max', 'min', 'logSumExp'] as const) {
        const c = withBackend('cpu', () => p.cpu[op](dims));
        expectClose(p.gpu[op](dims), c, REDUCTION, `${op} ${dims}`);
      }
    }
  });

  it('rows longer than 1000 (gpu.js caps argument-bound loops at 1000): 3000 ones sum to 3000', () => {
    const p = pair([2, 3000], new Float32Array(6000).fill(1));
    expect(Array.from(p.gpu.sum(1).dataSync())).toEqual([3000, 3000]);
    const q = pair([3000, 2], values(6000, 9));
    for (const op of ['sum', 'max', 'min', 'logSumExp', 'argmax'] as const) {
      const c = withBackend('cpu', () => (op === 'argmax' ? q.cpu.argmax(0) : q.cpu[op](0)));
      const g = op === 'argmax' ? q.gpu.argmax(0) : q.gpu[op](0);
      expectClose(g, c, REDUCTION, `${op} over 3000`);
    }
    const big = pair([20000], values(20000, 10));
    expectClose(big.gpu.sum(), withBackend('cpu', () => big.cpu.sum()), { rtol: 1e-4, atol: 1e-3 }, 'sum of 20000');
    expectClose(big.gpu.logSumExp(0), withBackend('cpu', () => big.cpu.logSumExp(0)), REDUCTION, 'lse of 20000');
  });

  describe('split reductions (partials over runs of a long row, then a short reduction)', () => {
    const SPLIT_OPS = ['sum', 'max', 'min', 'logSumExp'] as const;
    /** Runs f with splitting forced on, checking it took two kernels or more. */
    const split = (f: () => Tensor): Tensor => {
      const before = gpu.splitReductions;
      gpu.splitReductions = true;
      try {
        gpu.resetStats();
        const t = f();
        gpu.evaluate(t);
        expect(gpu.stats().kernelRuns).toBeGreaterThanOrEqual(2);
        return t;
      } finally {
        gpu.splitReductions = before;
      }
    };

    it('is on by default in GL modes only', () => {
      expect(gpu.info()['splitReductions']).toBe(GL());
    });

    it('rows that runs tile exactly ([512, 1000]) and raggedly ([64, 1031], a prime), contiguous and transposed', () => {
      for (const [shape, transposed] of [[[512, 1000], false], [[64, 1031], false], [[64, 1031], true]] as const) {
        const n = shape[0] * shape[1];
        const base = transposed ? [shape[1], shape[0]] : [...shape];
        const p = pair(base, values(n, n + (transposed ? 1 : 0), { special: 0.001 }));
        const view = (t: Tensor) => (transposed ? t.transpose(0, 1) : t);
        for (const op of SPLIT_OPS) {
          const c = withBackend('cpu', () => view(p.cpu)[op](1));
          // Sums of ~1000 terms in ±3 cancel to ~1e-3: float32 rounding is ~eps·Σ|x| ≈ 1e-4 absolute.
          const tol = op === 'sum' ? { rtol: 1e-4, atol: 1e-4 } : REDUCTION;
          expectClose(split(() => view(p.gpu)[op](1)), c, tol, `${op} [${shape}]${transposed ? ' transposed' : ''}`);
        }
      }
    });

    it('a recorded elementwise input is computed inside the partial kernel', () => {
      const p = pair([512, 1000], values(512000, 77));
      const c = withBackend('cpu', () => p.cpu.sub(1).exp().sum(1));
      expectClose(split(() => p.gpu.sub(1).exp().sum(1)), c, REDUCTION, 'sum(exp(x − 1))');
      const l = withBackend('cpu', () => p.cpu.mul(3).logSumExp(1));
      expectClose(split(() => p.gpu.mul(3).logSumExp(1)), l, REDUCTION, 'logSumExp(3x)');
    });

    it('one output over a long vector (the partials are reduced again)', () => {
      const p = pair([100003], values(100003, 31, { lo: 0, hi: 1 }));
      for (const op of SPLIT_OPS) {
        const c = withBackend('cpu', () => p.cpu[op]());
        expectClose(split(() => p.gpu[op]()), c, { rtol: 1e-4, atol: 1e-3 }, `${op} of 100003`);
      }
    });

    it('runs that are all −∞, hold a NaN or +∞: the same special values as the CPU', () => {
      const data = values(64 * 2048, 12);
      for (let j = 0; j < 2048; j++) data[j] = -Infinity; // row 0: all −∞
      for (let j = 0; j < 100; j++) data[2048 + j] = -Infinity; // row 1: one run −∞
      data[2 * 2048 + 1500] = NaN; // row 2
      data[3 * 2048 + 7] = Infinity; // row 3
      data[4 * 2048 + 9] = Infinity; // row 4: +∞ and −∞
      data[4 * 2048 + 2000] = -Infinity;
      const p = pair([64, 2048], data);
      for (const op of SPLIT_OPS) {
        const c = withBackend('cpu', () => p.cpu[op](1));
        expectClose(split(() => p.gpu[op](1)), c, REDUCTION, `${op} with special runs`);
      }
    });
  });

  it('NaN and ±∞ rows: max/argmax take the first NaN, logSumExp of ±∞ rows has no ∞ − ∞', () => {
    const rows = Float32Array.from([1, NaN, 3, NaN, -Infinity, -Infinity, -Infinity, -Infinity, 1, Infinity, 2, 3]);
    const p = pair([3, 4], rows);
    for (const op of ['max', 'min', 'logSumExp', 'argmax', 'argmin', 'sum'] as const) {
      const c = withBackend('cpu', () => p.cpu[op](1));
      expectClose(p.gpu[op](1), c, REDUCTION, op);
    }
  });

  it('argmax returns int32 on the CPU backend, ties to the first index', () => {
    const p = pair([2, 4], Float32Array.from([1, 3, 3, 0, 5, 5, 5, 5]));
    const g = p.gpu.argmax(1);
    expect(g.dtype).toBe('int32');
    expect(g.device).toBe('cpu');
    expect(Array.from(g.dataSync())).toEqual([1, 0]);
  });
});

describe('softmax, logSoftmax, indexing, matmul, shape copies', () => {
  it('softmax and logSoftmax along every dim, forward and backward', () => {
    fc.assert(fc.property(arbShape({ minRank: 1, maxRank: 3, maxSize: 6, maxNumel: 120 }), fc.integer(), (shape, seed) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = values(n, seed, { lo: -10, hi: 10 });
      for (let d = 0; d < shape.length; d++) {
        const p = pair(shape, data, true);
        const w = pair(shape, values(n, seed + d + 1));
        const f = (x: Tensor, wt: Tensor) => softmax(x, d).mul(wt).sum().add(logSoftmax(x, d).mul(wt).sum());
        const c = withBackend('cpu', () => f(p.cpu, w.cpu));
        c.backward();
        const g = f(p.gpu, w.gpu);
        g.backward();
        expectClose(g, c, REDUCTION, `value dim ${d}`);
        expectClose(p.gpu.grad!, p.cpu.grad!, REDUCTION, `grad dim ${d}`);
      }
    }), runs(10));
  });

  it('gather and scatterAdd along every dim', () => {
    fc.assert(fc.property(arbShape({ minRank: 1, maxRank: 3, minSize: 1, maxSize: 5 }), fc.integer(), (shape, seed) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const p = pair(shape, values(n, seed));
      for (let d = 0; d < shape.length; d++) {
        const ishape = shape.map((s, i) => (i === d ? s + 1 : Math.max(1, s - 1)));
        const ni = ishape.reduce((a, b) => a * b, 1);
        const r = values(ni, seed + d, { lo: 0, hi: shape[d]! - 1, integers: true });
        const idx = tensor(Int32Array.from(r)).reshape(ishape);
        const c = withBackend('cpu', () => gather(p.cpu, d, idx));
        const g = gather(p.gpu, d, idx);
        expect(g.device).toBe('gpu');
        expectClose(g, c, ELEMENTWISE, `gather dim ${d}`);
        const src = pair(ishape, values(ni, seed + 3));
        const cs = withBackend('cpu', () => scatterAdd(p.cpu, d, idx, src.cpu));
        expectClose(scatterAdd(p.gpu, d, idx, src.gpu), cs, ELEMENTWISE, `scatterAdd dim ${d}`);
      }
    }), runs(10));
  });

  it('matmul with broadcast batches and transposed operands, and its gradient', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.integer(), (m, k, n, tb, seed) => {
      const a = pair([2, m, k], values(2 * m * k, seed), true);
      const b = pair(tb ? [n, k] : [k, n], values(k * n, seed + 1), true);
      const f = (x: Tensor, y: Tensor) => matmul(x, tb ? y.T : y);
      const c = withBackend('cpu', () => f(a.cpu, b.cpu));
      const g = f(a.gpu, b.gpu);
      expect(g.device).toBe('gpu');
      expectClose(g, c, REDUCTION, `matmul ${m}x${k}x${n}`);
      withBackend('cpu', () => c.sum().backward());
      g.sum().backward();
      expectClose(a.gpu.grad!, a.cpu.grad!, REDUCTION, 'dA');
      expectClose(b.gpu.grad!, b.cpu.grad!, REDUCTION, 'dB');
    }), runs(10));
  });

  it('contiguous(), cat, slice gradients (embedSlice) and expand copies', () => {
    const p = pair([3, 4], values(12, 3), true);
    const q = pair([2, 4], values(8, 4));
    const f = (x: Tensor, y: Tensor) => cat([x.T.contiguous().T, y], 0).slice(0, 1, 5, 2).mul(x.slice(0, 0, 2).expand([2, 4]).contiguous());
    const c = withBackend('cpu', () => f(p.cpu, q.cpu));
    const g = f(p.gpu, q.gpu);
    expect(g.device).toBe('gpu');
    expectClose(g, c);
    withBackend('cpu', () => c.sum().backward());
    g.sum().backward();
    expectClose(p.gpu.grad!, p.cpu.grad!);
  });

  it('broadcast shapes agree with the front end', () => {
    expect(broadcastShapes('t', [2, 1], [3])).toEqual([2, 3]);
  });
});
