import type { TypedArray } from '../dtype.js';

/*
 * C[M,N] = A[M,K] · B[K,N] as dot products of rows of A with rows of Bᵀ, in 4×2 register
 * tiles: 8 running sums stay in registers, each step loads 6 values for 8 multiply-adds
 * and stores nothing. The caller packs operands into this layout (row-major A, row-major
 * Bᵀ) only when a view is not already in it, which is O(MK + KN) against O(MNK) work, so
 * A·B, Aᵀ·B and A·Bᵀ all run the same inner loop at the same speed. Columns of Bᵀ are
 * processed in blocks that stay resident in cache while every row tile of A passes.
 */

export function matmulRowsDot(
  A: TypedArray, ao: number, // A row-major [M,K] starting at ao
  Bt: TypedArray, bo: number, // Bᵀ row-major [N,K] starting at bo
  C: TypedArray, co: number, // C row-major [M,N] starting at co
  M: number, N: number, K: number,
): void {
  // Column blocks of 64 rows of Bᵀ stay in cache while every row tile of A passes.
  for (let j0 = 0; j0 < N; j0 += 64) {
    const j1 = Math.min(N, j0 + 64);
    let i = 0;
    for (; i + 3 < M; i += 4) {
      const a0 = ao + i * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
      let j = j0;
      for (; j + 1 < j1; j += 2) {
        const b0 = bo + j * K, b1 = b0 + K;
        let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
        for (let k = 0; k < K; k++) {
          const x0 = Bt[b0 + k]!, x1 = Bt[b1 + k]!;
          const y0 = A[a0 + k]!, y1 = A[a1 + k]!, y2 = A[a2 + k]!, y3 = A[a3 + k]!;
          s00 += y0 * x0; s01 += y0 * x1;
          s10 += y1 * x0; s11 += y1 * x1;
          s20 += y2 * x0; s21 += y2 * x1;
          s30 += y3 * x0; s31 += y3 * x1;
        }
        const c = co + i * N + j;
        C[c] = s00; C[c + 1] = s01;
        C[c + N] = s10; C[c + N + 1] = s11;
        C[c + 2 * N] = s20; C[c + 2 * N + 1] = s21;
        C[c + 3 * N] = s30; C[c + 3 * N + 1] = s31;
      }
      for (; j < j1; j++) {
        const b0 = bo + j * K;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let k = 0; k < K; k++) {
          const x0 = Bt[b0 + k]!;
          s0 += A[a0 + k]! * x0; s1 += A[a1 + k]! * x0; s2 += A[a2 + k]! * x0; s3 += A[a3 + k]! * x0;
        }
        const c = co + i * N + j;
        C[c] = s0; C[c + N] = s1; C[c + 2 * N] = s2; C[c + 3 * N] = s3;
      }
    }
    for (; i < M; i++) {
      const a0 = ao + i * K;
      for (let j = j0; j < j1; j++) {
        const b0 = bo + j * K;
        let s = 0;
        for (let k = 0; k < K; k++) s += A[a0 + k]! * Bt[b0 + k]!;
        C[co + i * N + j] = s;
      }
    }
  }
}
