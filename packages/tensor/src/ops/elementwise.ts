import type { BinaryOp, UnaryOp, View } from '../backend.js';
import { floatResult, isFloat, promoteTypes, promoteWithScalar, type DType } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { broadcastShapes, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { record } from '../autograd/node.js';
import { fromStorage, onto, pickBackend, scalarTensor } from './dispatch.js';
import { broadcastView } from './views.js';
import { checked, checkSize, operand, tensor, type ArgSpec } from '../validate/index.js';

type Operand = Tensor | number;

/** Ops whose result is floating point even for int inputs (PyTorch's int→float promotion). */
const FLOAT_ONLY: ReadonlySet<UnaryOp> = new Set(['exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'reciprocal']);

const UNARY: readonly ArgSpec[] = [['input', tensor()]];
const BINARY: readonly ArgSpec[] = [['input', operand()], ['other', operand()]];

function unary(op: Exclude<UnaryOp, 'copy'>, x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`${op}: argument 'input' expected a Tensor, got ${typeof x}`);
  let outDtype: DType = FLOAT_ONLY.has(op) ? floatResult(x.dtype) : x.dtype;
  if (outDtype === 'bool' && op !== 'abs' && op !== 'relu') outDtype = 'int32';
  const ins = [x];
  const b = pickBackend(op, ins, outDtype);
  const storage = b.unary(op, onto(ins, b)[0]!, outDtype);
  return record(fromStorage(storage, x.shape, outDtype), op, [x], {});
}

export const neg = checked('neg', UNARY, (x: Tensor) => unary('neg', x));
export const abs = checked('abs', UNARY, (x: Tensor) => unary('abs', x));
export const sign = checked('sign', UNARY, (x: Tensor) => unary('sign', x));
export const exp = checked('exp', UNARY, (x: Tensor) => unary('exp', x));
export const expm1 = checked('expm1', UNARY, (x: Tensor) => unary('expm1', x));
export const log = checked('log', UNARY, (x: Tensor) => unary('log', x));
export const log1p = checked('log1p', UNARY, (x: Tensor) => unary('log1p', x));
export const sqrt = checked('sqrt', UNARY, (x: Tensor) => unary('sqrt', x));
export const rsqrt = checked('rsqrt', UNARY, (x: Tensor) => unary('rsqrt', x));
export const square = checked('square', UNARY, (x: Tensor) => unary('square', x));
export const reciprocal = checked('reciprocal', UNARY, (x: Tensor) => unary('reciprocal', x));
export const sin = checked('sin', UNARY, (x: Tensor) => unary('sin', x));
export const cos = checked('cos', UNARY, (x: Tensor) => unary('cos', x));
export const tanh = checked('tanh', UNARY, (x: Tensor) => unary('tanh', x));
export const sigmoid = checked('sigmoid', UNARY, (x: Tensor) => unary('sigmoid', x));
export const relu = checked('relu', UNARY, (x: Tensor) => unary('relu', x));

/** Turns a JS number into a 0-d tensor of the dtype weak-scalar promotion picks. */
export function toOperands(op: string, a: Operand, b: Operand): [Tensor, Tensor] {
  const aT = a instanceof Tensor;
  const bT = b instanceof Tensor;
  if (!aT && typeof a !== 'number') throw new DTypeError(`${op}: argument 'input' expected a Tensor or number, got ${typeof a}`);
  if (!bT && typeof b !== 'number') throw new DTypeError(`${op}: argument 'other' expected a Tensor or number, got ${typeof b}`);
  if (aT && bT) return [a, b];
  if (aT) return [a, scalarTensor(b as number, promoteWithScalar(a.dtype, b as number), a)];
  if (bT) return [scalarTensor(a as number, promoteWithScalar(b.dtype, a as number), b), b];
  return [scalarTensor(a as number), scalarTensor(b as number)];
}

const COMPARISONS: ReadonlySet<BinaryOp> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

function resultDtype(op: BinaryOp, a: DType, b: DType): DType {
  if (COMPARISONS.has(op)) return 'bool';
  let t = promoteTypes(a, b);
  if (op === 'div' && !isFloat(t)) t = 'float32';
  if (t === 'bool' && op !== 'maximum' && op !== 'minimum' && op !== 'mul') t = 'int32';
  return t;
}

function binary(op: BinaryOp, a: Operand, b: Operand): Tensor {
  const [x, y] = toOperands(op, a, b);
  const outShape = broadcastShapes(op, x.shape, y.shape);
  checkSize(op, outShape);
  const outDtype = resultDtype(op, x.dtype, y.dtype);
  const xv = broadcastView(x, outShape);
  const yv = broadcastView(y, outShape);
  const ins = [xv, yv];
  const be = pickBackend(op, ins, outDtype);
  const [p, q] = onto(ins, be);
  const storage = be.binary(op, p!, q!, outShape, outDtype);
  const out = fromStorage(storage, outShape, outDtype);
  return COMPARISONS.has(op) ? out : record(out, op as 'add', [x, y], {});
}

export const add = checked('add', BINARY, (a: Operand, b: Operand) => binary('add', a, b));
export const sub = checked('sub', BINARY, (a: Operand, b: Operand) => binary('sub', a, b));
export const mul = checked('mul', BINARY, (a: Operand, b: Operand) => binary('mul', a, b));
export const div = checked('div', BINARY, (a: Operand, b: Operand) => binary('div', a, b));
export const pow = checked('pow', BINARY, (a: Operand, b: Operand) => binary('pow', a, b));
export const maximum = checked('maximum', BINARY, (a: Operand, b: Operand) => binary('maximum', a, b));
export const minimum = checked('minimum', BINARY, (a: Operand, b: Operand) => binary('minimum', a, b));
export const eq = checked('eq', BINARY, (a: Operand, b: Operand) => binary('eq', a, b));
export const ne = checked('ne', BINARY, (a: Operand, b: Operand) => binary('ne', a, b));
export const lt = checked('lt', BINARY, (a: Operand, b: Operand) => binary('lt', a, b));
export const le = checked('le', BINARY, (a: Operand, b: Operand) => binary('le', a, b));
export const gt = checked('gt', BINARY, (a: Operand, b: Operand) => binary('gt', a, b));
export const ge = checked('ge', BINARY, (a: Operand, b: Operand) => binary('ge', a, b));

/** Elementwise choice: `cond ? a : b`, broadcasting all three; only a and b are differentiable. */
export const where = checked('where', [['condition', tensor('bool')], ['input', operand()], ['other', operand()]], whereImpl);

function whereImpl(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (!(cond instanceof Tensor)) throw new DTypeError(`where: argument 'condition' expected a bool Tensor, got ${typeof cond}`);
  if (cond.dtype !== 'bool') throw new DTypeError(`where: argument 'condition' expected dtype bool, got ${cond.dtype}`);
  const [x, y] = toOperands('where', a, b);
  const outShape = broadcastShapes('where', cond.shape, x.shape, y.shape);
  checkSize('where', outShape);
  const outDtype = promoteTypes(x.dtype, y.dtype);
  const views: View[] = [broadcastView(cond, outShape), broadcastView(x, outShape), broadcastView(y, outShape)];
  const be = pickBackend('where', views, outDtype);
  const [c, p, q] = onto(views, be);
  const storage = be.where(c!, p!, q!, outShape, outDtype);
  return record(fromStorage(storage, outShape, outDtype), 'where', [cond, x, y], {});
}

export type { Shape };
