import { getBackendByName, listBackends, registerBackend } from '../backend.js';
import { WasmBackend } from './wasm-backend.js';

// A second copy of this module (two bundles, a re-import) reuses the first registration.
const existing = listBackends().includes('wasm') ? (getBackendByName('wasm') as WasmBackend) : null;

/** The registered 'wasm' backend (started on first use). */
export const wasm: WasmBackend = existing ?? new WasmBackend();
if (!existing) registerBackend(wasm);
