export { conv1d, conv2d, type Conv1dOptions, type Conv2dOptions } from './conv.js';
export { maxPool2d, maxPool2dWithIndices, avgPool2d, adaptiveAvgPool2d, type MaxPool2dOptions, type AvgPool2dOptions } from './pooling.js';
export { pad, type SizeArg } from './args.js';
