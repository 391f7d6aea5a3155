// Plain `node app.mjs` (no TypeScript, no loader): every package imports as ESM and works.
import { tensor, backendInfo, listBackends } from '@tsgrad/tensor';
import { Linear, crossEntropy } from '@tsgrad/nn';
import { gradcheck } from '@tsgrad/testing';
import { gpu } from '@tsgrad/gpu';

const x = tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
x.mul(x).add(1).log().sum().backward();
const g = Array.from(x.grad.dataSync()).map((v) => v.toFixed(4)).join(', ');
if (g !== '1.0000, 0.8000, 0.6000, 0.4706') throw new Error(`unexpected gradient ${g}`);
gradcheck((a) => a.exp().sum(), [tensor([0.5, -1], { dtype: 'float64', requiresGrad: true })]);
const logits = new Linear(2, 3).forward(tensor([[1, 2]]));
const loss = crossEntropy(logits, tensor([1], { dtype: 'int32' })).item();
if (!Number.isFinite(loss)) throw new Error('loss is not finite');
if (gpu.name !== 'gpu' || !listBackends().includes('gpu')) throw new Error(`gpu backend not registered: ${listBackends()}`);
console.log(`app.mjs: backends ${listBackends().join(', ')}; default ${backendInfo().backend}; gradient [${g}]; gradcheck ok`);
