/**
 * The validation layer at the public boundary: argument specs (`tensor()`, `dim()`,
 * `options({...})`, …) declared once per public function and run by one helper
 * (`checked` / `validateArgs`), so every bad call throws a TsgradError naming the
 * function the user called before anything changes. Exported for @tsgrad/nn and for
 * users writing their own ops.
 */
export {
  type Spec, type Failure, type ErrorClass, type NumberRange,
  isTensor, describeValue, fail, raise, checkArg, checkSize, sizeFailure, MAX_ELEMENTS,
  any, optional, nullable, oneOf, finite, number, int, bool, literal, fn, dtype, tensor, floatTensor, operand,
  tensorList, shape, shapeWithInfer, dim, dims, options, intList,
} from './spec.js';
export { checked, declare, validateArgs, signatureOf, type ArgSpec, type Signature } from './checked.js';
