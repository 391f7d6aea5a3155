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
 * Each module's buffers (BatchNorm's running statistics, …), kept outside the instance so
 * that field discovery (parameters, children) never sees them. `null` marks a registered
 * buffer that is currently absent (PyTorch's `register_buffer(name, None)`).
 */
const BUFFERS = new WeakMap<Module, Map<string, Tensor | null>>();

/**
 * @internal Parameter fields that `functionalCall` has replaced for the length of one
 * call: module → field path (`weight`, `items.0`) → the Parameter the field holds
 * otherwise, so that `parameters()` and `stateDict()` keep listing the module's own.
 */
export const SUBSTITUTED_PARAMETERS = new WeakMap<Module, Map<string, Parameter>>();

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
    const substituted = SUBSTITUTED_PARAMETERS.get(this);
    for (const [key, value] of Object.entries(this)) {
      const original = substituted?.get(key);
      if (original) out.push([key, original]);
      else if (value instanceof Parameter) out.push([key, value]);
      else if (Array.isArray(value)) {
        value.forEach((v: unknown, i) => {
          const p = substituted?.get(`${key}.${i}`) ?? v;
          if (p instanceof Parameter) out.push([`${key}.${i}`, p]);
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

  /**
   * Registers a buffer: state that is not a parameter but belongs in the state dict
   * (`torch.nn.Module.register_buffer`), such as BatchNorm's `running_mean`. `name` is
   * the state-dict name (PyTorch's, so checkpoints line up); `null` registers an absent
   * buffer. Registering a name again replaces the tensor.
   */
  registerBuffer(name: string, tensor: Tensor | null): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new ValueError(`registerBuffer: argument 'name' expected a non-empty string without '.', got ${String(name)}`);
    }
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new ValueError(`registerBuffer: argument 'tensor' expected a Tensor or null, got ${String(tensor)}`);
    }
    let own = BUFFERS.get(this);
    if (!own) BUFFERS.set(this, (own = new Map()));
    own.set(name, tensor);
  }

  /** The buffer registered under `name` (null when absent or never registered). */
  getBuffer(name: string): Tensor | null {
    return BUFFERS.get(this)?.get(name) ?? null;
  }

  /** Every non-null buffer with its dotted name, module by module as `namedModules()`. */
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, m] of this.namedModules(prefix)) {
      for (const [k, b] of BUFFERS.get(m) ?? []) if (b !== null) out.push([name ? `${name}.${k}` : k, b]);
    }
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** Parameters and buffers for the state dict, module by module (own parameters, own buffers), as PyTorch orders them. */
  private namedState(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [name, m] of this.namedModules()) {
      const own: [string, Tensor][] = [...m.ownParameters(), ...[...(BUFFERS.get(m) ?? [])].filter((e): e is [string, Tensor] => e[1] !== null)];
      for (const [k, t] of own) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([name ? `${name}.${k}` : k, t]);
      }
    }
    return out;
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
   * Copies of every parameter and buffer (own storage, outside the graph), keyed by
   * dotted name (buffers under their registered, PyTorch, names: `bn.running_mean`).
   * Unlike PyTorch these are snapshots: training afterwards does not change them, so
   * `best = model.stateDict()` is safe without a deep copy.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [k, p] of this.namedState()) out[k] = copyOf(p);
    return out;
  }

  /**
   * Loads parameters and buffers by name (values are copied and cast to each one's dtype).
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
    const params = new Map(this.namedState());
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

  /**
   * The module's own settings for its printed form, like PyTorch's `extra_repr`
   * (`inFeatures=784, outFeatures=256, bias=true`); '' by default. Override it in a
   * subclass to show its options.
   */
  extraRepr(): string {
    return '';
  }

  /**
   * The module tree as PyTorch prints it: `Name(extraRepr)` for a leaf, and for a
   * container each child on its own line as `(name): child`, indented by two spaces.
   * A module reached again inside itself prints as `Name(…)`.
   */
  toString(): string {
    const render = (m: Module, path: Set<Module>): string => {
      const name = m.constructor.name;
      if (path.has(m)) return `${name}(…)`;
      path.add(m);
      const lines = m.extraRepr() ? m.extraRepr().split('\n') : [];
      for (const [k, c] of m.namedChildren()) lines.push(`(${k}): ${render(c, path)}`);
      path.delete(m);
      const children = m.namedChildren().length > 0;
      if (!children && lines.length <= 1) return `${name}(${lines[0] ?? ''})`;
      return `${name}(\n${lines.map((l) => `  ${l.replace(/\n/g, '\n  ')}`).join('\n')}\n)`;
    };
    return render(this, new Set());
  }

  /** Node's `console.log(model)` / `util.inspect` shows the same tree as `toString()`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  abstract forward(...args: Tensor[]): Tensor;
}
