import { Tensor, DTypeError, IndexError, ShapeError, ValueError, checkArg, noGrad, spec, tensor, where, type FloatDType } from '@tsgrad/tensor';

const EMBEDDING_OPTIONS = spec.options({ paddingIdx: spec.nullable(spec.any()) });
import { Module, Parameter } from '../module.js';
import { normal } from '../init.js';

/** Options of `Embedding`. */
export interface EmbeddingOptions {
  /**
   * A row that stays as it is during training: its gradient is always 0, and at
   * construction it is set to zeros. Negative values count from the end, as in PyTorch.
   */
  paddingIdx?: number | null;
  /** dtype of the weight (default float32). */
  dtype?: FloatDType;
}

/** Hidden constructor option (a symbol, so option-name checks never see it) used by `fromPretrained`. */
const PRETRAINED = Symbol('pretrained');

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function resolvePaddingIdx(fn: string, paddingIdx: unknown, numEmbeddings: number): number | null {
  if (paddingIdx === undefined || paddingIdx === null) return null;
  if (typeof paddingIdx !== 'number' || !Number.isInteger(paddingIdx) || paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings) {
    throw new ValueError(`${fn}: option 'paddingIdx' expected an integer in [${-numEmbeddings}, ${numEmbeddings}) (numEmbeddings = ${numEmbeddings}), got ${String(paddingIdx)}`);
  }
  return paddingIdx < 0 ? numEmbeddings + paddingIdx : paddingIdx;
}

/**
 * Looks up rows of `weight` (`[numEmbeddings, embeddingDim]`) for int32 indices of any
 * shape, giving `[...indices.shape, embeddingDim]`, like `torch.nn.functional.embedding`.
 * The gradient scatter-adds into the rows looked up; the row `paddingIdx`, when given,
 * is returned as it is but receives no gradient.
 */
export function embedding(input: Tensor, weight: Tensor, opts: { paddingIdx?: number | null } = {}): Tensor {
  checkArg('embedding', 'options', EMBEDDING_OPTIONS, opts);
  return lookup('embedding', input, weight, opts.paddingIdx ?? null, true);
}

function lookup(fn: string, input: Tensor, weight: Tensor, paddingIdx: number | null, resolvePadding: boolean): Tensor {
  if (!(input instanceof Tensor) || input.dtype !== 'int32') {
    throw new DTypeError(`${fn}: argument 'input' expected an int32 Tensor of indices, got ${input instanceof Tensor ? `dtype ${input.dtype}` : typeof input}`);
  }
  if (!(weight instanceof Tensor) || (weight.dtype !== 'float32' && weight.dtype !== 'float64')) {
    throw new DTypeError(`${fn}: argument 'weight' expected a float32 or float64 Tensor, got ${weight instanceof Tensor ? `dtype ${weight.dtype}` : typeof weight}`);
  }
  if (weight.ndim !== 2) throw new ShapeError(`${fn}: argument 'weight' expected shape [numEmbeddings, embeddingDim], got ${fmt(weight.shape)}`);
  const [num, dim] = weight.shape as [number, number];
  const pad = resolvePadding ? resolvePaddingIdx(fn, paddingIdx, num) : paddingIdx;
  const idx = input.dataSync();
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < 0 || v >= num) {
      throw new IndexError(`${fn}: argument 'input' contains index ${v}, expected indices in [0, ${num}) (numEmbeddings = ${num})`);
    }
  }
  const flat = input.reshape([input.numel]);
  let rows = weight.indexSelect(0, flat);
  if (pad !== null && rows.requiresGrad) {
    // The padding row's value, with its gradient path cut: PyTorch returns the row as it
    // is but never accumulates into it.
    const keep = flat.ne(pad).reshape([input.numel, 1]);
    rows = where(keep, rows, rows.detach());
  }
  return rows.reshape([...input.shape, dim]);
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, like
 * `torch.nn.Embedding`: `forward(indices)` takes int32 indices of any shape and returns
 * `[...indices.shape, embeddingDim]`. The weight is initialised from N(0, 1) (PyTorch's
 * default), drawn from the seeded generator; the `paddingIdx` row is then zeroed and
 * gets no gradient.
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The padding row (non-negative), or null. */
  readonly paddingIdx: number | null;
  readonly weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    const fn = 'Embedding';
    if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: argument 'options' expected an object, got ${String(opts)}`);
    for (const k of Object.keys(opts)) {
      if (k !== 'paddingIdx' && k !== 'dtype') throw new ValueError(`${fn}: unknown option '${k}', expected one of 'paddingIdx', 'dtype'`);
    }
    if (!Number.isInteger(numEmbeddings) || numEmbeddings <= 0) throw new ValueError(`${fn}: argument 'numEmbeddings' expected a positive integer, got ${String(numEmbeddings)}`);
    if (!Number.isInteger(embeddingDim) || embeddingDim <= 0) throw new ValueError(`${fn}: argument 'embeddingDim' expected a positive integer, got ${String(embeddingDim)}`);
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`${fn}: option 'dtype' expected float32 or float64, got ${String(dtype)}`);
    this.paddingIdx = resolvePaddingIdx(fn, opts.paddingIdx, numEmbeddings);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const given = (opts as { [PRETRAINED]?: Tensor })[PRETRAINED];
    if (given) {
      // fromPretrained: a copy of the given table, no draw from the generator.
      this.weight = new Parameter(noGrad(() => given.detach().mul(1)));
      return;
    }
    let w = normal([numEmbeddings, embeddingDim], 0, 1, { dtype });
    const pad = this.paddingIdx;
    if (pad !== null) w = noGrad(() => w.mul(rowMask(numEmbeddings, pad, dtype)));
    this.weight = new Parameter(w);
  }

  /**
   * An Embedding holding a copy of `embeddings` (`[numEmbeddings, embeddingDim]`), like
   * `torch.nn.Embedding.from_pretrained`: frozen (`requiresGrad` false) unless
   * `freeze: false`. The padding row is kept as given.
   */
  static fromPretrained(embeddings: Tensor, opts: { freeze?: boolean; paddingIdx?: number | null } = {}): Embedding {
    const fn = 'Embedding.fromPretrained';
    if (!(embeddings instanceof Tensor) || (embeddings.dtype !== 'float32' && embeddings.dtype !== 'float64')) {
      throw new DTypeError(`${fn}: argument 'embeddings' expected a float32 or float64 Tensor, got ${embeddings instanceof Tensor ? `dtype ${embeddings.dtype}` : typeof embeddings}`);
    }
    if (embeddings.ndim !== 2) throw new ShapeError(`${fn}: argument 'embeddings' expected shape [numEmbeddings, embeddingDim], got ${fmt(embeddings.shape)}`);
    for (const k of Object.keys(opts)) {
      if (k !== 'freeze' && k !== 'paddingIdx') throw new ValueError(`${fn}: unknown option '${k}', expected one of 'freeze', 'paddingIdx'`);
    }
    const freeze = opts.freeze ?? true;
    if (typeof freeze !== 'boolean') throw new ValueError(`${fn}: option 'freeze' expected a boolean, got ${String(freeze)}`);
    const [num, dim] = embeddings.shape as [number, number];
    resolvePaddingIdx(fn, opts.paddingIdx, num);
    const e = new Embedding(num, dim, { paddingIdx: opts.paddingIdx ?? null, dtype: embeddings.dtype as FloatDType, [PRETRAINED]: embeddings } as EmbeddingOptions);
    e.weight.requiresGrad = !freeze;
    return e;
  }

  forward(input: Tensor): Tensor {
    return lookup('Embedding', input, this.weight, this.paddingIdx, false);
  }

  override extraRepr(): string {
    return `numEmbeddings=${this.numEmbeddings}, embeddingDim=${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}

/** A `[num, 1]` column of ones with a 0 at `row`. */
function rowMask(num: number, row: number, dtype: FloatDType): Tensor {
  const data = new Float64Array(num).fill(1);
  data[row] = 0;
  return tensor(data, { dtype, shape: [num, 1] });
}
