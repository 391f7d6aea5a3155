export { Linear, type LinearOptions } from './linear';
export { Sequential } from './sequential';
export { ReLU, Sigmoid, Tanh, GELU, gelu, type GeluApproximate } from './activation';
export { Dropout, dropout } from './dropout';
export { Flatten } from './flatten';
export { LayerNorm, layerNorm, type LayerNormOptions } from './layer-norm';
export { erf, erfc } from './erf';
