import { Module, Optimizer } from '@tsgrad/nn';
import { Tensor, TsgradError, manualSeed, rand } from '@tsgrad/tensor';

/*
 * The machinery of the contract fuzz suite: a bad call must throw a TsgradError subclass
 * whose message starts with the name of the function the user called, and must leave
 * every tensor, module, optimiser, the autograd graph and the global generator exactly
 * as they were.
 */

export type Rng = () => number;

/** One way to turn valid arguments into invalid ones. */
export interface Mutator {
  readonly label: string;
  apply(args: readonly unknown[]): unknown[];
}

/** A public function or method and how to call it badly. */
export interface Entry {
  /** The name the report uses (`Adam.step`, `tensor`, `t.to`, …). */
  readonly name: string;
  /** Accepted error prefixes: the name the user called (a module's forward may also name its functional). */
  readonly names: readonly string[];
  /** Fresh valid arguments (may draw from `r`, never from tsgrad's generator unless unavoidable). */
  make(r: Rng): unknown[];
  call(args: readonly unknown[]): unknown;
  readonly bad: readonly Mutator[];
}

export const replace = (i: number, label: string, value: (args: readonly unknown[]) => unknown): Mutator => ({
  label: `arg ${i} = ${label}`,
  apply: (args) => {
    const out = [...args];
    out[i] = value(args);
    return out;
  },
});

/** Mutators replacing argument `i` with each value (labelled by `String`). */
export function each(i: number, values: readonly unknown[]): Mutator[] {
  return values.map((v) => replace(i, label(v), () => v));
}

export const custom = (label: string, apply: (args: readonly unknown[]) => unknown[]): Mutator => ({ label, apply });

function label(v: unknown): string {
  if (v instanceof Tensor) return `Tensor ${v.dtype} [${v.shape.join(',')}]`;
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(label).join(', ')}]`;
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (v !== null && typeof v === 'object') {
    // Never JSON.stringify a Tensor: its storage may be a view of the whole WebAssembly heap.
    return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${label(x)}`).join(', ')} }`;
  }
  return String(v);
}

// ---------------------------------------------------------------- bad value pools

export const NOT_TENSOR: readonly unknown[] = [undefined, null, 5, 'x', [1, 2], {}, true];
export const NOT_OPERAND: readonly unknown[] = [undefined, null, 'x', [1, 2], {}, true];
export const BAD_BOOL: readonly unknown[] = ['yes', 1, 0, null, {}];
export const BAD_SHAPE: readonly unknown[] = [5, 'x', null, [-1], [1.5], [Number.NaN], [2, 'a'], [1e9, 1e9], [2 ** 31], {}];
export const BAD_DTYPE: readonly unknown[] = ['float16', 'int64', 5, null, 'Float32'];
export const BAD_OPTIONS: readonly unknown[] = [{ typo: 1 }, 'x', 5, [1], null];
export const BAD_FINITE: readonly unknown[] = [Number.NaN, Infinity, -Infinity, '1', null, {}];
export const badInt = (min: number): unknown[] => [min - 1, min + 0.5, Number.NaN, Infinity, '1', null, {}];

/** Dims outside the range of a tensor with `ndim` dims (0-d tensors accept -1 and 0). */
export function badDims(ndim: number): unknown[] {
  const n = Math.max(ndim, 1);
  return [n, n + 3, -n - 1, 0.5, Number.NaN, Infinity, '0', {}];
}

/** Mutators putting out-of-range dims in argument `i`, for the tensor at argument `of`. */
export function dimMutators(i: number, of = 0, extra = 0): Mutator[] {
  const out: Mutator[] = [];
  for (let k = 0; k < badDims(0).length; k++) {
    out.push(replace(i, `bad dim #${k}`, (args) => badDims((args[of] as Tensor).ndim + extra)[k]));
  }
  return out;
}

// ---------------------------------------------------------------- state snapshots

type Snap = unknown;

function tensorSnap(t: Tensor): Snap {
  let data: number[] | string;
  try {
    data = Array.from(t.dataSync());
  } catch (e) {
    data = `unreadable: ${(e as Error).name}`;
  }
  return {
    shape: [...t.shape],
    dtype: t.dtype,
    requiresGrad: t.requiresGrad,
    data,
    grad: t.grad instanceof Tensor ? Array.from(t.grad.dataSync()) : String(t.grad),
    gradFn: t.gradFn ? `${t.gradFn.op}${t.gradFn.freed ? ' (freed)' : ''}/${t.gradFn.inputs.length}` : null,
  };
}

/** Every observable piece of state reachable from the arguments, by value. */
export function snapshot(values: readonly unknown[]): Snap {
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): Snap => {
    if (depth > 6 || v === null || typeof v !== 'object') return typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v;
    if (seen.has(v)) return '<seen>';
    seen.add(v);
    if (v instanceof Tensor) return tensorSnap(v);
    if (v instanceof Module) {
      return { training: v.training, params: v.namedParameters().map(([k, p]) => [k, tensorSnap(p)]) };
    }
    if (v instanceof Optimizer) {
      const o = v as Optimizer<object, unknown>;
      return {
        groups: o.paramGroups.map((g) => {
          const { params, ...opts } = g as { params: Tensor[] } & Record<string, unknown>;
          return { params: params.map(tensorSnap), opts: JSON.stringify(opts) };
        }),
        state: [...o.state.entries()].map(([, s]) => walk(s, depth + 1)),
      };
    }
    if (ArrayBuffer.isView(v)) return `${v.constructor.name}`;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: Record<string, Snap> = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x, depth + 1);
    return out;
  };
  return values.map((v) => walk(v, 0));
}

/** The next draws of the global generator after seeding with `seed`. */
export function nextDraws(seed: number): number[] {
  manualSeed(seed);
  return Array.from(rand([4], { dtype: 'float64' }).dataSync());
}

export interface Outcome {
  ok: boolean;
  problem?: string;
}

/**
 * Calls `entry` with bad arguments and checks the contract. `keep` holds extra objects
 * whose state must not change (a graph root, …), returned by the entry's `make` as its
 * trailing argument when needed — snapshots take every argument, mutated or not.
 */
export function checkBadCall(entry: Entry, valid: readonly unknown[], m: Mutator, seed: number, expectedDraws: readonly number[]): Outcome {
  const args = m.apply(valid);
  const before = snapshot([...valid, ...args]);
  manualSeed(seed);
  let thrown: unknown = null;
  let returned = false;
  try {
    entry.call(args);
    returned = true;
  } catch (e) {
    thrown = e;
  }
  const draws = Array.from(rand([4], { dtype: 'float64' }).dataSync());
  const where = `${entry.name} with ${m.label}`;
  if (returned) return { ok: false, problem: `${where}: returned a result instead of throwing` };
  if (!(thrown instanceof TsgradError)) {
    return { ok: false, problem: `${where}: threw ${(thrown as Error)?.name ?? String(thrown)} (${(thrown as Error)?.message ?? ''}), not a TsgradError` };
  }
  const msg = thrown.message;
  if (!entry.names.some((n) => msg.startsWith(`${n}:`) || msg.startsWith(`${n}.`))) {
    return { ok: false, problem: `${where}: message does not start with ${entry.names.join(' or ')}: "${msg}"` };
  }
  if (draws.some((d, i) => d !== expectedDraws[i])) return { ok: false, problem: `${where}: the global generator advanced ("${msg}")` };
  const after = snapshot([...valid, ...args]);
  const a = JSON.stringify(before);
  const b = JSON.stringify(after);
  if (a !== b) return { ok: false, problem: `${where}: state changed ("${msg}")\n before ${a.slice(0, 400)}\n after  ${b.slice(0, 400)}` };
  return { ok: true };
}
