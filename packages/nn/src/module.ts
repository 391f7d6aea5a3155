import { Tensor, ShapeError, ValueError, noGrad } from '@tsgrad/tensor';

/**
 * A trainable tensor: a leaf that requires grad and that `Module.parameters()` finds.
 * It shares storage with the tensor it wraps (until an optimiser or `loadStateDict`
 * swaps in new data with `assign_`).
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    super(data.storage, data.shape, data.strides, data.offset, data.dtype);
    this.requiresGrad = requiresGrad;
  }
}

/** What `loadStateDict(state, { strict: false })` skipped. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** A copy with its own storage: state dicts must not alias live parameters. */
function copyOf(t: Tensor): Tensor {
  return noGrad(() => t.detach().mul(1));
}

/**
 * Base class of layers and losses, like `torch.nn.Module`. Parameters and sub-modules
 * assigned to fields (or held in arrays) are discovered automatically, in field
 * order, so `namedParameters()` gives PyTorch-style dotted names (`fc1.weight`,
 * `layers.0.bias`). A field holding an array of Modules (or of Parameters) names its
 * elements `field.i`.
 */
export abstract class Module {
  /** True in training mode (the default); `eval()` switches it off for Dropout & co. */
  training = true;

  /** Direct children by name, in field order. Containers (Sequential) override this. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value)) {
        value.forEach((v: unknown, i) => {
          if (v instanceof Module) out.push([`${key}.${i}`, v]);
        });
      }
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * This module and every descendant, depth first, each once (a module shared by two
   * parents is listed under its first name), like `named_modules()`. The root is ''.
   */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [k, c] of m.namedChildren()) visit(c, name ? `${name}.${k}` : k);
    };
    visit(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** This module's own parameters (not its children's), in field order. */
  protected ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Parameter) out.push([key, value]);
      else if (Array.isArray(value)) {
        value.forEach((v: unknown, i) => {
          if (v instanceof Parameter) out.push([`${key}.${i}`, v]);
        });
      }
    }
    return out;
  }

  /**
   * Every parameter with its dotted name, own parameters first, then each child's in
   * field order. A parameter reachable twice (weight tying) is listed once, under its
   * first name, so an optimiser never updates it twice.
   */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [name, m] of this.namedModules(prefix)) {
      for (const [k, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([name ? `${name}.${k}` : k, p]);
      }
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Switches training mode (Dropout, …) on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** `train(false)`: Dropout becomes the identity. */
  eval(): this {
    return this.train(false);
  }

  /** Sets `.grad = null` on every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Copies of every parameter (own storage, outside the graph), keyed by dotted name.
   * Unlike PyTorch these are snapshots: training afterwards does not change them, so
   * `best = model.stateDict()` is safe without a deep copy.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [k, p] of this.namedParameters()) out[k] = copyOf(p);
    return out;
  }

  /**
   * Loads parameters by name (values are copied and cast to each parameter's dtype).
   * Every problem is checked before any parameter changes: missing and unexpected
   * names throw a `ValueError` listing them all (and any mis-shaped entries too); a
   * state whose names all match but with mis-shaped entries throws a `ShapeError`
   * naming each one with both shapes. With `{ strict: false }` missing and unexpected
   * names are skipped and returned instead; shapes are still checked.
   */
  loadStateDict(state: Record<string, Tensor>, opts: { strict?: boolean } = {}): LoadStateDictResult {
    const strict = opts.strict ?? true;
    if (state === null || typeof state !== 'object') {
      throw new ValueError(`loadStateDict: argument 'state' expected an object of Tensors keyed by parameter name, got ${String(state)}`);
    }
    const params = new Map(this.namedParameters());
    const missingKeys = [...params.keys()].filter((k) => !hasOwn(state, k));
    const unexpectedKeys = Object.keys(state).filter((k) => !params.has(k));
    const notTensors = Object.keys(state).filter((k) => params.has(k) && !(state[k] instanceof Tensor));
    if (notTensors.length) {
      throw new ValueError(`loadStateDict: argument 'state' has entries that are not Tensors: [${notTensors.join(', ')}]`);
    }
    const misShaped: string[] = [];
    for (const [k, p] of params) {
      if (!hasOwn(state, k)) continue;
      const v = state[k]!;
      if (v.shape.length !== p.shape.length || v.shape.some((d, i) => d !== p.shape[i])) {
        misShaped.push(`${k}: expected [${p.shape.join(', ')}], got [${v.shape.join(', ')}]`);
      }
    }
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      throw new ValueError(
        `loadStateDict: argument 'state' does not match the module: missing [${missingKeys.join(', ')}], unexpected [${unexpectedKeys.join(', ')}]` +
          (misShaped.length ? `, mis-shaped [${misShaped.join('; ')}]` : ''),
      );
    }
    if (misShaped.length) throw new ShapeError(`loadStateDict: argument 'state' has mis-shaped entries: ${misShaped.join('; ')}`);
    noGrad(() => {
      for (const [k, p] of params) if (hasOwn(state, k)) p.assign_(copyOf(state[k]!).to(p.dtype));
    });
    return { missingKeys: strict ? [] : missingKeys, unexpectedKeys: strict ? [] : unexpectedKeys };
  }

  abstract forward(...args: Tensor[]): Tensor;
}
