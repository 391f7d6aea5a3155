import { tensor, zeros, randn, manualSeed } from '@tsgrad/tensor';
import { crossEntropy, nllLoss, dualFocalLoss, softmaxFocalLoss, binaryCrossEntropyWithLogits } from '@tsgrad/nn';
const x = zeros([0, 3], { requiresGrad: true });
const t = tensor([], { dtype: 'int32' }).reshape([0]);
for (const f of [crossEntropy, nllLoss, dualFocalLoss, softmaxFocalLoss] as const) {
  try {
    const l = f(x, t); const n = f(x, t, { reduction: 'none' }); const s = f(x, t, { reduction: 'sum' });
    console.log(f.name, l.item(), n.shape, s.item());
    l.backward();
  } catch (e) { console.log(f.name, 'ERR', (e as Error).message); }
}
console.log(crossEntropy(x, t, { weight: tensor([1, 2, 3]) }).item());
manualSeed(1);
const base = randn([2, 4, 3], { dtype: 'float64' });
const perm = base.permute([0, 2, 1]); // [2,3,4] non-contiguous: classes=3
const tt = tensor([0, 1, 2, 1, 0, 2, 2, 1], { dtype: 'int32', shape: [2, 4] });
console.log(crossEntropy(perm, tt, { labelSmoothing: 0.1 }).item(), crossEntropy(perm.contiguous(), tt, { labelSmoothing: 0.1 }).item());
console.log(dualFocalLoss(perm, tt).item(), dualFocalLoss(perm.contiguous(), tt).item());
console.log(binaryCrossEntropyWithLogits(perm, perm.sigmoid(), { posWeight: tensor([1, 2, 3, 4], { dtype: 'float64' }) }).item(), binaryCrossEntropyWithLogits(perm.contiguous(), perm.sigmoid().contiguous(), { posWeight: tensor([1, 2, 3, 4], { dtype: 'float64' }) }).item());
