import type { GpuTexture } from './gpujs.js';

/*
 * GL output textures are recycled instead of deleted. A pipeline kernel with
 * immutable outputs allocates a fresh texture on every run (the previous output is
 * still held by its tensor); on Mesa's llvmpipe that allocation cost ~2.4 ms for a
 * 2 MB texture, three times the kernel itself. Released textures go to a pool keyed
 * by texture size and the next kernel output of that size takes one.
 *
 * gpu.js has no hook for this, so two methods of its GL texture class are wrapped
 * (once per prototype): `newTexture` (the kernel's "give me a fresh output") takes
 * from the pool, and `delete` puts a texture whose last reference goes into the pool.
 * Only textures of contexts with a registered pool are affected.
 */

interface GlTexture {
  _refs: number;
}

interface GlContext {
  deleteTexture(t: GlTexture): void;
}

interface GlTextureObject {
  texture: GlTexture;
  size: ArrayLike<number>;
  context: GlContext;
  kernel: { textureCache?: GlTexture[] } | null;
  _deleted: boolean;
  newTexture(): void;
  delete(): void;
}

export class TexturePool {
  private readonly free = new Map<string, GlTexture[]>();
  bytes = 0;
  reused = 0;
  recycled = 0;

  constructor(public limitBytes: number) {}

  take(w: number, h: number): GlTexture | null {
    const list = this.free.get(`${w}x${h}`);
    const t = list?.pop();
    if (!t) return null;
    this.bytes -= w * h * 16;
    this.reused++;
    return t;
  }

  /** Keeps the texture for reuse; false when the pool is full (the caller deletes it). */
  put(t: GlTexture, w: number, h: number): boolean {
    const bytes = w * h * 16;
    if (this.bytes + bytes > this.limitBytes) return false;
    const key = `${w}x${h}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(t);
    this.bytes += bytes;
    this.recycled++;
    return true;
  }

  clear(gl: GlContext): void {
    for (const list of this.free.values()) for (const t of list) gl.deleteTexture(t);
    this.free.clear();
    this.bytes = 0;
  }
}

const pools = new WeakMap<object, TexturePool>();
const patched = new WeakSet<object>();

export function registerPool(context: object, pool: TexturePool): void {
  pools.set(context, pool);
}

/** Wraps newTexture/delete on the GL texture class of `sample` (idempotent). */
export function installPool(sample: GpuTexture): void {
  let proto = Object.getPrototypeOf(sample) as object | null;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, 'newTexture')) proto = Object.getPrototypeOf(proto) as object | null;
  if (!proto || patched.has(proto)) return;
  patched.add(proto);
  const p = proto as GlTextureObject;
  const newTexture = p.newTexture;
  const del = p.delete;
  p.newTexture = function (this: GlTextureObject) {
    const pool = pools.get(this.context);
    const t = pool?.take(this.size[0]!, this.size[1]!);
    if (!t) return newTexture.call(this);
    this.texture._refs--;
    t._refs = 1;
    this.texture = t;
  };
  p.delete = function (this: GlTextureObject) {
    const pool = pools.get(this.context);
    if (!pool || this._deleted || this.texture._refs > 1) return del.call(this);
    this._deleted = true;
    const t = this.texture;
    t._refs = 0;
    // A kernel deletes the textures it created when it is destroyed: take this one out.
    const cache = this.kernel?.textureCache;
    const at = cache ? cache.indexOf(t) : -1;
    if (at >= 0) cache!.splice(at, 1);
    if (!pool.put(t, this.size[0]!, this.size[1]!)) this.context.deleteTexture(t);
  };
}
