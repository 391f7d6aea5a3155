/*
 * The slice of gpu.js 2.24.1 this package uses, typed narrowly. gpu.js is CommonJS;
 * the default import is its `module.exports` under Node (tsx, vitest) and bundlers.
 */
import gpujs from 'gpu.js';

/** A GL output texture (`pipeline: true`); owns one reference to a GL texture. */
export interface GpuTexture {
  readonly size: ArrayLike<number>;
  readonly output: readonly number[];
  toArray(): Float32Array;
  delete(): void;
}

/** What a kernel takes and returns: a GL texture, or a plain Float32Array in webasm mode. */
export type DeviceArray = GpuTexture | Float32Array;
export type KernelArg = DeviceArray | number;

export interface GpuKernel {
  (...args: KernelArg[]): DeviceArray;
  destroy(removeCanvasReferences?: boolean): void;
}

export interface GpuInstance {
  readonly mode: string;
  readonly context: { finish?(): void; getExtension?(name: string): unknown } | null;
  createKernel(source: string, settings: Record<string, unknown>): GpuKernel;
  destroy(): Promise<void>;
}

interface GpuStatic {
  new (settings: { mode: string }): GpuInstance;
  readonly isHeadlessGLSupported: boolean;
  readonly isWebGL2Supported: boolean;
  readonly isWebGLSupported: boolean;
  readonly isWebAssemblySupported: boolean;
  readonly isSinglePrecisionSupported: boolean;
}

interface GpuModule {
  GPU: GpuStatic;
  HeadlessGLKernel: { readonly isSupported: boolean; readonly features: { isTextureFloat: boolean; maxTextureSize: number } | null };
}

export const gpuModule = gpujs as unknown as GpuModule;
export const GPU = gpuModule.GPU;
