import type { Storage } from '../backend.js';
import type { Tensor } from '../tensor.js';
import { ValueError } from '../errors.js';
import { checked, declare, validateArgs, type ArgSpec } from '../validate/checked.js';
import { fn as fnSpec, tensor as tensorSpec } from '../validate/spec.js';

/*
 * Explicit memory scopes (`tidy`). Device memory (the WebAssembly heap, GL textures)
 * is invisible to the garbage collector and finalization callbacks never run inside
 * a synchronous loop — a browser's main thread training step by step — so memory held
 * by unreachable tensors piles up. A scope frees what was created inside it when it
 * ends, except what it returns or what was kept.
 *
 * Ownership is tracked per storage, not per tensor: views (`reshape`, `detach`,
 * slices) share their base's storage, so a view made inside a scope of a tensor made
 * outside it never frees the outside tensor's memory, and a returned view keeps its
 * base's memory alive. A storage belongs to the scope that was innermost when a tensor
 * first wrapped it, or to nobody (`null`: the user's, freed by dispose() or the GC).
 *
 * Lazy backends (recorded elementwise ops fused into their consumer) keep memory that
 * a recorded op still reads alive even through dispose(). A scope therefore computes
 * every tensor that outlives it first; after that no recorded op that has not run can
 * read the scope's temporaries, and the scope frees them unconditionally
 * (`Backend.dispose(storage, true)`).
 */

let scopeSerials = 0;

class Scope {
  /** Storages this scope frees when it ends (unless they are protected then). */
  readonly owned = new Set<Storage>();
  /**
   * Owned storages that came from outside every scope (the user's memory handed over by
   * `releaseToScope`, or a block of it an in-place write replaced: `blockReplaced`). A recorded op made outside every scope may
   * still read them (`d = p.mul(2)` before an optimiser step in `tidy`), so memory such
   * an op captured is left to the garbage collector (see `captureEpoch`); memory only
   * ops inside scopes read is freed at once (those ops have run or are gone once their
   * scope ended). Not covered: an op recorded in an enclosing scope that is still open.
   */
  readonly adopted = new Set<Storage>();
  /** Opening order: scopes opened while this one is open have larger serials. */
  readonly serial = ++scopeSerials;
  /**
   * Tensors that outlive the scope although created or changed in it (kept tensors,
   * gradients stored on leaves, parameters updated in place): computed before the
   * scope frees anything, and their autograd graphs protected.
   */
  readonly survivors: Tensor[] = [];
  /**
   * @param holdsReplaced whether memory replaced by in-place writes inside this scope is freed
   *   by it (false: by the nearest enclosing scope that does — an optimiser step).
   */
  /** Nesting depth (outermost 1): a smaller depth outlives a larger one. */
  readonly depth: number;
  constructor(readonly parent: Scope | null, readonly holdsReplaced = true) {
    this.depth = parent ? parent.depth + 1 : 1;
  }
}

/** How long an owner keeps memory: the caller (null) longest, then outer scopes before inner ones. */
function lifetimeRank(owner: Scope | null): number {
  return owner ? owner.depth : 0;
}

/**
 * Which scope frees a storage; null: nobody (the user's); undefined: not seen yet. Kept
 * on the storage object itself: a WeakMap entry for every tensor made slowed every op
 * and lengthened every garbage collection (ephemerons), scope or no scope.
 */
const OWNER = Symbol('tsgrad.scopeOwner');
type Owned = Storage & { [OWNER]?: Scope | null };
const owners = {
  get: (s: Storage): Scope | null | undefined => (s as Owned)[OWNER],
  has: (s: Storage): boolean => (s as Owned)[OWNER] !== undefined,
  set: (s: Storage, owner: Scope | null): void => {
    (s as Owned)[OWNER] = owner;
  },
  delete: (s: Storage): void => {
    (s as Owned)[OWNER] = undefined;
  },
};
let current: Scope | null = null;

function moveTo(storage: Storage, to: Scope | null): void {
  const from = owners.get(storage);
  if (from === to) return;
  from?.owned.delete(storage);
  if (from?.adopted.delete(storage)) to?.adopted.add(storage);
  owners.set(storage, to);
  to?.owned.add(storage);
}

/** Hands memory that belonged to nobody (the user's) to `scope`, remembered as adopted. */
function adopt(storage: Storage, scope: Scope): void {
  moveTo(storage, scope);
  scope.adopted.add(storage);
}

/**
 * @internal What a lazy backend records when an op captures memory: the serial of the
 * innermost open scope, 0 outside every scope (the backends keep the smallest: 0 means
 * an op recorded outside every scope read it).
 */
export function captureEpoch(): number {
  return current ? current.serial : 0;
}

/** @internal the Tensor constructor's hook: a storage seen for the first time belongs to the innermost scope. */
export function trackStorage(storage: Storage): void {
  if (owners.has(storage)) return;
  owners.set(storage, current);
  current?.owned.add(storage);
}

/**
 * @internal `assign_` wrote `target` in place: it is computed before the scope frees
 * anything it may read. (The memory it wrote over reaches a scope through
 * {@link blockReplaced}, from the lazy backend that wrote it.)
 */
export function writtenInPlace(target: Tensor): void {
  current?.survivors.push(target);
}

/**
 * @internal A lazy backend wrote a storage in place (`assign_`, `fill_`) while the block
 * it held is still read by recorded ops. `orphan` (a storage of its own around that
 * block) is freed like memory `assign_` replaces: by the scope that owns `target`, or —
 * for the user's memory — by the nearest scope that frees replaced memory, as adopted
 * memory (kept for the garbage collector if an op recorded outside every scope read it).
 * Returns false when no scope takes it: the backend leaves the block to the collector.
 */
export function blockReplaced(target: Storage, orphan: Storage): boolean {
  if (!current) return false;
  const owner = owners.get(target) ?? null;
  if (owner) {
    moveTo(orphan, owner);
    return true;
  }
  let holder: Scope | null = current;
  while (holder && !holder.holdsReplaced) holder = holder.parent;
  if (!holder) return false;
  adopt(orphan, holder);
  return true;
}

/**
 * @internal a leaf's `.grad` changed: the new gradient lives as long as the leaf (it
 * is owned like the leaf's storage); a gradient replaced or cleared inside a scope is
 * freed when the scope ends.
 */
export function gradReplaced(leaf: Tensor, previous: Tensor | null, next: Tensor | null): void {
  if (!current) return;
  if (next) {
    moveTo(next.storage, owners.get(leaf.storage) ?? null);
    current.survivors.push(next);
  }
  if (previous && previous.storage !== next?.storage) releaseStorage(previous.storage);
}

function releaseStorage(storage: Storage): void {
  if (current && (owners.get(storage) ?? null) === null) adopt(storage, current);
}

function releaseToScopeImpl<T extends Tensor>(tensor: T): T {
  releaseStorage(tensor.storage);
  return tensor;
}

/**
 * Hands a tensor its owner no longer needs to the innermost memory scope: its memory
 * is freed when that scope ends (outside any scope nothing happens and the garbage
 * collector frees it). Optimisers use this for state they replace; a tensor sharing
 * the storage must not be read after the scope ends. Returns the tensor.
 */
export const releaseToScope = checked('releaseToScope', [['tensor', tensorSpec()]], releaseToScopeImpl);

function keepImpl<T extends Tensor>(tensor: T): T {
  moveTo(tensor.storage, null);
  current?.survivors.push(tensor);
  return tensor;
}

/**
 * Keeps a tensor created inside a {@link tidy} scope alive past the end of every
 * enclosing scope (like TF.js's `tf.keep`): its memory becomes the caller's, freed by
 * `dispose()` or the garbage collector. So does the memory of every tensor its live
 * autograd graph needs for a later `backward()`. Returns the tensor.
 */
export const keep = checked('keep', [['tensor', tensorSpec()]], keepImpl);

/** Whether a {@link tidy} scope is open (and new tensors are tracked by it). */
export function inScope(): boolean {
  return current !== null;
}

/** What {@link tidy} can return: tensors anywhere inside arrays and plain objects, and other values. */
export type TidyResult = unknown;

function isTensorLike(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'storage' in x && 'gradFn' in x && 'shape' in x;
}

/** The tensors inside a returned value: itself, array elements, plain-object values (nested). */
function tensorsIn(value: unknown, out: Tensor[], depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (isTensorLike(value)) {
    out.push(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) tensorsIn(v, out, depth + 1);
    return;
  }
  if (value instanceof Map) {
    for (const v of value.values()) tensorsIn(v, out, depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto === Object.prototype || proto === null) {
    for (const v of Object.values(value as Record<string, unknown>)) tensorsIn(v, out, depth + 1);
  }
}

/**
 * Storages that the survivors need, each with the owner it goes to: their own and
 * those of every tensor their live autograd graphs reach (a loss returned from a scope
 * can still be back-propagated), which live as long as the longest-lived survivor that
 * needs them. Tensors computed lazily among them are computed now, while everything
 * they read is still alive.
 */
function byLifetime(a: readonly [Tensor, Scope | null], b: readonly [Tensor, Scope | null]): number {
  return lifetimeRank(a[1]) - lifetimeRank(b[1]);
}

function protect(survivors: readonly (readonly [Tensor, Scope | null])[]): Map<Storage, Scope | null> {
  const destination = new Map<Storage, Scope | null>();
  const seen = new Set<Tensor>();
  // Longest-lived survivors first: a storage keeps the first (longest) lifetime it gets.
  const order = [...survivors].sort(byLifetime);
  for (const [root, dest] of order) {
    const stack = [root];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      if (!destination.has(t.storage)) destination.set(t.storage, dest);
      const node = t.gradFn;
      if (node && !node.freed) for (const input of node.inputs) stack.push(input);
    }
  }
  for (const t of seen) {
    const b = t.storage.backend;
    if (!b.evaluate) continue;
    try {
      b.evaluate(t);
    } catch {
      // A survivor the user disposed: nothing to compute, nothing it reads matters.
    }
  }
  return destination;
}

function close(scope: Scope, returned: readonly Tensor[]): void {
  current = scope.parent;
  const survivors: (readonly [Tensor, Scope | null])[] = [];
  for (const t of returned) survivors.push([t, scope.parent]);
  for (const t of scope.survivors) {
    const owner = owners.get(t.storage) ?? null;
    // A tensor that escaped and was handed back later (a gradient set, then cleared) is a temporary again.
    if (owner !== scope) survivors.push([t, owner]);
  }
  const needed = protect(survivors);
  for (const s of [...scope.owned]) {
    if (needed.has(s)) moveTo(s, needed.get(s)!);
    else {
      owners.delete(s);
      // The scope's own temporaries: no recorded op that has not run reads them any more
      // (survivors were computed above). Adopted memory: unless an op recorded outside
      // every scope read it (that op may still run later).
      s.backend.dispose(s, scope.adopted.has(s) ? 'adopted' : true);
    }
  }
  scope.owned.clear();
  scope.adopted.clear();
}

/**
 * Runs `fn` in a memory scope (TF.js's `tf.tidy`; PyTorch has no equivalent) and frees
 * the device memory of every tensor created inside it when it returns, except:
 *
 * - the tensors it returns — a tensor, or tensors inside arrays, Maps and plain
 *   objects — which belong to the enclosing scope (or to the caller);
 * - tensors passed to {@link keep};
 * - gradients stored on leaves made outside the scope (`p.grad` after `backward()`),
 *   parameters and buffers updated in place (`assign_`, an optimiser step) and
 *   optimiser state;
 * - every tensor a surviving tensor's live autograd graph needs: a loss returned from
 *   a scope can still be back-propagated outside it (its graph's memory then belongs
 *   to the enclosing scope). The recommended step calls `backward()` and the
 *   optimiser inside the scope, which frees the graph there and then.
 *
 * Tensors created before the scope (parameters, data) are never freed by it, nor are
 * views of them made inside it. A gradient replaced or cleared inside the scope
 * (`zeroGrad()`, accumulation) is freed when it ends, so a `p.grad` read earlier cannot
 * be read afterwards; so is the memory an in-place update (`assign_`, an optimiser step)
 * wrote over while recorded ops still read it (they have run by then; the parameter and
 * its views hold the new values). Reading a freed tensor throws a BackendError on device
 * backends (the JS reference backend's arrays are left to the garbage collector). A
 * result recorded lazily from such memory outside every scope (`d = p.mul(2)` on the
 * WebAssembly backend is recorded, not computed) stays right: memory such an op
 * captured is left to the garbage collector instead. One case is not covered: an op
 * recorded inside an enclosing scope that is still open, reading memory a nested scope
 * frees — compute it
 * first (`evaluate(t)` or `t.clone()`). Scopes nest; `fn` must be synchronous, and if it
 * throws, the scope's tensors are freed and the error propagates.
 *
 * ```ts
 * for (let step = 0; step < steps; step++) {
 *   const loss = tidy(() => {
 *     opt.zeroGrad();
 *     const l = crossEntropy(model.forward(x), y);
 *     l.backward();
 *     opt.step();
 *     return l.item();
 *   });
 * }
 * ```
 */
export function tidy<T>(fn: () => T): T {
  return runScope('tidy', fn, true);
}

/**
 * @internal the scope of an optimiser step: {@link tidy}, except that memory an in-place
 * update (`assign_`) wrote over is freed by the enclosing scope rather than this one, so
 * a step alone never frees memory an op the caller recorded before it may still read.
 */
export function tidyUpdates<T>(fn: () => T): T {
  return runScope('tidyUpdates', fn, false);
}

/** The declared arguments of tidy and tidyUpdates (checked by runScope before a scope opens). */
const SCOPE_ARGS: readonly ArgSpec[] = [['fn', fnSpec()]];
declare('tidy', SCOPE_ARGS, tidy);
declare('tidyUpdates', SCOPE_ARGS, tidyUpdates);

function runScope<T>(name: string, fn: () => T, holdsReplaced: boolean): T {
  validateArgs(name, SCOPE_ARGS, [fn]);
  const scope = new Scope(current, holdsReplaced);
  current = scope;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    close(scope, []);
    throw e;
  }
  if (result instanceof Promise || (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function')) {
    close(scope, []);
    throw new ValueError(`${name}: argument 'fn' returned a Promise; a memory scope must be synchronous (await outside it, or read values with dataSync()/item() inside)`);
  }
  const returned: Tensor[] = [];
  tensorsIn(result, returned);
  close(scope, returned);
  return result;
}
