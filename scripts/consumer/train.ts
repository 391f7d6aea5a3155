/*
 * `node out/train.js [wasm|cpu|gpu]`: trains the MLP of train-core.ts on one backend of
 * the installed packages and fails unless the loss falls. tsc compiles it (strict
 * consumer flags); plain node runs the output.
 */
import { setBackend } from '@tsgrad/tensor';
import { setGpuMode } from '@tsgrad/gpu';
import { checkTrained, trainMlp } from './train-core.js';

const backend = process.argv[2] ?? 'wasm';
if (backend === 'gpu') setGpuMode('webasm');
setBackend(backend);
console.log(checkTrained(trainMlp()));
