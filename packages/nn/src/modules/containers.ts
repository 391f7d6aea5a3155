import { Tensor, ValueError } from '@tsgrad/tensor';
import { Module } from '../module.js';

function checkModule(where: string, arg: string, m: unknown): Module {
  if (!(m instanceof Module)) throw new ValueError(`${where}: argument '${arg}' expected a Module, got ${m === null ? 'null' : typeof m}`);
  return m;
}

/**
 * Holds sub-modules in a list, like `torch.nn.ModuleList`: they are registered (their
 * parameters appear in `parameters()` and the state dict as `0.weight`, `1.bias`, …)
 * but, unlike `Sequential`, there is no `forward`; iterate and call them yourself.
 */
export class ModuleList extends Module implements Iterable<Module> {
  private readonly items: Module[] = [];

  constructor(modules: Iterable<Module> = []) {
    super();
    if (modules === null || typeof (modules as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new ValueError(`ModuleList: argument 'modules' expected an iterable of Modules, got ${String(modules)}`);
    }
    const list = [...modules];
    list.forEach((m, i) => checkModule('ModuleList', `modules[${i}]`, m));
    this.items.push(...list);
  }

  override namedChildren(): [string, Module][] {
    return this.items.map((m, i) => [String(i), m]);
  }

  get length(): number {
    return this.items.length;
  }

  /** The i-th module (negative i counts from the end). */
  at(i: number): Module {
    const m = Number.isInteger(i) ? this.items.at(i) : undefined;
    if (!m) throw new ValueError(`ModuleList.at: argument 'index' expected an integer in [${-this.items.length}, ${this.items.length}), got ${String(i)}`);
    return m;
  }

  /** Replaces the i-th module (negative i counts from the end). */
  set(i: number, module: Module): this {
    this.at(i);
    checkModule('ModuleList.set', 'module', module);
    this.items[i < 0 ? this.items.length + i : i] = module;
    return this;
  }

  /** Adds a module at the end. */
  append(module: Module): this {
    this.items.push(checkModule('ModuleList.append', 'module', module));
    return this;
  }

  /** Adds every module of `modules` at the end. */
  extend(modules: Iterable<Module>): this {
    const list = [...modules];
    list.forEach((m, i) => checkModule('ModuleList.extend', `modules[${i}]`, m));
    this.items.push(...list);
    return this;
  }

  /** Inserts a module before position `index` (PyTorch's `insert`; negative counts from the end). */
  insert(index: number, module: Module): this {
    const n = this.items.length;
    if (!Number.isInteger(index) || index < -n || index > n) {
      throw new ValueError(`ModuleList.insert: argument 'index' expected an integer in [${-n}, ${n}], got ${String(index)}`);
    }
    checkModule('ModuleList.insert', 'module', module);
    this.items.splice(index < 0 ? n + index : index, 0, module);
    return this;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.items[Symbol.iterator]();
  }

  /** A ModuleList has no forward of its own (PyTorch raises NotImplementedError). */
  forward(..._args: Tensor[]): Tensor {
    throw new ValueError('ModuleList: forward is not defined for a container; call its modules (for (const m of list) x = m.forward(x))');
  }
}

/**
 * Holds sub-modules by name, in insertion order, like `torch.nn.ModuleDict`; their
 * parameters appear in `parameters()` and the state dict as `key.weight`. No `forward`.
 * Keys are non-empty strings without '.'.
 */
export class ModuleDict extends Module {
  private readonly entriesMap = new Map<string, Module>();

  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    if (modules === null || typeof modules !== 'object') {
      throw new ValueError(`ModuleDict: argument 'modules' expected an object or [key, Module] pairs, got ${String(modules)}`);
    }
    const pairs: [string, Module][] =
      typeof (modules as Iterable<unknown>)[Symbol.iterator] === 'function'
        ? [...(modules as Iterable<[string, Module]>)]
        : Object.entries(modules as Record<string, Module>);
    pairs.forEach((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new ValueError(`ModuleDict: argument 'modules' entry ${i} expected a [key, Module] pair`);
      this.checkEntry('ModuleDict', pair[0], pair[1]);
    });
    for (const [k, m] of pairs) this.entriesMap.set(k, m);
  }

  private checkEntry(where: string, key: unknown, module: unknown): void {
    if (typeof key !== 'string' || key === '' || key.includes('.')) {
      throw new ValueError(`${where}: argument 'key' expected a non-empty string without '.', got ${typeof key === 'string' ? `'${key}'` : String(key)}`);
    }
    checkModule(where, `modules['${key}']`, module);
  }

  override namedChildren(): [string, Module][] {
    return [...this.entriesMap];
  }

  get size(): number {
    return this.entriesMap.size;
  }

  /** The module under `key`; an unknown key is a ValueError. */
  get(key: string): Module {
    const m = this.entriesMap.get(key);
    if (!m) throw new ValueError(`ModuleDict.get: argument 'key' '${String(key)}' not found (keys: ${[...this.entriesMap.keys()].join(', ')})`);
    return m;
  }

  /** Adds or replaces the module under `key` (a new key goes last). */
  set(key: string, module: Module): this {
    this.checkEntry('ModuleDict.set', key, module);
    this.entriesMap.set(key, module);
    return this;
  }

  has(key: string): boolean {
    return this.entriesMap.has(key);
  }

  /** Removes and returns the module under `key` (PyTorch's `pop`). */
  pop(key: string): Module {
    const m = this.get(key);
    this.entriesMap.delete(key);
    return m;
  }

  /** Adds or replaces every entry of `modules` (PyTorch's `update`). */
  update(modules: Record<string, Module> | Iterable<[string, Module]>): this {
    const other = new ModuleDict(modules);
    for (const [k, m] of other.entriesMap) this.entriesMap.set(k, m);
    return this;
  }

  keys(): string[] {
    return [...this.entriesMap.keys()];
  }

  values(): Module[] {
    return [...this.entriesMap.values()];
  }

  entries(): [string, Module][] {
    return [...this.entriesMap];
  }

  /** A ModuleDict has no forward of its own (PyTorch raises NotImplementedError). */
  forward(..._args: Tensor[]): Tensor {
    throw new ValueError("ModuleDict: forward is not defined for a container; call its modules (dict.get('name').forward(x))");
  }
}
