import { DTypeError, ShapeError, Tensor, ValueError, describeValue } from '@tsgrad/tensor';
import { Module, Parameter, SUBSTITUTED_PARAMETERS } from './module.js';

/*
 * functionalCall runs a module with some of its tensors replaced for the length of one
 * call. Modules read their parameters from fields (`this.weight`) and their buffers with
 * `getBuffer`, so the replacement is a temporary swap of those slots, undone in a
 * `finally`. Swaps nest (each call restores what it found, last in first out), so a
 * forward that calls functionalCall again on the same module, or throws half-way, leaves
 * the module exactly as it was. While a parameter field holds a replacement, the module
 * still lists the original Parameter (`parameters()`, `stateDict()` and the names a
 * nested call resolves), through SUBSTITUTED_PARAMETERS in module.ts.
 */

const isFloat = (t: Tensor): boolean => t.dtype === 'float32' || t.dtype === 'float64';
const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** One place a tensor of the module lives: a field, an element of an array field, or a buffer. */
type Slot =
  | { kind: 'field'; module: Module; key: string }
  | { kind: 'element'; module: Module; key: string; array: unknown[]; index: number }
  | { kind: 'buffer'; module: Module; name: string };

interface Entry {
  /** The module's own tensor (the original Parameter for a parameter). */
  tensor: Tensor;
  /** Every slot that holds it (more than one when weights are tied). */
  slots: Slot[];
}

/** A module's own parameter slots, seeing through replacements that are in progress. */
function parameterSlots(m: Module): [Slot, Parameter][] {
  const substituted = SUBSTITUTED_PARAMETERS.get(m);
  const out: [Slot, Parameter][] = [];
  for (const [key, value] of Object.entries(m)) {
    const original = substituted?.get(key);
    if (original) out.push([{ kind: 'field', module: m, key }, original]);
    else if (value instanceof Parameter) out.push([{ kind: 'field', module: m, key }, value]);
    else if (Array.isArray(value)) {
      value.forEach((v: unknown, index) => {
        const o = substituted?.get(`${key}.${index}`);
        const p = o ?? (v instanceof Parameter ? v : null);
        if (p) out.push([{ kind: 'element', module: m, key, array: value, index }, p]);
      });
    }
  }
  return out;
}

/** A module's own (non-null) buffers: `namedBuffers()` of the module without its children's. */
function bufferSlots(m: Module): [Slot, Tensor][] {
  const named = typeof m.namedBuffers === 'function' ? m.namedBuffers() : [];
  return named.filter(([n]) => !n.includes('.')).map(([name, b]) => [{ kind: 'buffer', module: m, name }, b]);
}

/**
 * The module's state by `stateDict()` name, each with every slot holding it. Names follow
 * `stateDict()`: module by module, own parameters then own buffers, a tensor reachable
 * twice under its first name.
 */
function stateSlots(root: Module): Map<string, Entry> {
  const byName = new Map<string, Entry>();
  const byTensor = new Map<Tensor, Entry>();
  for (const [prefix, m] of root.namedModules()) {
    for (const [slot, t] of [...parameterSlots(m), ...bufferSlots(m)]) {
      const seen = byTensor.get(t);
      if (seen) {
        seen.slots.push(slot);
        continue;
      }
      const local = slot.kind === 'buffer' ? slot.name : slot.kind === 'field' ? slot.key : `${slot.key}.${slot.index}`;
      const entry: Entry = { tensor: t, slots: [slot] };
      byTensor.set(t, entry);
      byName.set(prefix ? `${prefix}.${local}` : local, entry);
    }
  }
  return byName;
}

function slotName(s: Slot): string {
  return s.kind === 'buffer' ? `buffer '${s.name}'` : s.kind === 'field' ? `field '${s.key}'` : `field '${s.key}[${s.index}]'`;
}

function checkWritable(fn: string, s: Slot): void {
  if (s.kind === 'buffer') return;
  let ok: boolean;
  if (s.kind === 'field') {
    const d = Object.getOwnPropertyDescriptor(s.module, s.key);
    ok = d !== undefined && ('value' in d ? d.writable === true : d.set !== undefined) && !Object.isFrozen(s.module);
  } else {
    ok = !Object.isFrozen(s.array);
  }
  if (!ok) throw new ValueError(`${fn}: cannot substitute ${slotName(s)} of ${s.module.constructor.name}: it is read-only (frozen or a non-writable property)`);
}

/** Reads what a slot holds now (a replacement from an enclosing call, or the original). */
function read(s: Slot): Tensor | null {
  if (s.kind === 'buffer') return s.module.getBuffer(s.name);
  if (s.kind === 'field') return (s.module as unknown as Record<string, Tensor>)[s.key] ?? null;
  return (s.array[s.index] as Tensor | undefined) ?? null;
}

function write(s: Slot, t: Tensor | null): void {
  if (s.kind === 'buffer') s.module.registerBuffer(s.name, t);
  else if (s.kind === 'field') (s.module as unknown as Record<string, Tensor | null>)[s.key] = t;
  else s.array[s.index] = t;
}

function substitutedMap(m: Module): Map<string, Parameter> {
  let map = SUBSTITUTED_PARAMETERS.get(m);
  if (!map) SUBSTITUTED_PARAMETERS.set(m, (map = new Map()));
  return map;
}

function fieldPath(s: Slot): string {
  return s.kind === 'element' ? `${s.key}.${s.index}` : s.kind === 'field' ? s.key : s.name;
}

/**
 * Runs `body` with the module's tensors named in `params` (by `stateDict()` name)
 * replaced, restoring every slot afterwards even if `body` throws. Everything is checked
 * before any slot changes; errors name `fn` and its argument `arg`.
 * @internal Shared by functionalCall and the hyper-parameter tuner.
 */
export function withSubstitutes<T>(fn: string, arg: string, module: Module, params: Readonly<Record<string, Tensor>>, body: () => T): T {
  if (!(module instanceof Module)) throw new ValueError(`${fn}: argument 'module' expected a Module, got ${String(module)}`);
  // A plain object only: a Map (or any class instance) has no own enumerable names, so it
  // would silently replace nothing.
  const proto = params === null || typeof params !== 'object' ? undefined : (Object.getPrototypeOf(params) as unknown);
  if (proto !== Object.prototype && proto !== null) {
    throw new ValueError(`${fn}: argument '${arg}' expected a plain object of Tensors keyed by stateDict() name, got ${describeValue(params)}`);
  }
  const state = stateSlots(module);
  const keys = Object.keys(params);
  const unknown = keys.filter((k) => !state.has(k));
  if (unknown.length) {
    throw new ValueError(
      `${fn}: argument '${arg}' has names that are not in the module's stateDict(): [${unknown.join(', ')}]; expected some of [${[...state.keys()].join(', ')}]`,
    );
  }
  const swaps: { entry: Entry; value: Tensor }[] = [];
  for (const k of keys) {
    const value = params[k];
    const entry = state.get(k)!;
    if (!(value instanceof Tensor)) throw new ValueError(`${fn}: argument '${arg}' entry '${k}' expected a Tensor, got ${String(value)}`);
    if (value.shape.length !== entry.tensor.shape.length || value.shape.some((d, i) => d !== entry.tensor.shape[i])) {
      throw new ShapeError(`${fn}: argument '${arg}' entry '${k}' expected shape ${fmt(entry.tensor.shape)}, got ${fmt(value.shape)}`);
    }
    if (isFloat(entry.tensor) ? !isFloat(value) : value.dtype !== entry.tensor.dtype) {
      const want = isFloat(entry.tensor) ? 'a float32 or float64 tensor' : `dtype ${entry.tensor.dtype}`;
      throw new DTypeError(`${fn}: argument '${arg}' entry '${k}' expected ${want}, got dtype ${value.dtype}`);
    }
    for (const s of entry.slots) checkWritable(fn, s);
    swaps.push({ entry, value });
  }

  // Swap, recording what each slot held, so that restoring in reverse order undoes
  // exactly this call (an enclosing call's replacements included).
  const undo: { slot: Slot; previous: Tensor | null; original: Tensor }[] = [];
  try {
    for (const { entry, value } of swaps) {
      for (const slot of entry.slots) {
        undo.push({ slot, previous: read(slot), original: entry.tensor });
        if (slot.kind !== 'buffer' && entry.tensor instanceof Parameter) substitutedMap(slot.module).set(fieldPath(slot), entry.tensor);
        write(slot, value);
      }
    }
    return body();
  } finally {
    for (let i = undo.length - 1; i >= 0; i--) {
      const { slot, previous, original } = undo[i]!;
      write(slot, previous);
      if (slot.kind !== 'buffer' && previous === original) {
        const map = SUBSTITUTED_PARAMETERS.get(slot.module);
        map?.delete(fieldPath(slot));
        if (map && map.size === 0) SUBSTITUTED_PARAMETERS.delete(slot.module);
      }
    }
  }
}

/**
 * Runs `module.forward(...inputs)` with some or all of its parameters (and buffers)
 * replaced by the given tensors, like `torch.func.functional_call`. `params` is keyed
 * by `stateDict()` name (`'0.weight'`, `'fc.bias'`, `'bn.running_mean'`); entries left
 * out keep the module's own tensors. Gradients flow to the given tensors (they can be
 * graph tensors, such as a look-ahead `w − η·∇w`), never to the parameters they
 * replace.
 *
 * The module is not modified: its Parameter objects, their values and `.grad`, and its
 * `training` flag are as before the call, also when `forward` throws. A tied parameter
 * (one Parameter under two fields) is replaced everywhere it is used. During the call,
 * `parameters()` and `stateDict()` still list the module's own Parameters, and a nested
 * `functionalCall` on the same module sees the same names. Buffers that `forward`
 * updates in place (BatchNorm's running statistics in training mode) are updated in the
 * tensors you pass, as in PyTorch.
 *
 * Modules must read their parameters from their fields at `forward` time (every
 * tsgrad module does); a module that cached a tensor computed from a parameter at
 * construction would keep using the cache.
 *
 * @throws ValueError for a name that is not in `module.stateDict()` (all such names are
 *   listed) or an entry that is not a Tensor; ShapeError for an entry whose shape is not
 *   the parameter's; DTypeError for a non-float replacement of a float parameter — all
 *   before anything changes.
 *
 * @example
 * const w = model.stateDict();                     // or tensors computed from them
 * const out = functionalCall(model, { '0.weight': w['0.weight']!.mul(0.5) }, x);
 */
export function functionalCall<M extends Module>(
  module: M,
  params: Readonly<Record<string, Tensor>>,
  ...inputs: Parameters<M['forward']>
): ReturnType<M['forward']> {
  return withSubstitutes('functionalCall', 'params', module, params, () => module.forward(...inputs) as ReturnType<M['forward']>);
}
