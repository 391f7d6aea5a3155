// Browser entry with @tsgrad/gpu: the same training on the gpu backend (gpu.js picks
// webgl2 where the browser has it).
import { setBackend } from '@tsgrad/tensor';
import '@tsgrad/gpu';
import { checkTrained, trainMlp } from './train-core.js';

const g = globalThis as { tsgradResult?: { ok: boolean; summary: string } };
try {
  setBackend('gpu');
  g.tsgradResult = { ok: true, summary: checkTrained(trainMlp(20)) };
} catch (e) {
  g.tsgradResult = { ok: false, summary: String(e) };
}
