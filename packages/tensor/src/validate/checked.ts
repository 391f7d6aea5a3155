import { raise, type Spec } from './spec.js';

/** One declared argument: its name (as in the docs and messages) and its spec. */
export type ArgSpec = readonly [name: string, spec: Spec];

/** What `checked` attaches to the function it returns: the public name and the argument specs. */
export interface Signature {
  readonly fn: string;
  readonly args: readonly ArgSpec[];
}

const SIGNATURE = Symbol.for('tsgrad.signature');

/**
 * Checks `args` against the declared specs in order, throwing the first failure as
 * `fn: argument 'name' expected …, got …` (a TsgradError subclass). Call it at the top of
 * a function whose body must run before validation is possible, otherwise prefer `checked`.
 */
export function validateArgs(fn: string, specs: readonly ArgSpec[], args: readonly unknown[]): void {
  for (let i = 0; i < specs.length; i++) {
    const [name, spec] = specs[i]!;
    const f = spec.check(args[i], args);
    if (f) raise(fn, name, f);
  }
}

/**
 * Declares a public function's arguments once: the returned function checks every
 * argument against its spec (in order, before `impl` allocates, draws random numbers
 * or changes anything), then calls `impl`. Errors name `fn`, the name the user calls.
 * The signature is attached to the function (`signatureOf`) so tests can enumerate it.
 *
 * ```ts
 * export const narrow = checked('narrow', [['input', tensor()], ['dim', dim()], ['start', int()], ['length', int({ min: 0 })]], narrowImpl);
 * ```
 */
export function checked<F extends (...args: never[]) => unknown>(fn: string, specs: readonly ArgSpec[], impl: F): F {
  const run = impl as unknown as (...a: unknown[]) => unknown;
  // Up to six declared arguments (every op so far) the wrapper takes them positionally:
  // no rest array and no Function.prototype.apply on the hot path. An impl that reads
  // more arguments than it declares specs for gets the rest-args form.
  const wrapper =
    specs.length <= 6 && run.length <= 6
      ? function (a0?: unknown, a1?: unknown, a2?: unknown, a3?: unknown, a4?: unknown, a5?: unknown): unknown {
          validateArgs(fn, specs, [a0, a1, a2, a3, a4, a5]);
          return run(a0, a1, a2, a3, a4, a5);
        }
      : function (this: unknown, ...args: unknown[]): unknown {
          validateArgs(fn, specs, args);
          return run.apply(this, args);
        };
  Object.defineProperty(wrapper, 'name', { value: fn });
  Object.defineProperty(wrapper, SIGNATURE, { value: { fn, args: specs } satisfies Signature });
  return wrapper as unknown as F;
}

/** Marks a function that validates in its own body (through `validateArgs`) with its signature. */
export function declare<F extends (...args: never[]) => unknown>(fn: string, specs: readonly ArgSpec[], f: F): F {
  Object.defineProperty(f, SIGNATURE, { value: { fn, args: specs } satisfies Signature });
  return f;
}

/** The declared signature of a function made by `checked` or `declare`, else null. */
export function signatureOf(f: unknown): Signature | null {
  if (typeof f !== 'function') return null;
  return ((f as unknown as Record<symbol, Signature | undefined>)[SIGNATURE]) ?? null;
}
