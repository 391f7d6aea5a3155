let enabled = true;

/** Whether operations are being recorded for autograd right now. */
export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs `fn` without recording the graph (like `torch.no_grad()`); restores the mode after. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with recording switched on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/** @internal Sets the mode and returns the previous one (hot paths: no closure, see exprKey in wasm/plan.ts); restore it in a finally. */
export function swapGradMode(mode: boolean): boolean {
  const prev = enabled;
  enabled = mode;
  return prev;
}

export function withGradMode<T>(mode: boolean, fn: () => T): T {
  const prev = enabled;
  enabled = mode;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
