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

/*
 * Class-dim losses on logits laid out [n, classes, inner] (row-major; `inner` is the
 * product of the spatial dims, 1 for [n, classes]) with int32 targets [n, inner]:
 * the element of class c at position (i, s) is logits[(i·classes + c)·inner + s].
 * Each returns the mean over the n·inner positions and, when `grad` is given, writes
 * d(mean loss)/d(logits) into it. One position at a time: max, Σ exp → log Σ exp,
 * then a pass for the loss terms and the analytic gradient. float64 throughout.
 */

/** Stable log Σ_c exp(x_c) over the classes at one position (stride `inner` from `base`). */
function logSumExpAt(logits: Float32Array, base: number, classes: number, inner: number): number {
  let m = -Infinity;
  for (let c = 0, k = base; c < classes; c++, k += inner) if (logits[k]! > m) m = logits[k]!;
  let sum = 0;
  for (let c = 0, k = base; c < classes; c++, k += inner) sum += Math.exp(logits[k]! - m);
  return m + Math.log(sum);
}

/** Writes scale · (p_c − [c = t]) at one position, p = softmax from its log Σ exp `lse`. */
function softmaxGradAt(
  logits: Float32Array,
  base: number,
  classes: number,
  inner: number,
  lse: number,
  t: number,
  scale: number,
  grad: Float32Array,
): void {
  for (let c = 0, k = base; c < classes; c++, k += inner) grad[k] = Math.exp(logits[k]! - lse) * scale;
  grad[base + t * inner] -= scale;
}

/** Mean softmax cross-entropy: l = lse − x_t; ∂l/∂x_c = p_c − [c = t]. */
export function crossEntropyLoopNd(
  logits: Float32Array,
  target: Int32Array,
  classes: number,
  inner: number,
  grad?: Float32Array,
): number {
  const positions = target.length;
  const outer = positions / inner;
  const inv = 1 / positions;
  let total = 0;
  for (let i = 0; i < outer; i++) {
    for (let s = 0; s < inner; s++) {
      const base = i * classes * inner + s;
      const lse = logSumExpAt(logits, base, classes, inner);
      const t = target[i * inner + s]!;
      total += lse - logits[base + t * inner]!;
      if (grad) softmaxGradAt(logits, base, classes, inner, lse, t, inv, grad);
    }
  }
  return total * inv;
}

/**
 * Mean softmax focal loss l = −(1 − p_t)^γ log p_t. With q = 1 − p_t and
 * A = γ q^(γ−1) p_t log p_t − q^γ, ∂l/∂x_c = −A (p_c − [c = t]); γ = 0 gives CE.
 */
export function softmaxFocalLoop(
  logits: Float32Array,
  target: Int32Array,
  classes: number,
  inner: number,
  gamma: number,
  grad?: Float32Array,
): number {
  const positions = target.length;
  const outer = positions / inner;
  const inv = 1 / positions;
  let total = 0;
  for (let i = 0; i < outer; i++) {
    for (let s = 0; s < inner; s++) {
      const base = i * classes * inner + s;
      const lse = logSumExpAt(logits, base, classes, inner);
      const t = target[i * inner + s]!;
      const logpT = logits[base + t * inner]! - lse;
      const pT = Math.exp(logpT);
      const q = -Math.expm1(logpT); // 1 − p_t without cancellation
      const qg = Math.pow(q, gamma);
      total -= qg * logpT;
      if (grad) {
        const a = gamma === 0 ? -1 : gamma * Math.pow(q, gamma - 1) * pT * logpT - qg;
        const scale = -a * inv;
        softmaxGradAt(logits, base, classes, inner, lse, t, scale, grad);
      }
    }
  }
  return total * inv;
}

/**
 * Mean Dual Focal Loss with α = β = ρ = 1:
 * l = −log p_t − Σ_{c≠t} log(1 − p_c) + (1 − p_t)^γ + Σ_{c≠t} p_c^γ.
 * Through the softmax VJP, ∂l/∂x_j = h_j − p_j Σ_c h_c with h_c = p_c ∂l/∂p_c:
 * h_t = −1 − γ p_t (1 − p_t)^(γ−1) and h_c = p_c/(1 − p_c) + γ p_c^γ for c ≠ t.
 * With `gammaGrad` (length 1) it also writes ∂(mean l)/∂γ = mean Σ_c u_c^γ log u_c,
 * u_t = 1 − p_t and u_c = p_c otherwise.
 */
export function dualFocalLoop(
  logits: Float32Array,
  target: Int32Array,
  classes: number,
  inner: number,
  gamma: number,
  grad?: Float32Array,
  gammaGrad?: Float32Array,
): number {
  const positions = target.length;
  const outer = positions / inner;
  const inv = 1 / positions;
  const p = new Float64Array(classes);
  let dGamma = 0;
  const h = new Float64Array(classes);
  let total = 0;
  for (let i = 0; i < outer; i++) {
    for (let s = 0; s < inner; s++) {
      const base = i * classes * inner + s;
      const lse = logSumExpAt(logits, base, classes, inner);
      const t = target[i * inner + s]!;
      let loss = 0;
      let hSum = 0;
      for (let c = 0, k = base; c < classes; c++, k += inner) {
        const logpc = logits[k]! - lse;
        const pc = Math.exp(logpc);
        p[c] = pc;
        let hc: number;
        if (c === t) {
          const q = -Math.expm1(logpc); // 1 − p_t
          const qg = Math.pow(q, gamma);
          loss += qg - logpc;
          hc = -1 - (gamma === 0 ? 0 : gamma * pc * Math.pow(q, gamma - 1));
          if (gammaGrad && q > 0) dGamma += qg * Math.log(q);
        } else {
          const pg = Math.pow(pc, gamma);
          loss += pg - Math.log1p(-pc);
          hc = pc / (1 - pc) + gamma * pg;
          if (gammaGrad && pc > 0) dGamma += pg * logpc;
        }
        h[c] = hc;
        hSum += hc;
      }
      total += loss;
      if (grad) {
        for (let c = 0, k = base; c < classes; c++, k += inner) grad[k] = (h[c]! - p[c]! * hSum) * inv;
      }
    }
  }
  if (gammaGrad) gammaGrad[0] = dGamma * inv;
  return total * inv;
}
