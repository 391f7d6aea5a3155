import { BackendError } from '@tsgrad/tensor';
import { GPU, gpuModule } from './gpujs.js';
import { env, isNode, nodeRequire } from './node-builtins.js';

/**
 * The gpu.js modes this backend runs kernels in. GL modes keep data in float
 * textures; 'webasm' compiles the same kernels to WebAssembly over host memory.
 */
export type GpuMode = 'headlessgl' | 'webgl2' | 'webgl' | 'webasm';
/** A mode to ask for: one of the modes, or 'auto' (a real GL context when there is one). */
export type RequestedMode = GpuMode | 'auto';

export const GPU_MODES: readonly GpuMode[] = ['headlessgl', 'webgl2', 'webgl', 'webasm'];

export interface ModeAvailability {
  available: boolean;
  /** Why not (or, when available, what was found). */
  reason: string;
}

export interface ModeChoice {
  mode: GpuMode;
  requested: RequestedMode;
  /** How the mode was chosen, e.g. "auto: headlessgl (a GL context on :99)". */
  reason: string;
}

export function isGlMode(mode: GpuMode): boolean {
  return mode !== 'webasm';
}

// What a user of the published package does (npm skips the optional `gl` silently when
// its install step cannot fetch or compile it), then the shortcut inside this repository.
const SETUP_HINT =
  "to build it, install a C++ toolchain, python3 and the X11/GL headers (Debian/Ubuntu: build-essential python3 pkg-config libx11-dev libxext-dev libxi-dev libgl-dev), " +
  "then run 'npm rebuild gl' in your project; in the tsgrad repository, 'npm run setup:gl' does both";

function headlessGlAvailability(): ModeAvailability {
  if (!isNode) return { available: false, reason: 'headlessgl runs only in Node (in a browser use webgl2 or webgl)' };
  try {
    // `gl` is gpu.js's optional dependency: resolve it from gpu.js, as gpu.js does.
    nodeRequire('gpu.js')?.('gl');
  } catch (e) {
    const first = String((e as Error).message).split('\n')[0];
    return {
      available: false,
      reason: `the optional dependency 'gl' (headless GL for Node) is not installed or not built (${first}); ${SETUP_HINT}`,
    };
  }
  if (!gpuModule.HeadlessGLKernel.isSupported) {
    const display = env('DISPLAY');
    return {
      available: false,
      reason: display
        ? `'gl' is built but could not create a GL context on display ${display} (is the X server running? Mesa's libgl1-mesa-dri/libglx-mesa0 installed?)`
        : "'gl' is built but there is no X display (DISPLAY is unset): run under 'xvfb-run -a' (Debian packages xvfb, xauth)",
    };
  }
  const features = gpuModule.HeadlessGLKernel.features;
  if (features && !features.isTextureFloat) {
    return { available: false, reason: "the headless GL context has no OES_texture_float: float32 textures are required" };
  }
  return { available: true, reason: `a headless GL context on display ${env('DISPLAY') ?? '(default)'}` };
}

/** Whether `mode` can run here, and why not. Never throws. */
export function modeAvailability(mode: GpuMode): ModeAvailability {
  try {
    switch (mode) {
      case 'headlessgl':
        return headlessGlAvailability();
      case 'webgl2':
        if (isNode) return { available: false, reason: 'webgl2 needs a browser; in Node use headlessgl' };
        return GPU.isWebGL2Supported
          ? { available: true, reason: 'a WebGL2 context' }
          : { available: false, reason: 'this browser cannot create a WebGL2 context' };
      case 'webgl':
        if (isNode) return { available: false, reason: 'webgl needs a browser; in Node use headlessgl' };
        return GPU.isWebGLSupported && GPU.isSinglePrecisionSupported
          ? { available: true, reason: 'a WebGL context with float textures' }
          : { available: false, reason: 'this browser cannot create a WebGL context with float textures' };
      case 'webasm':
        return GPU.isWebAssemblySupported
          ? { available: true, reason: 'WebAssembly' }
          : { available: false, reason: 'this runtime has no WebAssembly' };
    }
  } catch (e) {
    return { available: false, reason: `probing ${mode} failed: ${(e as Error).message}` };
  }
}

/** Parses a requested mode (API argument or TSGRAD_GPU_MODE), naming the source in errors. */
export function parseMode(value: string, source: string): RequestedMode {
  const v = value.trim().toLowerCase();
  if (v === 'auto' || (GPU_MODES as readonly string[]).includes(v)) return v as RequestedMode;
  if (v === 'webgpu') {
    throw new BackendError(
      `${source}: mode 'webgpu' is not supported by @tsgrad/gpu (gpu.js's WebGPU kernels are asynchronous and its Node 'webgpu' dependency needs glibc 2.38); use ${GPU_MODES.join(', ')} or auto`,
    );
  }
  if (v === 'cpu' || v === 'gpu') {
    throw new BackendError(`${source}: '${v}' is not a gpu.js mode of the gpu backend; expected one of ${GPU_MODES.join(', ')} or auto (for the CPU reference use setBackend('cpu'))`);
  }
  throw new BackendError(`${source}: expected one of ${GPU_MODES.join(', ')} or auto, got '${value}'`);
}

/**
 * Resolves a requested mode. An explicit mode that cannot run is an error that
 * says why — never a silent fall back. 'auto' prefers a real GL context and
 * otherwise says what it chose and why.
 */
export function chooseMode(requested: RequestedMode): ModeChoice {
  if (requested !== 'auto') {
    const a = modeAvailability(requested);
    if (!a.available) throw new BackendError(`gpu backend: mode '${requested}' is not available: ${a.reason}`);
    return { mode: requested, requested, reason: `requested ${requested}: ${a.reason}` };
  }
  const order: GpuMode[] = isNode ? ['headlessgl', 'webasm'] : ['webgl2', 'webgl', 'webasm'];
  const skipped: string[] = [];
  for (const mode of order) {
    const a = modeAvailability(mode);
    if (a.available) {
      const why = skipped.length ? ` (${skipped.join('; ')})` : '';
      return { mode, requested, reason: `auto: chose ${mode}, ${a.reason}${why}` };
    }
    skipped.push(`${mode} unavailable: ${a.reason}`);
  }
  throw new BackendError(`gpu backend: no gpu.js mode can run here: ${skipped.join('; ')}`);
}
