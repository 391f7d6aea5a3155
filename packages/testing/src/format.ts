/** Row-major multi-index of flat position `flat` in `shape` (`[]` for a 0-d tensor). */
export function unravelIndex(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    const s = shape[d]!;
    idx[d] = flat % s;
    flat = Math.floor(flat / s);
  }
  return idx;
}

export function fmtIndex(idx: readonly number[]): string {
  return `[${idx.join(', ')}]`;
}

/** Enough digits to see a mismatch in the 6th significant place. */
export function fmtNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-4 && a < 1e6 ? String(Number(x.toPrecision(10))) : x.toExponential(6);
}
