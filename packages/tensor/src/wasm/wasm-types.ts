/*
 * WebAssembly's types for signatures that reach the published .d.ts. The global
 * `WebAssembly` namespace is declared only by TypeScript's DOM (and webworker) lib;
 * a Node project (lib ES20xx + @types/node) has none, so naming `WebAssembly.Memory`
 * in a public declaration breaks its type-check (skipLibCheck false). These resolve
 * to the real types wherever the namespace exists (tsgrad's own build, browsers) and
 * to `unknown` elsewhere.
 */
type WasmNamespace = typeof globalThis extends { WebAssembly: infer W } ? W : never;

/** `WebAssembly.Memory` (or `unknown` without the DOM lib). */
export type WasmMemory = WasmNamespace extends { Memory: new (...args: never[]) => infer M } ? M : unknown;

/** `WebAssembly.Module` (or `unknown` without the DOM lib). */
export type WasmModule = WasmNamespace extends { Module: new (...args: never[]) => infer M } ? M : unknown;
