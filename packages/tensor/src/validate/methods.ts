import { checkArg, bool, dtype, finite, nullable, operand, optional, options, tensor, type Spec } from './spec.js';
import { validateArgs, type ArgSpec } from './checked.js';

/*
 * Specs of the Tensor methods that are not a functional op under the same name (the
 * others forward to a `checked` function, which validates).
 */

export const DTYPE_SPEC: Spec = dtype();
export const BOOL_SPEC: Spec = bool();
export const OPERAND_SPEC: Spec = operand();
export const ALPHA_SPEC: Spec = finite();
export const GRAD_SPEC: Spec = nullable(tensor());

export function checkMethodArg(fn: string, arg: string, spec: Spec, value: unknown): void {
  checkArg(fn, arg, spec, value);
}

const BACKWARD: readonly ArgSpec[] = [
  ['self', tensor()],
  ['gradient', optional(tensor())],
  ['options', options({ retainGraph: bool(), createGraph: bool() })],
];

/** `t.backward(gradient?, { retainGraph, createGraph })`. */
export function BACKWARD_SPECS(self: unknown, gradient: unknown, opts: unknown): void {
  validateArgs('backward', BACKWARD, [self, gradient, opts]);
}
