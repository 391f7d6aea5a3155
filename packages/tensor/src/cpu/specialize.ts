/**
 * Returns a private copy of `fn` per key. V8 keeps type feedback per function, so a
 * kernel used with Float32Array and Float64Array gets slower (polymorphic) element
 * access; one copy per dtype combination keeps each copy monomorphic. `fn` must be
 * self-contained (no nested functions, no module-level references) apart from the
 * functions passed as `deps`, which are specialised under the same key.
 */
type AnyFn = (...args: never[]) => unknown;
const copies = new Map<string, unknown>();

export function specialize<F extends AnyFn>(fn: F, key: string, deps: Record<string, AnyFn> = {}): F {
  const k = `${fn.name}:${key}`;
  let f = copies.get(k) as F | undefined;
  if (!f) {
    // Each dependency is bound under its own runtime name, the identifier `fn`'s source
    // calls it by, even after a minifier renamed both (esbuild --minify, terser).
    const fns = Object.values(deps);
    const values = fns.map((d) => specialize(d, key));
    f = new Function(...fns.map((d) => d.name), `return (${fn.toString()});`)(...values) as F;
    copies.set(k, f);
  }
  return f;
}
