/**
 * Every error tsgrad throws on bad input is a `TsgradError`. Messages name the
 * function, the argument, what was expected and what arrived, so a user can fix the
 * call without reading our source.
 */
export class TsgradError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not broadcast, do not match, or cannot be reshaped. */
export class ShapeError extends TsgradError {}
/** A dtype that the operation does not accept. */
export class DTypeError extends TsgradError {}
/** A dim or an index outside its valid range. */
export class IndexError extends TsgradError {}
/** A value outside what the operation accepts (ragged arrays, NaN into int32, …). */
export class ValueError extends TsgradError {}
/** Misuse of the autograd graph (freed graph, non-scalar backward, …). */
export class AutogradError extends TsgradError {}
/** Backend selection or backend capability problems. */
export class BackendError extends TsgradError {}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
