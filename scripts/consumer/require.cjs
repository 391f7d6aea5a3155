// CommonJS: on Node >= 20.19, require() of the packages (ESM, no top-level await) loads
// them synchronously, and gives the very same module instances as `import`.
'use strict';
const tensorCjs = require('@tsgrad/tensor');
const nn = require('@tsgrad/nn');
const gpuCjs = require('@tsgrad/gpu');
require('@tsgrad/testing');

(async () => {
  const tensorEsm = await import('@tsgrad/tensor');
  const gpuEsm = await import('@tsgrad/gpu');
  if (tensorCjs.Tensor !== tensorEsm.Tensor || gpuCjs.gpu !== gpuEsm.gpu) {
    throw new Error('require() and import() gave different module instances');
  }
  const x = tensorCjs.tensor([[1, -2, 3]]);
  const l = nn.crossEntropy(x, tensorCjs.tensor([2], { dtype: 'int32' })).item();
  if (!(l > 0 && l < 1)) throw new Error(`crossEntropy gave ${l}`);
  console.log(`require.cjs: require() of all four packages works on Node ${process.versions.node} (same instances as import)`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
