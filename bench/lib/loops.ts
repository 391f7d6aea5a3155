/**
 * Hand-written Float32Array loops: the "what would I write by hand" baseline the
 * elementwise and reduction targets are measured against. Straightforward,
 * cache-friendly loop orders, float64 accumulators (JS numbers), no unrolling
 * tricks, no threads. Each allocates its output, as a library op would.
 */

export function addLoop(a: Float32Array, b: Float32Array): Float32Array {
  const n = a.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
  return out;
}

export function mulLoop(a: Float32Array, b: Float32Array): Float32Array {
  const n = a.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
  return out;
}

export function expLoop(a: Float32Array): Float32Array {
  const n = a.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.exp(a[i]!);
  return out;
}

export function sigmoidLoop(a: Float32Array): Float32Array {
  const n = a.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-a[i]!));
  return out;
}

/** out[r, c] = a[r, c] + b[c] for a row-major [rows, cols] matrix. */
export function addRowLoop(a: Float32Array, b: Float32Array, cols: number): Float32Array {
  const rows = a.length / cols;
  const out = new Float32Array(a.length);
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    for (let c = 0; c < cols; c++) out[base + c] = a[base + c]! + b[c]!;
  }
  return out;
}

export function rowSumLoop(a: Float32Array, cols: number): Float32Array {
  const rows = a.length / cols;
  const out = new Float32Array(rows);
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += a[base + c]!;
    out[r] = s;
  }
  return out;
}

export function rowMaxLoop(a: Float32Array, cols: number): Float32Array {
  const rows = a.length / cols;
  const out = new Float32Array(rows);
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    let m = -Infinity;
    for (let c = 0; c < cols; c++) {
      const v = a[base + c]!;
      if (v > m) m = v;
    }
    out[r] = m;
  }
  return out;
}

/** Stable per-row log Σ exp: the max is subtracted first. */
export function rowLogSumExpLoop(a: Float32Array, cols: number): Float32Array {
  const rows = a.length / cols;
  const out = new Float32Array(rows);
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    let m = -Infinity;
    for (let c = 0; c < cols; c++) {
      const v = a[base + c]!;
      if (v > m) m = v;
    }
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(a[base + c]! - m);
    out[r] = m + Math.log(s);
  }
  return out;
}

/** C[m, n] = A[m, k] · B[k, n], i-k-j order so the inner loop streams rows. */
export function matmulNN(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j]!;
    }
  }
  return c;
}

/** C[m, n] = Aᵀ · B with A stored as [k, m]: k-i-j order, still streaming rows. */
export function matmulTN(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const c = new Float32Array(m * n);
  for (let p = 0; p < k; p++) {
    const ap = p * m;
    const bp = p * n;
    for (let i = 0; i < m; i++) {
      const av = a[ap + i]!;
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j]!;
    }
  }
  return c;
}

/** C[m, n] = A · Bᵀ with B stored as [n, k]: row-by-row dot products. */
export function matmulNT(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p]! * b[bj + p]!;
      c[i * n + j] = s;
    }
  }
  return c;
}

/**
 * Mean softmax cross-entropy of logits [n, classes] against integer targets; when
 * `grad` is given it also receives d(loss)/d(logits) = (softmax − onehot) / n.
 */
export function softmaxCrossEntropyLoop(
  logits: Float32Array,
  target: Int32Array,
  classes: number,
  grad?: Float32Array,
): number {
  const n = target.length;
  let total = 0;
  for (let r = 0, base = 0; r < n; r++, base += classes) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = logits[base + c]!;
      if (v > m) m = v;
    }
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[base + c]! - m);
    const lse = m + Math.log(s);
    const t = target[r]!;
    total += lse - logits[base + t]!;
    if (grad) {
      const inv = 1 / n;
      for (let c = 0; c < classes; c++) grad[base + c] = Math.exp(logits[base + c]! - lse) * inv;
      grad[base + t] -= inv;
    }
  }
  return total / n;
}
