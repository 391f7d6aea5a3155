import type { Tensor } from '../tensor.js';
import { AutogradError, ShapeError, fmtShape } from '../errors.js';
import { shapesEqual } from '../shape.js';
import { swapGradMode } from './grad-mode.js';
import { VJP, type PrimitiveName, type VjpArgs } from '../ops/primitives.js';
import { add } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { filled } from '../ops/fill.js';
import { any, bool, checked, isTensor, options, shape as shapeSpec, tensor } from '../validate/index.js';
import { DTypeError } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import { anyWriteSince, modifiedSince, savedBy } from './version.js';

/**
 * Sums a gradient of a broadcast result back to the shape of the input that was
 * broadcast. The only un-broadcasting in tsgrad: ops never do it themselves.
 */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const s = dims.length ? sum(g, dims, true) : g;
  return reshape(s, shape);
}

/**
 * `unbroadcast` as exported: checks that `shape` broadcasts to the gradient's shape
 * (the engine calls the unchecked function).
 */
export const unbroadcastChecked = checked('unbroadcast', [['grad', tensor()], ['shape', shapeSpec()]], (g: Tensor, shape: readonly number[]): Tensor => {
  const out = broadcastShapes('unbroadcast', g.shape, shape);
  if (!shapesEqual(out, g.shape)) {
    throw new ShapeError(`unbroadcast: argument 'shape' ${fmtShape(shape)} expected to broadcast to the gradient's shape ${fmtShape(g.shape)}`);
  }
  return unbroadcast(g, shape);
});

/**
 * Tensors reachable from `roots` through requiresGrad edges, inputs before outputs.
 * Iterative post-order DFS (no recursion, so 100k-op chains are fine); the order is
 * deterministic: inputs are visited in argument order.
 */
function topoSort(roots: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: { t: Tensor; i: number }[] = [];
  for (const r of roots) {
    if (seen.has(r)) continue;
    seen.add(r);
    stack.push({ t: r, i: 0 });
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const inputs = top.t.gradFn?.inputs ?? [];
      if (top.i < inputs.length) {
        const next = inputs[top.i++]!;
        if (next.requiresGrad && !seen.has(next)) {
          seen.add(next);
          stack.push({ t: next, i: 0 });
        }
      } else {
        order.push(top.t);
        stack.pop();
      }
    }
  }
  return order;
}

interface RunOptions {
  /** The function the user called, for errors. */
  op: 'backward' | 'grad';
  retainGraph: boolean;
  createGraph: boolean;
  /** When set, only gradients flowing into these tensors are computed and returned. */
  capture: readonly Tensor[] | null;
}

function run(roots: readonly Tensor[], seeds: readonly Tensor[], opts: RunOptions, beforeFree?: (captured: Map<Tensor, Tensor>) => void): Map<Tensor, Tensor> {
  const order = topoSort(roots);
  for (const t of order) {
    if (t.gradFn?.freed) {
      throw new AutogradError(
        `backward: trying to backward through the graph a second time (through '${t.gradFn.op}'); its buffers were freed. Pass { retainGraph: true } to the first backward() or grad() call`,
      );
    }
  }
  // Which tensors lead to something we want a gradient for.
  const wanted = new Set<Tensor>();
  const captureSet = opts.capture ? new Set(opts.capture) : null;
  for (const t of order) {
    if (captureSet) {
      if (captureSet.has(t) || (t.gradFn?.inputs.some((i) => wanted.has(i)) ?? false)) wanted.add(t);
    } else if (t.requiresGrad) wanted.add(t);
  }

  checkVersions(opts.op, order, wanted);

  const grads = new Map<Tensor, Tensor>();
  const captured = new Map<Tensor, Tensor>();
  const prevMode = swapGradMode(opts.createGraph);
  try {
    for (let i = 0; i < roots.length; i++) accumulate(grads, roots[i]!, seeds[i]!);
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (captureSet) {
        if (captureSet.has(t)) captured.set(t, g);
      } else if (t.gradFn === null || t.retainsGrad) {
        const d = opts.createGraph ? g : g.detach();
        // Retained non-leaf grads accumulate too, as PyTorch's retain_grad hook does.
        t.grad = t.grad ? add(t.grad, d) : d;
      }
      const node = t.gradFn;
      if (!node) continue;
      const needs = needsOf(node.inputs, wanted);
      if (!needs.includes(true)) continue;
      const vjp = VJP[node.op] as (a: VjpArgs<PrimitiveName>) => (Tensor | null)[];
      const inGrads = vjp({ g, inputs: node.inputs, out: t, params: node.params, needs });
      for (let i = 0; i < node.inputs.length; i++) {
        const input = node.inputs[i]!;
        const gi = inGrads[i];
        if (!needs[i] || !gi) continue;
        let ge = unbroadcast(gi, input.shape);
        if (ge.dtype !== input.dtype) ge = ge.to(input.dtype);
        accumulate(grads, input, ge);
      }
    }
  } finally {
    swapGradMode(prevMode);
  }
  // Last checks on the result (grad's unused inputs) run before the graph is freed, so a
  // rejected call leaves the graph as it was.
  beforeFree?.(captured);
  if (!opts.retainGraph) {
    // Drop the edges (and with them the saved inputs) but keep a marker, so a second
    // backward through here fails loudly instead of silently doing nothing.
    for (const t of order) {
      if (t.gradFn) t.gradFn = { op: t.gradFn.op, inputs: [], params: t.gradFn.params, freed: true, epoch: t.gradFn.epoch };
    }
  }
  return captured;
}

/** needs[i]: whether input i wants a gradient in this pass. */
function needsOf(inputs: readonly Tensor[], wanted: ReadonlySet<Tensor>): boolean[] {
  const out: boolean[] = [];
  for (const i of inputs) out.push(i.requiresGrad && wanted.has(i));
  return out;
}

/** Adds `g` to the gradient collected for `t` so far. */
function accumulate(grads: Map<Tensor, Tensor>, t: Tensor, g: Tensor): void {
  const prev = grads.get(t);
  grads.set(t, prev ? add(prev, g) : g);
}

/**
 * Throws, before anything changes, when a value some VJP of this pass will read was
 * overwritten in place after its op was recorded (./version.ts): the gradient would
 * silently use the new values. PyTorch raises here too.
 */
function checkVersions(op: string, order: readonly Tensor[], wanted: ReadonlySet<Tensor>): void {
  for (const t of order) {
    const node = t.gradFn;
    if (!node || !anyWriteSince(node.epoch)) continue;
    const needs = needsOf(node.inputs, wanted);
    if (!needs.some(Boolean)) continue;
    const saved = savedBy(node.op, needs);
    for (const i of saved.inputs) {
      const x = node.inputs[i]!;
      if (modifiedSince(x, node.epoch)) throw modifiedInPlace(op, `input ${i} of '${node.op}'`, x);
    }
    if (saved.out && modifiedSince(t, node.epoch)) throw modifiedInPlace(op, `the output of '${node.op}'`, t);
  }
}

function modifiedInPlace(op: string, what: string, t: Tensor): AutogradError {
  return new AutogradError(
    `${op}: a tensor the gradient needs was modified in place after it was used: ${what} (${t.dtype}, shape ${fmtShape(t.shape)}) ` +
      `was overwritten (assign_, fill_, zero_ or an optimiser step, possibly through a view) after the op was recorded, and its gradient reads the old values. ` +
      `Call ${op}() before changing it, or change a clone() instead`,
  );
}

function checkSeed(op: string, root: Tensor, gradient: Tensor | undefined): Tensor {
  if (gradient === undefined) {
    if (root.numel !== 1) {
      throw new AutogradError(`${op}: grad can be implicitly created only for scalar outputs; got shape ${fmtShape(root.shape)}, pass a gradient of that shape`);
    }
    return filled(root.shape, 1, root.dtype);
  }
  if (!shapesEqual(gradient.shape, root.shape)) {
    throw new ShapeError(`${op}: argument 'gradient' expected shape ${fmtShape(root.shape)}, got ${fmtShape(gradient.shape)}`);
  }
  return gradient.dtype === root.dtype ? gradient : gradient.to(root.dtype);
}

/** `tensor.backward(gradient?)`: accumulates into `.grad` of every leaf that requires grad. */
export function backward(root: Tensor, gradient: Tensor | undefined, opts: { retainGraph?: boolean; createGraph?: boolean }): void {
  if (!root.requiresGrad) {
    throw new AutogradError('backward: tensor does not require grad and has no gradFn (did you create it under noGrad, or forget requiresGrad?)');
  }
  const seed = checkSeed('backward', root, gradient);
  const createGraph = opts.createGraph ?? false;
  run([root], [seed], { op: 'backward', retainGraph: opts.retainGraph ?? createGraph, createGraph, capture: null });
}

export interface GradOptions {
  /** Gradients of the outputs (default: ones for scalar outputs). */
  gradOutputs?: (Tensor | undefined)[] | Tensor;
  /** Keep the graph for another backward pass (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass so the result can be differentiated again. */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

/** Gradients of `outputs` with respect to `inputs`, like `torch.autograd.grad`; `.grad` is untouched. */
export const grad = checked(
  'grad',
  [
    ['outputs', any('a Tensor or an array of Tensors')],
    ['inputs', any('a Tensor or an array of Tensors')],
    ['options', options({ gradOutputs: any(), retainGraph: bool(), createGraph: bool(), allowUnused: bool() })],
  ],
  gradImpl,
);

function checkTensorList(name: string, v: unknown): readonly Tensor[] {
  const list = Array.isArray(v) ? (v as unknown[]) : [v];
  if (!Array.isArray(v) && !isTensor(v)) throw new DTypeError(`grad: argument '${name}' expected a Tensor or an array of Tensors, got ${String(v)}`);
  list.forEach((t, i) => {
    if (!isTensor(t)) throw new DTypeError(`grad: argument '${name}[${i}]' expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  });
  return list as Tensor[];
}

function gradImpl(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  checkTensorList('outputs', outputs);
  checkTensorList('inputs', inputs);
  const outs = Array.isArray(outputs) ? (outputs as readonly Tensor[]) : [outputs as Tensor];
  const ins = Array.isArray(inputs) ? (inputs as readonly Tensor[]) : [inputs as Tensor];
  const gos = opts.gradOutputs === undefined ? [] : Array.isArray(opts.gradOutputs) ? opts.gradOutputs : [opts.gradOutputs];
  gos.forEach((g, i) => {
    if (g !== undefined && g !== null && !isTensor(g)) {
      throw new DTypeError(`grad: option 'gradOutputs[${i}]' expected a Tensor or undefined, got ${typeof g}`);
    }
  });
  if (gos.length > outs.length) throw new AutogradError(`grad: option 'gradOutputs' has ${gos.length} entries for ${outs.length} outputs`);
  outs.forEach((o, i) => {
    if (!o.requiresGrad) throw new AutogradError(`grad: outputs[${i}] does not require grad`);
  });
  ins.forEach((t, i) => {
    if (!t.requiresGrad) throw new AutogradError(`grad: inputs[${i}] does not require grad`);
  });
  const seeds = outs.map((o, i) => checkSeed('grad', o, gos[i] ?? undefined));
  const createGraph = opts.createGraph ?? false;
  const rejectUnused = (captured: Map<Tensor, Tensor>) => {
    if (opts.allowUnused) return;
    ins.forEach((t, i) => {
      if (!captured.has(t)) {
        throw new AutogradError(`grad: inputs[${i}] was not used to compute the outputs; pass { allowUnused: true } to get null for it`);
      }
    });
  };
  const captured = run(outs, seeds, { op: 'grad', retainGraph: opts.retainGraph ?? createGraph, createGraph, capture: ins }, rejectUnused);
  return ins.map((t) => captured.get(t) ?? null);
}
