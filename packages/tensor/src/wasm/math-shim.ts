// TEMPORARY until math.ts lands: scalar-lane fallbacks are not available; throws.
import type { FunctionBuilder } from './builder';
export type MathOp = 'exp' | 'expm1' | 'log' | 'log1p' | 'tanh' | 'sigmoid' | 'sin' | 'cos';
export function emitMath(_f: FunctionBuilder, op: MathOp, _r: boolean): void { throw new Error('math shim: ' + op); }
export function emitPow(_f: FunctionBuilder, _r: boolean): void { throw new Error('math shim: pow'); }
