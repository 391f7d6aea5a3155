import { Tensor, ShapeError, ValueError, noGrad } from '@tsgrad/tensor';

/**
 * A trainable tensor: a leaf that requires grad and that `Module.parameters()` finds.
 * It shares storage with the tensor it wraps.
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    super(data.storage, data.shape, data.strides, data.offset, data.dtype);
    this.requiresGrad = requiresGrad;
  }
}

/**
 * Base class of layers and losses, like `torch.nn.Module`. Parameters and sub-modules
 * assigned to fields (or held in arrays of modules) are discovered automatically, in
 * field order, so `namedParameters()` gives PyTorch-style dotted names.
 */
export abstract class Module {
  training = true;

  /** Children by name: own fields holding a Module, and arrays of Modules as name.i. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value)) {
        value.forEach((v, i) => {
          if (v instanceof Module) out.push([`${key}.${i}`, v]);
        });
      }
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module's own parameters (not its children's). */
  protected ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [key, value] of Object.entries(this)) if (value instanceof Parameter) out.push([key, value]);
    return out;
  }

  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const visit = (m: Module, pre: string) => {
      for (const [k, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([pre + k, p]);
      }
      for (const [k, c] of m.namedChildren()) visit(c, `${pre}${k}.`);
    };
    visit(this, prefix ? `${prefix}.` : '');
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Switches training mode (Dropout, …) on this module and every descendant. */
  train(mode = true): this {
    this.training = mode;
    for (const c of this.children()) c.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Detached copies of every parameter, keyed by dotted name. */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [k, p] of this.namedParameters()) out[k] = p.detach().contiguous();
    return out;
  }

  /**
   * Loads parameters by name. Missing, unexpected and mis-shaped entries are all
   * reported in one error, thrown before any parameter changes.
   */
  loadStateDict(state: Record<string, Tensor>): void {
    const params = new Map(this.namedParameters());
    const missing = [...params.keys()].filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !params.has(k));
    const misShaped: string[] = [];
    for (const [k, p] of params) {
      const v = state[k];
      if (v && (v.shape.length !== p.shape.length || v.shape.some((d, i) => d !== p.shape[i]))) {
        misShaped.push(`${k}: expected [${p.shape.join(', ')}], got [${v.shape.join(', ')}]`);
      }
    }
    if (missing.length || unexpected.length) {
      throw new ValueError(
        `loadStateDict: argument 'state' does not match the module: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]` +
          (misShaped.length ? `, mis-shaped [${misShaped.join('; ')}]` : ''),
      );
    }
    if (misShaped.length) throw new ShapeError(`loadStateDict: argument 'state' has mis-shaped entries: ${misShaped.join('; ')}`);
    noGrad(() => {
      for (const [k, p] of params) p.assign_(state[k]!.detach().to(p.dtype));
    });
  }

  abstract forward(...args: Tensor[]): Tensor;
}
