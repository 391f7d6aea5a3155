export { Optimizer, type ParamGroup, type ParamGroupInput, type Params } from './optimizer';
export { SGD, type SGDOptions, type SGDState } from './sgd';
export { Adam, AdamW, type AdamOptions, type AdamState } from './adam';
