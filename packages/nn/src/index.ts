/**
 * @tsgrad/nn — every classification loss as a composition of tensor ops, modules,
 * initialisers and optimisers. See the package README.
 */
export { Module, Parameter, type LoadStateDictResult } from './module';
export * from './losses/index';
export * from './modules/index';
export * from './optim/index';
export * as init from './init';
