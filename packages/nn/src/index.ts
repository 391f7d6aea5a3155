/**
 * @tsgrad/nn — every classification loss as a composition of tensor ops, modules,
 * initialisers and optimisers. See the package README.
 */
export { Module, Parameter, type LoadStateDictResult } from './module.js';
export { functionalCall } from './functional-call.js';
export * from './tuning/index.js';
export * from './losses/index.js';
export * from './modules/index.js';
export * from './functional/index.js';
export * from './optim/index.js';
export * as init from './init.js';
export * from './io/index.js';
