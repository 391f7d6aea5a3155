import { describe, expect, it } from 'vitest';
import { ValueError, manualSeed, randn } from '@tsgrad/tensor';
import { gradcheck } from '@tsgrad/testing';
import {
  AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, MaxPool2d, Sequential, adaptiveAvgPool2d, avgPool2d, conv1d, conv2d, maxPool2d,
} from '../index.js';
import { data64, expectGradsMatch } from './test-helpers.js';

/** Every value within ±bound, and the extremes near both ends (a uniform draw of enough samples). */
function expectUniformBound(v: Float64Array, bound: number): void {
  expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
  expect(Math.max(...v)).toBeGreaterThan(0.9 * bound);
  expect(Math.min(...v)).toBeLessThan(-0.9 * bound);
}

describe('Conv2d', () => {
  it('stores weight [out, in/groups, kH, kW] and bias [out] under PyTorch\'s state-dict names', () => {
    const conv = new Conv2d(4, 6, [3, 2], { groups: 2 });
    expect(conv.weight.shape).toEqual([6, 2, 3, 2]);
    expect(conv.bias!.shape).toEqual([6]);
    expect(Object.keys(conv.stateDict())).toEqual(['weight', 'bias']);
    expect(new Conv2d(1, 2, 3, { bias: false }).namedParameters().map(([k]) => k)).toEqual(['weight']);
    expect(new Conv2d(1, 2, 3, { dtype: 'float64' }).weight.dtype).toBe('float64');
  });

  it('initialises like PyTorch: weight and bias ~ U(−1/√fanIn, 1/√fanIn), fanIn = in/groups·kH·kW', () => {
    manualSeed(2);
    const conv = new Conv2d(8, 400, [3, 3], { groups: 2 });
    const bound = 1 / Math.sqrt((8 / 2) * 9);
    expectUniformBound(data64(conv.weight), bound);
    expectUniformBound(data64(conv.bias!), bound);
    manualSeed(2);
    expect(new Conv2d(8, 400, [3, 3], { groups: 2 }).weight.toArray()).toEqual(conv.weight.toArray());
  });

  it('forward is conv2d with its options; gradients reach input, weight and bias', () => {
    manualSeed(5);
    const conv = new Conv2d(2, 3, [2, 3], { stride: [2, 1], padding: 1, dilation: [1, 2], dtype: 'float64' });
    const x = randn([2, 2, 5, 6], { dtype: 'float64', requiresGrad: true });
    const y = conv.forward(x);
    expect(y.toArray()).toEqual(conv2d(x, conv.weight, conv.bias, { stride: [2, 1], padding: 1, dilation: [1, 2] }).toArray());
    expect(gradcheck((t) => conv.forward(t!), [x])).toBe(true);
    expectGradsMatch(() => conv.forward(x).tanh().sum(), [conv.weight, conv.bias!]);
    const same = new Conv2d(2, 2, 4, { padding: 'same', dtype: 'float64' });
    expect(same.forward(x).shape).toEqual([2, 2, 5, 6]);
  });

  it('rejects bad channel counts and options at construction', () => {
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/inChannels.*divisible by groups/);
    expect(() => new Conv2d(4, 3, 3, { groups: 2 })).toThrow(/outChannels.*divisible by groups/);
    expect(() => new Conv2d(0, 3, 3)).toThrow(ValueError);
    expect(() => new Conv2d(2, 3, [3, 0])).toThrow(/kernelSize/);
    expect(() => new Conv2d(2, 3, 3, { padding: 'same', stride: 2 })).toThrow(/strided/);
    expect(() => new Conv2d(2, 3, 3, { bias: 'yes' as unknown as boolean })).toThrow(/Conv2d: argument 'bias' expected a boolean/);
    expect(() => new Conv2d(2, 3, 3, { strides: 2 } as object)).toThrow(/unknown option 'strides'/);
    expect(() => new MaxPool2d(2, { ceilMode: 1 as unknown as boolean })).toThrow(/MaxPool2d: option 'ceilMode' expected a boolean/);
    expect(() => new MaxPool2d(0)).toThrow(/MaxPool2d: argument 'kernelSize'/);
    expect(() => new AvgPool2d(2, { divisor: 3 } as object)).toThrow(/unknown option 'divisor'/);
    expect(() => new AdaptiveAvgPool2d([2, 0])).toThrow(/AdaptiveAvgPool2d: argument 'outputSize'/);
  });

  it('prints its options like torch.nn.Conv2d', () => {
    expect(String(new Conv2d(3, 16, 3))).toBe('Conv2d(3, 16, kernelSize=[3, 3], stride=[1, 1])');
    expect(String(new Conv2d(4, 8, [3, 1], { stride: 2, padding: [1, 0], dilation: 2, groups: 2, bias: false }))).toBe(
      'Conv2d(4, 8, kernelSize=[3, 1], stride=[2, 2], padding=[1, 0], dilation=[2, 2], groups=2, bias=false)',
    );
  });
});

describe('Conv1d', () => {
  it('weight [out, in/groups, k], PyTorch init, forward = conv1d', () => {
    manualSeed(3);
    const conv = new Conv1d(6, 300, 5, { groups: 3, stride: 2, padding: 2 });
    expect(conv.weight.shape).toEqual([300, 2, 5]);
    const bound = 1 / Math.sqrt(2 * 5);
    expectUniformBound(data64(conv.weight), bound);
    expectUniformBound(data64(conv.bias!), bound);
    const x = randn([2, 6, 9]);
    expect(conv.forward(x).toArray()).toEqual(conv1d(x, conv.weight, conv.bias, { stride: 2, padding: 2, groups: 3 }).toArray());
    expect(String(new Conv1d(2, 4, 3, { padding: 'same' }))).toBe("Conv1d(2, 4, kernelSize=[3], stride=[1], padding='same')");
  });
});

describe('pooling modules', () => {
  it('forward is the functional form with the same options; print like torch.nn', () => {
    const x = randn([2, 3, 7, 6]);
    const mp = new MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true });
    expect(mp.forward(x).toArray()).toEqual(maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }).toArray());
    expect(String(mp)).toBe('MaxPool2d(kernelSize=3, stride=2, padding=1, dilation=1, ceilMode=true)');
    const ap = new AvgPool2d([2, 3], { countIncludePad: false, padding: [1, 1] });
    expect(ap.forward(x).toArray()).toEqual(avgPool2d(x, [2, 3], { countIncludePad: false, padding: [1, 1] }).toArray());
    expect(String(ap)).toBe('AvgPool2d(kernelSize=[2, 3], stride=[2, 3], padding=[1, 1])');
    const aap = new AdaptiveAvgPool2d([3, null]);
    expect(aap.forward(x).shape).toEqual([2, 3, 3, 6]);
    expect(aap.forward(x).toArray()).toEqual(adaptiveAvgPool2d(x, [3, null]).toArray());
    expect(String(aap)).toBe('AdaptiveAvgPool2d(outputSize=[3, null])');
    expect(mp.parameters()).toEqual([]);
  });

  it('a small CNN trains end to end: conv → relu → pool → conv → global pool', () => {
    manualSeed(11);
    const net = new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new MaxPool2d(2), new Conv2d(4, 2, 3), new AdaptiveAvgPool2d(1));
    const x = randn([3, 1, 8, 8]);
    const y = net.forward(x);
    expect(y.shape).toEqual([3, 2, 1, 1]);
    y.square().sum().backward();
    for (const p of net.parameters()) {
      expect(p.grad!.shape).toEqual(p.shape);
      expect(data64(p.grad!).some((v) => v !== 0)).toBe(true);
    }
  });
});
