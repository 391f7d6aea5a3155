import { Tensor, ValueError } from '@tsgrad/tensor';
import { Module } from '../module.js';

/**
 * Runs its modules in order, each one's output the next one's input, like
 * `torch.nn.Sequential`. Children are named '0', '1', …, so parameters are
 * '0.weight', '2.bias', … and state dicts match PyTorch's layout.
 */
export class Sequential extends Module {
  private readonly layers: Module[];

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new ValueError(`Sequential: argument ${i} expected a Module, got ${String(m)}`);
    });
    this.layers = [...modules];
  }

  override namedChildren(): [string, Module][] {
    return this.layers.map((m, i) => [String(i), m]);
  }

  get length(): number {
    return this.layers.length;
  }

  /** The i-th module (negative i counts from the end). */
  at(i: number): Module {
    const m = this.layers.at(i);
    if (!m) throw new ValueError(`Sequential.at: index ${i} out of range for ${this.layers.length} modules`);
    return m;
  }

  /** Adds a module at the end (named by its position). */
  append(module: Module): this {
    if (!(module instanceof Module)) throw new ValueError(`Sequential.append: argument 'module' expected a Module, got ${String(module)}`);
    this.layers.push(module);
    return this;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }

  forward(input: Tensor): Tensor {
    let x = input;
    for (const m of this.layers) x = m.forward(x);
    return x;
  }
}
