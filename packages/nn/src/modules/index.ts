export { Linear, type LinearOptions } from './linear.js';
export { Sequential } from './sequential.js';
export { ReLU, Sigmoid, Tanh, GELU, gelu, type GeluApproximate } from './activation.js';
export { Dropout, dropout } from './dropout.js';
export { Flatten } from './flatten.js';
export { LayerNorm, layerNorm, type LayerNormOptions } from './layer-norm.js';
export { erf, erfc } from './erf.js';
