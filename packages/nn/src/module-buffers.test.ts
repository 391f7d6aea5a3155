import { describe, expect, it } from 'vitest';
import { ShapeError, Tensor, ValueError, tensor, zeros } from '@tsgrad/tensor';
import { CrossEntropyLoss, DualFocalLoss, Linear, Module, Parameter, ReLU, Sequential } from './index.js';

/** A user module with a buffer, a parameter, a child and an array of children. */
class Counter extends Module {
  readonly scale = new Parameter(tensor([1, 1]));
  readonly fc = new Linear(2, 2);
  readonly blocks = [new ReLU(), new Linear(2, 1)];
  constructor() {
    super();
    this.registerBuffer('seen', tensor(0, { dtype: 'int32' }));
    this.registerBuffer('absent', null);
  }
  forward(x: Tensor): Tensor {
    return x.mul(this.scale);
  }
  override extraRepr(): string {
    return 'dims=2';
  }
}

describe('buffers (registerBuffer)', () => {
  it('are in the state dict after the module’s own parameters, not in parameters(); null buffers are left out', () => {
    const m = new Counter();
    expect(m.parameters().length).toBe(5);
    expect(m.namedBuffers()).toEqual([['seen', m.getBuffer('seen')]]);
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'seen', 'fc.weight', 'fc.bias', 'blocks.1.weight', 'blocks.1.bias']);
    expect(new Sequential(m).namedBuffers().map(([k]) => k)).toEqual(['0.seen']);
    expect(m.getBuffer('absent')).toBeNull();
    expect(m.getBuffer('never')).toBeNull();
  });

  it('load by name into the same tensor object, cast to its dtype, shapes checked first', () => {
    const m = new Counter();
    const seen = m.getBuffer('seen')!;
    const state = m.stateDict();
    state['seen'] = tensor(7, { dtype: 'float32' });
    m.loadStateDict(state);
    expect(m.getBuffer('seen')).toBe(seen);
    expect(seen.dtype).toBe('int32');
    expect(seen.item()).toBe(7);
    state['seen'] = zeros([2]);
    expect(() => m.loadStateDict(state)).toThrow(ShapeError);
    expect(seen.item()).toBe(7);
  });

  it('rejects bad names and values', () => {
    const m = new Counter();
    expect(() => m.registerBuffer('a.b', zeros([1]))).toThrow(/registerBuffer: argument 'name'/);
    expect(() => m.registerBuffer('x', 3 as never)).toThrow(ValueError);
  });
});

describe('toString / extraRepr of user modules and losses', () => {
  it('prints fields and array elements by name, own extraRepr first', () => {
    expect(String(new Counter())).toBe(
      [
        'Counter(',
        '  dims=2',
        '  (fc): Linear(inFeatures=2, outFeatures=2, bias=true)',
        '  (blocks.0): ReLU()',
        '  (blocks.1): Linear(inFeatures=2, outFeatures=1, bias=true)',
        ')',
      ].join('\n'),
    );
  });

  it('a module inside itself prints once, then as Name(…)', () => {
    class Loop extends Module {
      child: Module | null = null;
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const a = new Loop();
    a.child = a;
    expect(String(a)).toBe('Loop(\n  (child): Loop(…)\n)');
  });

  it('loss modules show their options', () => {
    expect(String(new CrossEntropyLoss({ weight: tensor([1, 2, 3]) }))).toBe("CrossEntropyLoss(weight=Tensor[3], ignoreIndex=-100, reduction='mean', labelSmoothing=0)");
    expect(String(new DualFocalLoss({ gamma: 2 }))).toBe("DualFocalLoss(alpha=1, beta=1, rho=1, gamma=2, reduction='mean')");
  });
});
