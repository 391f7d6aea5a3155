export { Optimizer, type ParamGroup, type ParamGroupInput, type Params } from './optimizer.js';
export { SGD, type SGDOptions, type SGDState } from './sgd.js';
export { Adam, AdamW, type AdamOptions, type AdamState } from './adam.js';
