import { TsgradError } from '@tsgrad/tensor';

/**
 * Thrown by {@link gradcheck} and {@link gradgradcheck} when an analytical gradient
 * disagrees with its finite-difference estimate (or is non-deterministic, or has the
 * wrong shape or dtype). The message names the input, the worst element's index and
 * both values, so a failing property test points straight at the broken entry.
 */
export class GradcheckError extends TsgradError {}
