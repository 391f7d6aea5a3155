import { fillWords } from './fill.js';
import { emitCall, type FunctionBuilder, type Local, type ModuleBuilder } from './builder.js';
import type { WasmRuntime } from './runtime.js';
import { ARG } from './threads/protocol.js';
import type { ArgKind, KernelHandle } from './threads/pool.js';
import { fitChunk, threadTuning } from './threads/split.js';

/*
 * float32 matrix multiplication for the WebAssembly backend: packed panels and a
 * register-blocked SIMD micro-kernel, all emitted at run time and compiled once per
 * (relaxed, tile) configuration — sizes, strides and pointers are i32 arguments, so one
 * module serves every shape and layout.
 *
 * Packing. Operands are first copied into scratch memory in the order the micro-kernel
 * reads them: A as panels of MR rows (for each k, the MR values of column k side by
 * side), B as panels of NR columns (for each k, NR values of row k side by side).
 * Copying is O(MK + KN) against O(MNK) arithmetic and absorbs every layout: row-major,
 * transposed views and general strided views all become the same contiguous panels, so
 * A·B, Aᵀ·B and A·Bᵀ run the same inner loop at the same speed. Ragged last panels are
 * zero-padded to whole tiles, so the micro-kernel has no ragged variant; the padded
 * rows and columns of a tile are computed and not stored (zeros rather than stale
 * scratch, which could hold denormals or NaNs that slow the arithmetic down).
 * Two shape-driven exceptions, both decided on the host from shapes and strides only:
 * - A narrow output (N = 10 with NR = 16 would waste 6/16 of the work) is computed as
 *   Cᵀ = Bᵀ·Aᵀ when that pads less, with the tiles stored transposed.
 * - With few rows (M ≤ directRows) a B whose columns are contiguous is read in place:
 *   each B panel is then used only M/MR times, so packing it would cost about as much
 *   as the arithmetic (1×512·512×512: 20 µs in place against 60 µs packed). For large M
 *   packing wins: a panel read in place at a power-of-two row pitch thrashes L1 sets.
 *
 * Micro-kernel. An MR×NR tile of C lives in MR·NR/4 v128 accumulators. Each k step
 * loads NR/4 vectors of B, and for each of the MR rows broadcasts one A value
 * (v128.load32_splat) and multiply-adds it into that row's NR/4 accumulators. x86-64
 * V8 has 16 xmm registers, so accumulators + NR/4 B vectors + the broadcast (+ a product
 * temporary for mul+add) must stay under that or TurboFan spills. Measured on the
 * development machine (Zen 5, Node 20, 512³, GFLOP/s, k loop not unrolled): 2×16 ≈ 62,
 * 5×8 ≈ 60, 3×12 ≈ 56, 4×8 ≈ 51, but 6×8, 8×8, 4×12 and 3×16 ≈ 31–34 (spilling), and
 * unrolling the k loop twice costs 4×8 a quarter of its speed (more live values). So
 * 2×16: 8 accumulators, 4 B vectors, 1 broadcast. Zen 5 has separate add pipes, so
 * mul + add runs as fast as relaxed_madd; blocking (mc/nc/kc) moved results by only
 * ±2 % at these sizes (1 MiB L2), so the blocks are generous.
 *
 * Determinism. Every output element is Σ_k a[i,k]·b[k,j] accumulated in one float32
 * accumulator in ascending k: blocking over K only stores the accumulator to C and
 * loads it back, which is exact, and the swapped orientation forms the same products
 * (b·a = a·b) in the same order. So each element's value depends only on its inputs and
 * on whether the multiply-add is fused (`rt.relaxed`), not on tile position, block
 * sizes, orientation or the order in which tiles are visited (the tests check this).
 * `compute` takes a half-open range [t0, t1) of output blocks (MC×NC, numbered
 * row-block-major within a batch). With threads (`matmulParallel`, at the end): A and B
 * are packed once, by disjoint panel ranges (src and dst offset to a panel boundary),
 * then each thread takes disjoint block ranges of `computeBlocks` (the same code with
 * the block size as arguments, smaller blocks for small products, chosen from the
 * shape). Results are bit-identical for any thread count because no element's sum is
 * ever split between threads.
 */

export interface MatrixOperand {
  /** Byte address of element [batch 0, row 0, col 0] in rt.heap. */
  ptr: number;
  /**
   * Element (not byte) strides; batchStride may be 0 (a broadcast operand), row/col
   * strides are ≥ 0 and any layout (row-major, transposed view, or a general strided view).
   */
  batchStride: number;
  rowStride: number;
  colStride: number;
}

/** Tile and block sizes of one compiled matmul module. */
export interface MatmulConfig {
  /** Rows of the register tile. */
  mr: number;
  /** Columns of the register tile (a multiple of 4). */
  nr: number;
  /** Unroll factor of the micro-kernel's k loop. */
  ku: number;
  /** Rows of an output block (a multiple of mr). */
  mc: number;
  /** Columns of an output block (a multiple of nr). */
  nc: number;
  /** Depth of a k block (a kc×nr B micro-panel stays in L1 while the A panels pass). */
  kc: number;
  /**
   * Largest M for which a B with contiguous columns is read in place instead of packed:
   * with few row panels each B panel is used only a few times, so packing it would cost
   * about as much as the arithmetic. (Host-side choice; not part of the kernel.)
   */
  directRows: number;
}

/** Measured fastest on the development machine; see the comment at the top. */
export const DEFAULT_MATMUL_CONFIG: Readonly<MatmulConfig> = { mr: 2, nr: 16, ku: 1, mc: 96, nc: 512, kc: 512, directRows: 32 };

type Fb = FunctionBuilder;

/** i32 local helpers: keep the emitters below readable. */
function setI(f: Fb, l: Local, emit: () => void): void {
  emit();
  f.local.set(l);
}
function addI(f: Fb, l: Local, emit: () => void): void {
  f.local.get(l);
  emit();
  f.i32.add();
  f.local.set(l);
}
function addConst(f: Fb, l: Local, c: number): void {
  f.local.get(l);
  f.i32.const(c);
  f.i32.add();
  f.local.set(l);
}
/** min(a, b) of two i32 values computed by `a` and `b` (signed). */
function minI(f: Fb, a: () => void, b: () => void): void {
  a();
  b();
  a();
  b();
  f.i32.lt_s();
  f.select();
}

/**
 * `for (i = start; i < end; i += step) body()` with signed compares; `end` is
 * re-evaluated each iteration (pass a local getter).
 */
function forLoop(f: Fb, i: Local, start: () => void, end: () => void, step: () => void, body: () => void): void {
  start();
  f.local.set(i);
  f.block((exit) => {
    f.loop((top) => {
      f.local.get(i);
      end();
      f.i32.ge_s();
      f.brIf(exit);
      body();
      f.local.get(i);
      step();
      f.i32.add();
      f.local.set(i);
      f.br(top);
    });
  });
}

/** Stores zeros over `bytes` (a multiple of 16) bytes at `ptr` (clobbers both locals). */
function zeroFill(f: Fb, ptr: Local, bytes: Local): void {
  // Whole vectors while 16 bytes remain, then words: never a byte past `bytes`.
  for (const step of [16, 4]) {
    f.block((exit) => {
      f.loop((top) => {
        f.local.get(bytes);
        f.i32.const(step);
        f.i32.lt_u();
        f.brIf(exit);
        f.local.get(ptr);
        if (step === 16) {
          f.f32x4.const(0);
          f.v128.store(0);
        } else {
          f.f32.const(0);
          f.f32.store(0);
        }
        addConst(f, ptr, step);
        addConst(f, bytes, -step);
        f.br(top);
      });
    });
  }
}

/**
 * micro(aP, bP, cP, kc, ldc, load, bStep): C tile (MR×NR at cP, row pitch ldc bytes) =
 * (load ? C tile : 0) + Ap(MR×kc panel) · B(kc×NR, k rows bStep bytes apart: NR·4 in a
 * packed panel, the row stride when B is read in place). kc ≥ 1.
 */
function emitMicroKernel(m: ModuleBuilder, cfg: MatmulConfig, relaxed: boolean): number {
  const { mr: MR, nr: NR, ku: KU } = cfg;
  const NV = NR / 4;
  return m.func('micro', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (f, [aP, bP, cP, kc, ldc, load, bStep]) => {
    const acc: Local[][] = [];
    for (let r = 0; r < MR; r++) acc.push(Array.from({ length: NV }, () => f.addLocal('v128')));
    const bv = Array.from({ length: NV }, () => f.addLocal('v128'));
    const av = f.addLocal('v128');
    const row = f.addLocal('i32');

    // Accumulators start from C (a later k block continues the same sums) or zero.
    f.local.get(load!);
    f.if(() => {
      f.local.get(cP!);
      f.local.set(row);
      for (let r = 0; r < MR; r++) {
        for (let v = 0; v < NV; v++) {
          f.local.get(row);
          f.v128.load(v * 16);
          f.local.set(acc[r]![v]!);
        }
        if (r + 1 < MR) addI(f, row, () => f.local.get(ldc!));
      }
    });

    const step = (u: number) => {
      for (let v = 0; v < NV; v++) {
        f.local.get(bP!);
        f.v128.load(v * 16, 2);
        f.local.set(bv[v]!);
      }
      addI(f, bP!, () => f.local.get(bStep!));
      for (let r = 0; r < MR; r++) {
        f.local.get(aP!);
        f.v128.load32_splat((u * MR + r) * 4);
        f.local.set(av);
        for (let v = 0; v < NV; v++) {
          const c = acc[r]![v]!;
          if (relaxed) {
            f.local.get(av);
            f.local.get(bv[v]!);
            f.local.get(c);
            f.f32x4.relaxed_madd();
          } else {
            f.local.get(c);
            f.local.get(av);
            f.local.get(bv[v]!);
            f.f32x4.mul();
            f.f32x4.add();
          }
          f.local.set(c);
        }
      }
    };

    // Unrolled main loop over KU k steps at a time, then single steps.
    if (KU > 1) {
      f.block((exit) => {
        f.loop((top) => {
          f.local.get(kc!);
          f.i32.const(KU);
          f.i32.lt_s();
          f.brIf(exit);
          for (let u = 0; u < KU; u++) step(u);
          addConst(f, aP!, KU * MR * 4);
          addConst(f, kc!, -KU);
          f.br(top);
        });
      });
    }
    f.block((exit) => {
      f.loop((top) => {
        f.local.get(kc!);
        f.i32.eqz();
        f.brIf(exit);
        step(0);
        addConst(f, aP!, MR * 4);
        addConst(f, kc!, -1);
        f.br(top);
      });
    });

    f.local.get(cP!);
    f.local.set(row);
    for (let r = 0; r < MR; r++) {
      for (let v = 0; v < NV; v++) {
        f.local.get(row);
        f.local.get(acc[r]![v]!);
        f.v128.store(v * 16);
      }
      if (r + 1 < MR) addI(f, row, () => f.local.get(ldc!));
    }
  }, false);
}

/**
 * pack(src, outerStride, innerStride, outer, K, dst): panels of W = MR (A) or NR (B)
 * "outer" indices (rows of A / columns of B); panel p holds, for k = 0..K-1, the W
 * values src[(p·W + w)·outerStride + k·innerStride] side by side, zero-padded past
 * `outer`. Strides in bytes. Exported as packA / packB.
 */
function emitPack(m: ModuleBuilder, fname: string, W: number): number {
  return m.func(fname, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (f, [src, os, ks, outer, K, dst]) => {
    const p0 = f.addLocal('i32'); // first outer index of the panel
    const w = f.addLocal('i32'); // valid width of this panel
    const k = f.addLocal('i32');
    const base = f.addLocal('i32'); // source of (p0, k)
    const q = f.addLocal('i32');
    const t = f.addLocal('i32');
    const n = f.addLocal('i32');
    forLoop(f, p0, () => f.i32.const(0), () => f.local.get(outer!), () => f.i32.const(W), () => {
      setI(f, w, () => minI(f, () => f.i32.const(W), () => { f.local.get(outer!); f.local.get(p0); f.i32.sub(); }));
      setI(f, base, () => { f.local.get(src!); f.local.get(p0); f.local.get(os!); f.i32.mul(); f.i32.add(); });
      f.local.get(w);
      f.i32.const(W);
      f.i32.eq();
      f.if(() => {
        // Whole panel. Contiguous outer index (row-major B, or Aᵀ): vector copies.
        const vecOk = W % 4 === 0;
        const scalarBody = () => {
          forLoop(f, k, () => f.i32.const(0), () => f.local.get(K!), () => f.i32.const(1), () => {
            f.local.get(base);
            f.local.set(q);
            for (let i = 0; i < W; i++) {
              f.local.get(dst!);
              f.local.get(q);
              f.f32.load(0);
              f.f32.store(i * 4);
              if (i + 1 < W) addI(f, q, () => f.local.get(os!));
            }
            addI(f, base, () => f.local.get(ks!));
            addConst(f, dst!, W * 4);
          });
        };
        if (vecOk) {
          f.local.get(os!);
          f.i32.const(4);
          f.i32.eq();
          f.if(() => {
            forLoop(f, k, () => f.i32.const(0), () => f.local.get(K!), () => f.i32.const(1), () => {
              for (let v = 0; v < W / 4; v++) {
                f.local.get(dst!);
                f.local.get(base);
                f.v128.load(v * 16, 2);
                f.v128.store(v * 16);
              }
              addI(f, base, () => f.local.get(ks!));
              addConst(f, dst!, W * 4);
            });
          }, scalarBody);
        } else {
          scalarBody();
        }
      }, () => {
        // Ragged last panel: zero it, then copy the valid part.
        setI(f, q, () => f.local.get(dst!));
        // Exactly the panel (K·W floats): a packed operand whose size is a multiple of 64
        // bytes has no slack after it — the next operand starts there (a vector-rounded
        // fill once zeroed the first columns of a broadcast B packed right behind A).
        setI(f, n, () => { f.local.get(K!); f.i32.const(W * 4); f.i32.mul(); });
        zeroFill(f, q, n);
        forLoop(f, k, () => f.i32.const(0), () => f.local.get(K!), () => f.i32.const(1), () => {
          setI(f, q, () => f.local.get(base));
          forLoop(f, t, () => f.i32.const(0), () => f.local.get(w), () => f.i32.const(1), () => {
            f.local.get(dst!);
            f.local.get(t);
            f.i32.const(2);
            f.i32.shl();
            f.i32.add();
            f.local.get(q);
            f.f32.load(0);
            f.f32.store(0);
            addI(f, q, () => f.local.get(os!));
          });
          addI(f, base, () => f.local.get(ks!));
          addConst(f, dst!, W * 4);
        });
      });
    });
  });
}

/**
 * compute(ap, bp, c, crs, ccs, M, K, N, tmp, t0, t1, bd, bdStep): output blocks t0..t1-1
 * of C (element [i, j] at c + i·crs + j·ccs bytes) from packed panels (or, when bd ≠ 0,
 * B read in place at bd with row pitch bdStep and only its ragged panel packed at bp).
 * Blocks are MC×NC, numbered row-block-major; computeBlocks(…, mc, nc) takes the block
 * size as arguments (multiples of MR and NR). Tiles of a row-contiguous C (ccs = 4) are stored in place;
 * ragged tiles and other layouts (the transposed output of a swapped product) go
 * through the MR×NR tile at tmp.
 */
/**
 * Emits `compute` (blocks of the configured MC×NC, constants: what `run` calls) or, with
 * `blockArgs`, `computeBlocks` (the same code, with mc and nc as two more arguments:
 * what the threads call, so that a product has enough blocks to share).
 */
function emitCompute(m: ModuleBuilder, cfg: MatmulConfig, micro: number, blockArgs: boolean): number {
  const { mr: MR, nr: NR, kc: KC } = cfg;
  const nargs = blockArgs ? 15 : 13;
  return m.func(blockArgs ? 'computeBlocks' : 'compute', Array.from({ length: nargs }, () => 'i32' as const), [],
    (f, [ap, bp, c, crs, ccs, M, K, N, tmp, t0, t1, bd, bdStep, mcArg, ncArg]) => {
      const MC = () => (blockArgs ? f.local.get(mcArg!) : f.i32.const(cfg.mc));
      const NC = () => (blockArgs ? f.local.get(ncArg!) : f.i32.const(cfg.nc));
      const L = () => f.addLocal('i32');
      const t = L(), nbj = L(), ic = L(), jc = L(), iEnd = L(), jEnd = L(), pc = L(), kcL = L();
      const ir = L(), jr = L(), mr = L(), nr = L(), aPan = L(), bPan = L(), cT = L(), direct = L();
      const x = L(), y = L(), src = L(), dstp = L(), bStep = L();
      // Blocks per block row.
      setI(f, nbj, () => { f.local.get(N!); NC(); f.i32.add(); f.i32.const(1); f.i32.sub(); NC(); f.i32.div_u(); });
      const microCall = (cPtr: Local, ldcL: () => void, load: () => void) => {
        f.local.get(aPan);
        f.local.get(bPan);
        f.local.get(cPtr);
        f.local.get(kcL);
        ldcL();
        load();
        f.local.get(bStep);
        emitCall(f, micro, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], []);
      };
      /** Copies the valid mr×nr region between C (strides crs, ccs) and tmp (pitch NR·4). */
      const copyTile = (toTmp: boolean) => {
        forLoop(f, y, () => f.i32.const(0), () => f.local.get(mr), () => f.i32.const(1), () => {
          setI(f, src, () => { f.local.get(cT); f.local.get(y); f.local.get(crs!); f.i32.mul(); f.i32.add(); });
          setI(f, dstp, () => { f.local.get(tmp!); f.local.get(y); f.i32.const(NR * 4); f.i32.mul(); f.i32.add(); });
          forLoop(f, x, () => f.i32.const(0), () => f.local.get(nr), () => f.i32.const(1), () => {
            const inTmp = () => { f.local.get(dstp); f.local.get(x); f.i32.const(2); f.i32.shl(); f.i32.add(); };
            const inC = () => { f.local.get(src); f.local.get(x); f.local.get(ccs!); f.i32.mul(); f.i32.add(); };
            (toTmp ? inTmp : inC)();
            (toTmp ? inC : inTmp)();
            f.f32.load(0);
            f.f32.store(0);
          });
        });
      };
      forLoop(f, t, () => f.local.get(t0!), () => f.local.get(t1!), () => f.i32.const(1), () => {
        setI(f, ic, () => { f.local.get(t); f.local.get(nbj); f.i32.div_u(); MC(); f.i32.mul(); });
        setI(f, jc, () => { f.local.get(t); f.local.get(nbj); f.i32.rem_u(); NC(); f.i32.mul(); });
        setI(f, iEnd, () => minI(f, () => { f.local.get(ic); MC(); f.i32.add(); }, () => f.local.get(M!)));
        setI(f, jEnd, () => minI(f, () => { f.local.get(jc); NC(); f.i32.add(); }, () => f.local.get(N!)));
        forLoop(f, pc, () => f.i32.const(0), () => f.local.get(K!), () => f.i32.const(KC), () => {
          setI(f, kcL, () => minI(f, () => f.i32.const(KC), () => { f.local.get(K!); f.local.get(pc); f.i32.sub(); }));
          forLoop(f, jr, () => f.local.get(jc), () => f.local.get(jEnd), () => f.i32.const(NR), () => {
            setI(f, nr, () => minI(f, () => f.i32.const(NR), () => { f.local.get(N!); f.local.get(jr); f.i32.sub(); }));
            forLoop(f, ir, () => f.local.get(ic), () => f.local.get(iEnd), () => f.i32.const(MR), () => {
              setI(f, mr, () => minI(f, () => f.i32.const(MR), () => { f.local.get(M!); f.local.get(ir); f.i32.sub(); }));
              // Panel ir/MR starts at ir·K·4 bytes (MR·K floats per panel), its k block at pc·MR·4.
              setI(f, aPan, () => {
                f.local.get(ap!);
                f.local.get(ir); f.local.get(K!); f.i32.mul(); f.local.get(pc); f.i32.const(MR); f.i32.mul(); f.i32.add();
                f.i32.const(2); f.i32.shl(); f.i32.add();
              });
              setI(f, bStep, () => f.i32.const(NR * 4));
              f.local.get(bd!);
              f.if(() => {
                // B read in place; only its ragged last panel was packed (alone, at bp).
                f.local.get(nr);
                f.i32.const(NR);
                f.i32.eq();
                f.if(() => {
                  setI(f, bPan, () => {
                    f.local.get(bd!);
                    f.local.get(jr); f.i32.const(2); f.i32.shl(); f.i32.add();
                    f.local.get(pc); f.local.get(bdStep!); f.i32.mul(); f.i32.add();
                  });
                  setI(f, bStep, () => f.local.get(bdStep!));
                }, () => {
                  setI(f, bPan, () => { f.local.get(bp!); f.local.get(pc); f.i32.const(NR * 4); f.i32.mul(); f.i32.add(); });
                });
              }, () => {
                setI(f, bPan, () => {
                  f.local.get(bp!);
                  f.local.get(jr); f.local.get(K!); f.i32.mul(); f.local.get(pc); f.i32.const(NR); f.i32.mul(); f.i32.add();
                  f.i32.const(2); f.i32.shl(); f.i32.add();
                });
              });
              setI(f, cT, () => {
                f.local.get(c!);
                f.local.get(ir); f.local.get(crs!); f.i32.mul(); f.i32.add();
                f.local.get(jr); f.local.get(ccs!); f.i32.mul(); f.i32.add();
              });
              setI(f, direct, () => {
                f.local.get(mr); f.i32.const(MR); f.i32.eq();
                f.local.get(nr); f.i32.const(NR); f.i32.eq();
                f.i32.and();
                f.local.get(ccs!); f.i32.const(4); f.i32.eq();
                f.i32.and();
              });
              f.local.get(direct);
              f.if(() => {
                microCall(cT, () => f.local.get(crs!), () => f.local.get(pc));
              }, () => {
                f.local.get(pc);
                f.if(() => copyTile(true));
                microCall(tmp!, () => f.i32.const(NR * 4), () => f.local.get(pc));
                copyTile(false);
              });
            });
          });
        });
      });
    });
}

/**
 * run(a, aBs, aRs, aCs, b, bBs, bRs, bCs, c, cRs, cCs, batch, M, K, N, scratch, bDirect):
 * the whole batched product (strides in bytes, K ≥ 1; C's batch stride is M·N·4).
 * scratch holds packed A, packed B and one tile; a broadcast operand (batch stride 0)
 * is packed once. With bDirect (B's columns contiguous, bCs = 4) B is read in place and
 * only its ragged last panel is packed.
 */
function emitRun(m: ModuleBuilder, cfg: MatmulConfig, fn: { packA: number; packB: number; compute: number }): void {
  const { mr: MR, nr: NR, mc: MC, nc: NC } = cfg;
  const I17 = Array.from({ length: 17 }, () => 'i32' as const);
  m.func('run', I17, [], (f, [a, aBs, aRs, aCs, b, bBs, bRs, bCs, c, cRs, cCs, batch, M, K, N, scratch, bDirect]) => {
    const bi = f.addLocal('i32'), ap = f.addLocal('i32'), bp = f.addLocal('i32'), tmp = f.addLocal('i32');
    const bb = f.addLocal('i32'), jTail = f.addLocal('i32');
    const nblocks = f.addLocal('i32'), cStride = f.addLocal('i32');
    const roundUp = (v: Local, to: number) => { f.local.get(v); f.i32.const(to - 1); f.i32.add(); f.i32.const(to); f.i32.div_u(); f.i32.const(to); f.i32.mul(); };
    setI(f, ap, () => f.local.get(scratch!));
    // |packed A| = ceil(M/MR)·MR·K floats, rounded to 64 bytes; likewise B.
    setI(f, bp, () => { f.local.get(ap); roundUp(M!, MR); f.local.get(K!); f.i32.mul(); f.i32.const(4); f.i32.mul(); f.i32.const(63); f.i32.add(); f.i32.const(-64); f.i32.and(); f.i32.add(); });
    setI(f, tmp, () => { f.local.get(bp); roundUp(N!, NR); f.local.get(K!); f.i32.mul(); f.i32.const(4); f.i32.mul(); f.i32.const(63); f.i32.add(); f.i32.const(-64); f.i32.and(); f.i32.add(); });
    setI(f, nblocks, () => {
      f.local.get(M!); f.i32.const(MC - 1); f.i32.add(); f.i32.const(MC); f.i32.div_u();
      f.local.get(N!); f.i32.const(NC - 1); f.i32.add(); f.i32.const(NC); f.i32.div_u();
      f.i32.mul();
    });
    setI(f, cStride, () => { f.local.get(M!); f.local.get(N!); f.i32.mul(); f.i32.const(2); f.i32.shl(); });
    forLoop(f, bi, () => f.i32.const(0), () => f.local.get(batch!), () => f.i32.const(1), () => {
      // Pack A on the first batch, and on later ones unless broadcast.
      f.local.get(bi);
      f.i32.eqz();
      f.local.get(aBs!);
      f.i32.or();
      f.if(() => {
        f.local.get(a!); f.local.get(bi); f.local.get(aBs!); f.i32.mul(); f.i32.add();
        f.local.get(aRs!); f.local.get(aCs!); f.local.get(M!); f.local.get(K!); f.local.get(ap);
        emitCall(f, fn.packA, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], []);
      });
      setI(f, bb, () => { f.local.get(b!); f.local.get(bi); f.local.get(bBs!); f.i32.mul(); f.i32.add(); });
      f.local.get(bi);
      f.i32.eqz();
      f.local.get(bBs!);
      f.i32.or();
      f.if(() => {
        f.local.get(bDirect!);
        f.if(() => {
          setI(f, jTail, () => { f.local.get(N!); f.i32.const(NR); f.i32.div_u(); f.i32.const(NR); f.i32.mul(); });
          f.local.get(jTail);
          f.local.get(N!);
          f.i32.lt_s();
          f.if(() => {
            f.local.get(bb); f.local.get(jTail); f.local.get(bCs!); f.i32.mul(); f.i32.add();
            f.local.get(bCs!); f.local.get(bRs!);
            f.local.get(N!); f.local.get(jTail); f.i32.sub();
            f.local.get(K!); f.local.get(bp);
            emitCall(f, fn.packB, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], []);
          });
        }, () => {
          f.local.get(bb); f.local.get(bCs!); f.local.get(bRs!); f.local.get(N!); f.local.get(K!); f.local.get(bp);
          emitCall(f, fn.packB, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], []);
        });
      });
      f.local.get(ap); f.local.get(bp);
      f.local.get(c!); f.local.get(bi); f.local.get(cStride); f.i32.mul(); f.i32.add();
      f.local.get(cRs!); f.local.get(cCs!);
      f.local.get(M!); f.local.get(K!); f.local.get(N!); f.local.get(tmp);
      f.i32.const(0); f.local.get(nblocks);
      f.local.get(bDirect!); f.local.get(bb); f.i32.mul(); // 0: B packed
      f.local.get(bRs!);
      emitCall(f, fn.compute, Array.from({ length: 13 }, () => 'i32' as const), []);
    });
  });
}

const roundUp = (v: number, to: number): number => Math.ceil(v / to) * to;

/** Scratch bytes `run` needs for one product (packed A, packed B, one tile). */
function scratchBytes(cfg: MatmulConfig, M: number, K: number, N: number): number {
  return roundUp(roundUp(M, cfg.mr) * K * 4, 64) + roundUp(roundUp(N, cfg.nr) * K * 4, 64) + cfg.mr * cfg.nr * 4;
}

/** @internal Builds the matmul module for `cfg` (exported for tuning scripts). */
export function buildMatmulModule(m: ModuleBuilder, cfg: MatmulConfig, relaxed: boolean): void {
  if (cfg.nr % 4 !== 0 || cfg.mc % cfg.mr !== 0 || cfg.nc % cfg.nr !== 0) throw new Error('matmul: bad tile config');
  const micro = emitMicroKernel(m, cfg, relaxed);
  const packA = emitPack(m, 'packA', cfg.mr);
  const packB = emitPack(m, 'packB', cfg.nr);
  const compute = emitCompute(m, cfg, micro, false);
  emitCompute(m, cfg, micro, true);
  emitRun(m, cfg, { packA, packB, compute });
}

function configKey(cfg: MatmulConfig, relaxed: boolean): string {
  return `matmul_f32:${relaxed ? 'relaxed' : 'plain'}:${cfg.mr}x${cfg.nr}:u${cfg.ku}:${cfg.mc}x${cfg.nc}x${cfg.kc}`;
}

/** out[b] = A[b] (M×K) · B[b] (K×N), float32; out is contiguous [batch, M, N] at byte address outPtr (already allocated by the caller). */
export function matmulF32(
  rt: WasmRuntime, a: MatrixOperand, b: MatrixOperand, outPtr: number, batch: number, M: number, K: number, N: number,
): void {
  matmulF32WithConfig(rt, a, b, outPtr, batch, M, K, N, DEFAULT_MATMUL_CONFIG);
}

/** @internal matmulF32 with explicit tile/block sizes (for tuning scripts and tests). */
export function matmulF32WithConfig(
  rt: WasmRuntime, a: MatrixOperand, b: MatrixOperand, outPtr: number,
  batch: number, M: number, K: number, N: number, cfg: Readonly<MatmulConfig>,
): void {
  if (batch === 0 || M === 0 || N === 0) return;
  if (K === 0) {
    fillWords(rt, outPtr, batch * M * N, 0);
    return;
  }
  // Tiles cover whole MR×NR blocks, so a narrow product wastes the padding: with N = 10
  // and NR = 16, 6 of every 16 columns computed are thrown away. Cᵀ = Bᵀ·Aᵀ does the same
  // multiply-adds in the same k order (so gives the same bits) with M and N exchanged;
  // run it when that pads clearly less, storing the tiles transposed. The choice depends
  // only on the shape.
  const swap = roundUp(N, cfg.mr) * roundUp(M, cfg.nr) < 0.9 * roundUp(M, cfg.mr) * roundUp(N, cfg.nr);
  const [x, y, rows, cols] = swap ? [b, a, N, M] : [a, b, M, N];
  // In the swapped product x = Bᵀ and y = Aᵀ: their row and column strides trade places.
  const xr = swap ? x.colStride : x.rowStride, xc = swap ? x.rowStride : x.colStride;
  const yr = swap ? y.colStride : y.rowStride, yc = swap ? y.rowStride : y.colStride;
  const direct = yc === 1 && rows <= cfg.directRows;
  if (rt.threads > 1 && batch * rows * cols * K >= threadTuning().minMacs) {
    matmulParallel(rt, cfg, { ...x, rowStride: xr, colStride: xc }, { ...y, rowStride: yr, colStride: yc }, outPtr,
      swap ? 4 : N * 4, swap ? N * 4 : 4, batch, rows, K, cols, direct);
    return;
  }
  const h = rt.handle(configKey(cfg, rt.relaxed), (m) => buildMatmulModule(m, cfg, rt.relaxed));
  // Released as soon as the kernel is called or queued: kernels run in order, so whatever
  // reuses the scratch later runs after this product (see ./threads/pool.ts).
  const scratch = rt.heap.alloc(scratchBytes(cfg, rows, K, cols));
  try {
    rt.call(h, 'run', [
      x.ptr, x.batchStride * 4, xr * 4, xc * 4,
      y.ptr, y.batchStride * 4, yr * 4, yc * 4,
      outPtr, swap ? 4 : N * 4, swap ? N * 4 : 4,
      batch, rows, K, cols, scratch, direct ? 1 : 0,
    ]);
  } finally {
    rt.heap.release(scratch);
  }
}

// ---------- parallel ----------

/** Multiply-adds per task when whole products of a batch are the tasks, in task elements (2²⁰ by default). */
const BATCH_TASK_FACTOR = 64;
/** Output blocks a product is cut into for the threads (at least, where the shape allows). */
const MIN_BLOCKS = 8;

const FIXED = (n: number): ArgKind[] => new Array<ArgKind>(n).fill(ARG.FIXED);

/**
 * The product on the worker threads. Operands are already oriented (a swapped product
 * passed as Bᵀ·Aᵀ with strides exchanged); strides in elements, C's in bytes. Either
 * whole products of the batch are the tasks (many small products), or, per product,
 * the panels of A and B are packed in parallel (disjoint panel ranges) and then the
 * output blocks are computed in parallel: block sizes come from the shape alone, and
 * no output element's sum is ever split, so the bits are those of the serial kernel.
 */
function matmulParallel(
  rt: WasmRuntime, cfg: Readonly<MatmulConfig>, x: MatrixOperand, y: MatrixOperand, outPtr: number,
  cRs: number, cCs: number, batch: number, M: number, K: number, N: number, direct: boolean,
): void {
  const threads = rt.threads;
  const perProduct = M * N * K;
  const taskMacs = BATCH_TASK_FACTOR * threadTuning().taskElements;
  const chunk = fitChunk(batch, Math.max(1, Math.ceil(taskMacs / perProduct)));
  if (batch > 1 && Math.ceil(batch / chunk) >= 2 && perProduct < taskMacs * MIN_BLOCKS) {
    // Whole products: `run` on a range of the batch, with scratch of its own per thread.
    const h = rt.handle(configKey(cfg, rt.relaxed), (m) => buildMatmulModule(m, cfg, rt.relaxed));
    const bytes = roundUp(scratchBytes(cfg, M, K, N), 64);
    const scratch = rt.heap.alloc(bytes * threads);
    try {
      const args = [
        x.ptr, x.batchStride * 4, x.rowStride * 4, x.colStride * 4,
        y.ptr, y.batchStride * 4, y.rowStride * 4, y.colStride * 4,
        outPtr, cRs, cCs, batch, M, K, N, scratch, direct ? 1 : 0,
      ];
      const kinds = FIXED(args.length);
      const mults = new Array<number>(args.length).fill(0);
      kinds[0] = ARG.OFFSET; mults[0] = x.batchStride * 4;
      kinds[4] = ARG.OFFSET; mults[4] = y.batchStride * 4;
      kinds[8] = ARG.OFFSET; mults[8] = M * N * 4;
      kinds[11] = ARG.COUNT;
      kinds[15] = ARG.PER_THREAD; mults[15] = bytes;
      rt.parallel({ kernel: h, fn: 'run', args, kinds, mults, units: batch, chunk });
    } finally {
      rt.heap.release(scratch);
    }
    return;
  }
  // Output blocks: the configured ones, halved until there are enough to share.
  let mc = Math.min(cfg.mc, roundUp(M, cfg.mr)), nc = Math.min(cfg.nc, roundUp(N, cfg.nr));
  const blocks = (a: number, b: number) => Math.ceil(M / a) * Math.ceil(N / b);
  while (blocks(mc, nc) < MIN_BLOCKS) {
    if (nc > cfg.nr && (nc >= 4 * mc || mc <= cfg.mr)) nc = Math.max(cfg.nr, roundUp(nc / 2, cfg.nr));
    else if (mc > cfg.mr) mc = Math.max(cfg.mr, roundUp(mc / 2, cfg.mr));
    else break;
  }
  // One module for every block size: the blocks are compute's arguments.
  const h = rt.handle(configKey(cfg, rt.relaxed), (m) => buildMatmulModule(m, cfg, rt.relaxed));
  const packedA = roundUp(roundUp(M, cfg.mr) * K * 4, 64);
  const packedB = roundUp(roundUp(N, cfg.nr) * K * 4, 64);
  const tile = cfg.mr * cfg.nr * 4;
  const scratch = rt.heap.alloc(packedA + packedB + tile * threads);
  const ap = scratch, bp = scratch + packedA, tmp = bp + packedB;
  const nblocks = blocks(mc, nc);
  try {
    for (let bi = 0; bi < batch; bi++) {
      if (bi === 0 || x.batchStride !== 0) {
        packParallel(rt, h, 'packA', x.ptr + bi * x.batchStride * 4, x.rowStride * 4, x.colStride * 4, M, K, ap, cfg.mr);
      }
      const yb = y.ptr + bi * y.batchStride * 4;
      if (bi === 0 || y.batchStride !== 0) {
        if (direct) {
          // B is read in place; only its ragged last panel is packed.
          const jTail = Math.floor(N / cfg.nr) * cfg.nr;
          if (jTail < N) rt.call(h, 'packB', [yb + jTail * y.colStride * 4, y.colStride * 4, y.rowStride * 4, N - jTail, K, bp]);
        } else {
          packParallel(rt, h, 'packB', yb, y.colStride * 4, y.rowStride * 4, N, K, bp, cfg.nr);
        }
      }
      const args = [ap, bp, outPtr + bi * M * N * 4, cRs, cCs, M, K, N, tmp, 0, nblocks, direct ? yb : 0, y.rowStride * 4, mc, nc];
      const kinds = FIXED(args.length);
      const mults = new Array<number>(args.length).fill(0);
      kinds[8] = ARG.PER_THREAD; mults[8] = tile;
      kinds[9] = ARG.BEGIN;
      kinds[10] = ARG.END;
      rt.parallel({ kernel: h, fn: 'computeBlocks', args, kinds, mults, units: nblocks, chunk: 1 });
    }
  } finally {
    rt.heap.release(scratch);
  }
}

/** packA / packB of `outer` rows (columns) on disjoint whole-panel ranges; small ones on this thread. */
function packParallel(
  rt: WasmRuntime, h: KernelHandle, fn: 'packA' | 'packB', src: number, os: number, ks: number,
  outer: number, K: number, dst: number, W: number,
): void {
  const args = [src, os, ks, outer, K, dst];
  const panels = Math.ceil(outer / W);
  const { minElements, taskElements } = threadTuning();
  const perPanel = Math.max(1, Math.round(taskElements / (W * K)));
  if (outer * K < minElements || panels < 2 * perPanel) {
    rt.call(h, fn, args);
    return;
  }
  const kinds = FIXED(6);
  const mults = [os, 0, 0, 0, 0, K * 4];
  kinds[0] = ARG.OFFSET;
  kinds[3] = ARG.COUNT;
  kinds[5] = ARG.OFFSET;
  rt.parallel({ kernel: h, fn, args, kinds, mults, units: outer, chunk: fitChunk(outer, perPanel * W, W) });
}
