/*
 * Device memory (GL textures, the WebAssembly heap) is invisible to the JS garbage
 * collector, and finalization callbacks run as tasks: a synchronous training loop
 * never sees them, so memory held by unreachable tensors piles up. Under memory
 * pressure a backend can force a collection and run its pending callbacks
 * synchronously — V8's `gc` and `FinalizationRegistry#cleanupSome`, made available in
 * a fresh vm context (Node only; `process.getBuiltinModule` keeps this free of static
 * `node:` imports so it bundles for browsers, where it returns null). Where that is
 * not possible the asynchronous callbacks and explicit `dispose()` remain.
 */

type GetBuiltin = (id: string) => unknown;

function getBuiltin(): GetBuiltin | null {
  const p = (globalThis as { process?: { getBuiltinModule?: GetBuiltin; versions?: { node?: string } } }).process;
  return p?.versions?.node && typeof p.getBuiltinModule === 'function' ? p.getBuiltinModule.bind(p) : null;
}

/** A Node built-in module, or null outside Node. */
export function nodeBuiltin<T>(id: string): T | null {
  const get = getBuiltin();
  return get ? (get(id) as T) : null;
}

/** An environment variable (Node), undefined elsewhere. */
export function envVar(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.[name];
}

export interface SyncCollector {
  /** A full garbage collection. */
  gc(): void;
  /** A FinalizationRegistry whose instances have `cleanupSome()`. */
  Registry: typeof FinalizationRegistry;
}

let collector: SyncCollector | null | undefined;

/** gc + a FinalizationRegistry with cleanupSome, from a fresh vm context; null if unavailable. */
export function syncCollector(): SyncCollector | null {
  if (collector !== undefined) return collector;
  collector = null;
  try {
    const v8 = nodeBuiltin<{ setFlagsFromString(f: string): void }>('node:v8');
    const vm = nodeBuiltin<{ createContext(o: object): object; runInContext(code: string, ctx: object): unknown }>('node:vm');
    if (!v8 || !vm) return null;
    v8.setFlagsFromString('--expose-gc');
    v8.setFlagsFromString('--harmony-weak-refs-with-cleanup-some');
    const ctx = vm.createContext({});
    const gc = vm.runInContext('gc', ctx) as () => void;
    const Registry = vm.runInContext('FinalizationRegistry', ctx) as typeof FinalizationRegistry;
    if (typeof gc === 'function' && typeof (Registry.prototype as { cleanupSome?: unknown }).cleanupSome === 'function') {
      collector = { gc, Registry };
    }
  } catch {
    collector = null;
  }
  return collector;
}

/** Runs the registry's pending callbacks now (a registry made from `syncCollector().Registry`). */
export function cleanupSome(registry: FinalizationRegistry<unknown>): void {
  (registry as unknown as { cleanupSome(): void }).cleanupSome();
}
