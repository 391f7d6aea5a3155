/**
 * The common case: a pure function of some host inputs, written once per library.
 * This file turns such a spec into a `Workload`, doing the per-library chores
 * (tensor creation, tf.tidy + dispose, jax-js reference passing, readback) in one
 * place so the workload files read as the maths.
 */
import { evaluate, getBackend, tensor, type Tensor } from '@tsgrad/tensor';
import { tf, tfLeakGuard } from '../peers/tfjs.js';
import { jax, jaxArray, type JaxArray } from '../peers/jax.js';
import type { Impl, LibraryId, Outputs, Workload } from './types.js';

export interface HostInput {
  data: Float32Array | Int32Array;
  shape: readonly number[];
}

type OneOrMany<T> = T | readonly T[];

function list<T>(x: OneOrMany<T>): readonly T[] {
  return Array.isArray(x) ? (x as readonly T[]) : [x as T];
}

export interface OpSpec {
  id: string;
  title: string;
  group: string;
  flops?: number;
  rtol?: number;
  /** Built once per column (cached host data, so every column sees the same numbers). */
  inputs: () => readonly HostInput[];
  tsgrad?: (...xs: Tensor[]) => OneOrMany<Tensor>;
  tfjs?: (...xs: tf.Tensor[]) => OneOrMany<tf.Tensor>;
  /** Traced once by `jax.jit`; receives owned references, as jax-js functions do. */
  jax?: (...xs: JaxArray[]) => OneOrMany<JaxArray>;
  plain?: (...xs: (Float32Array | Int32Array)[]) => OneOrMany<Float32Array>;
  /** Which of `inputs` each library receives (default: all, in order). */
  inputsFor?: Partial<Record<LibraryId, readonly number[]>>;
  naReason?: Partial<Record<LibraryId, string>>;
}

export function tsgradInput(x: HostInput): Tensor {
  return tensor(x.data, { shape: x.shape });
}

export function tfInput(x: HostInput): tf.Tensor {
  return tf.tensor(x.data, [...x.shape], x.data instanceof Int32Array ? 'int32' : 'float32');
}

/**
 * Ends a tsgrad iteration. The wasm backend records elementwise ops lazily and fuses
 * them into the consuming kernel, so without a readback the results must be forced
 * with `evaluate` or the timed region would end before the work is done (a no-op on
 * the eager cpu backend). With readback, `dataSync` forces them, and we also check
 * that every result lives on the backend the column activated: an implementation that
 * built its tensors before `activate()` (or on a fixed backend) would otherwise time
 * the wrong backend under the right column name. The check runs on the correctness
 * iterations, which always read back, so it costs the timed ones nothing.
 */
export function tsgradFinish(outputs: readonly Tensor[], readback: boolean): Outputs | undefined {
  if (!readback) {
    evaluate(...outputs);
    return undefined;
  }
  const active = getBackend().name;
  for (const t of outputs) {
    if (t.device !== active) throw new Error(`tsgrad: a result lives on the '${t.device}' backend, but the column runs '${active}'`);
  }
  return outputs.map((t) => t.dataSync());
}

/**
 * tsgrad computes synchronously; on the wasm backend `tsgradFinish` forces the lazy
 * part. The outputs are then disposed, as the tfjs implementations dispose theirs:
 * a caller that releases what it no longer needs gets its memory back at once (the
 * garbage collector would release it too, but only at its next collection).
 */
export function tsgradImpl(inputs: readonly HostInput[], fn: (...xs: Tensor[]) => OneOrMany<Tensor>): Impl {
  const xs = inputs.map(tsgradInput);
  return {
    run: (readback) => {
      const out = list(fn(...xs));
      const host = tsgradFinish(out, readback);
      for (const t of out) if (!xs.some((x) => x.storage === t.storage)) t.dispose();
      return host;
    },
  };
}

/** tfjs' cpu and wasm backends are eager and synchronous too; tidy frees intermediates. */
export function tfImpl(inputs: readonly HostInput[], fn: (...xs: tf.Tensor[]) => OneOrMany<tf.Tensor>): Impl {
  const guard = tfLeakGuard();
  const xs = inputs.map(tfInput);
  return {
    run: (readback) => {
      const out = list(tf.tidy(() => fn(...xs) as tf.Tensor | tf.Tensor[]));
      const host = readback ? out.map((t) => t.dataSync()) : undefined;
      for (const t of out) t.dispose();
      return host;
    },
    dispose: () => guard(() => tf.dispose(xs)),
  };
}

/** Finishes a jax-js call: reads back (which also realises the lazy result) or waits for it. */
export function jaxFinish(out: readonly JaxArray[], readback: boolean): Outputs | Promise<undefined> {
  if (readback) return out.map((a) => a.dataSync()); // dataSync consumes the array
  return (async () => {
    await jax.blockUntilReady(out as JaxArray[]);
    for (const a of out) a.dispose();
    return undefined;
  })();
}

/**
 * tfjs value and gradient of a scalar loss of logits `x` against a constant one-hot
 * target `oneHot`, tidied per iteration: outputs [loss, ∂loss/∂x].
 */
export function tfValueAndGradImpl(
  x: HostInput,
  oneHot: HostInput,
  loss: (logits: tf.Tensor, oneHot: tf.Tensor) => tf.Scalar,
): Impl {
  const guard = tfLeakGuard();
  const xt = tfInput(x);
  const oh = tfInput(oneHot);
  const valueAndGrad = tf.valueAndGrad((logits: tf.Tensor) => loss(logits, oh));
  return {
    run: (readback) => {
      const out = tf.tidy(() => {
        const { value, grad } = valueAndGrad(xt);
        return [value, grad];
      });
      const host = readback ? out.map((o) => o.dataSync()) : undefined;
      tf.dispose(out);
      return host;
    },
    dispose: () => guard(() => tf.dispose([xt, oh])),
  };
}

/**
 * jax-js value and gradient (jitted) of a scalar loss of logits `x` against a constant
 * one-hot target `oneHot`: outputs [loss, ∂loss/∂x].
 */
export function jaxValueAndGradImpl(x: HostInput, oneHot: HostInput, loss: (x: JaxArray, oneHot: JaxArray) => JaxArray): Impl {
  const xa = jaxArray(x.data, x.shape);
  const oh = jaxArray(oneHot.data, oneHot.shape);
  const f = jax.jit(jax.valueAndGrad(loss));
  return {
    run: (readback) => jaxFinish(f(xa.ref, oh.ref), readback),
    dispose: () => {
      xa.dispose();
      oh.dispose();
      f.dispose();
    },
  };
}

/** jax-js is lazy: nothing runs until a result is read back or waited for. */
export function jaxImpl(inputs: readonly HostInput[], fn: (...xs: JaxArray[]) => OneOrMany<JaxArray>): Impl {
  const xs = inputs.map((x) => jaxArray(x.data, x.shape));
  const f = jax.jit((...args: JaxArray[]) => fn(...args) as JaxArray | JaxArray[]);
  return {
    run: (readback) => jaxFinish(list(f(...xs.map((x) => x.ref))), readback),
    dispose: () => {
      for (const x of xs) x.dispose();
      f.dispose();
    },
  };
}

/** Plain loops write straight into host arrays, so "readback" costs them nothing. */
export function plainImpl(
  inputs: readonly HostInput[],
  fn: (...xs: (Float32Array | Int32Array)[]) => OneOrMany<Float32Array>,
): Impl {
  const xs = inputs.map((x) => x.data);
  return {
    run: (readback) => {
      const out = fn(...xs);
      return readback ? list(out) : undefined;
    },
  };
}

export function opWorkload(spec: OpSpec): Workload {
  const { tsgrad: ts, tfjs: tfFn, jax: jaxFn, plain: plainFn } = spec;
  const w: Workload = {
    id: spec.id,
    title: spec.title,
    group: spec.group,
    impls: {},
  };
  if (spec.flops !== undefined) w.flops = spec.flops;
  if (spec.rtol !== undefined) w.rtol = spec.rtol;
  if (spec.naReason) w.naReason = spec.naReason;
  const inputs = (lib: LibraryId): HostInput[] => {
    const all = spec.inputs();
    const pick = spec.inputsFor?.[lib];
    return pick ? pick.map((i) => all[i]!) : [...all];
  };
  if (ts) w.impls.tsgrad = () => tsgradImpl(inputs('tsgrad'), ts);
  if (tfFn) w.impls.tfjs = () => tfImpl(inputs('tfjs'), tfFn);
  if (jaxFn) w.impls.jax = () => jaxImpl(inputs('jax'), jaxFn);
  if (plainFn) w.impls.plain = () => plainImpl(inputs('plain'), plainFn);
  return w;
}
