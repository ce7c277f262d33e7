// Imported first by main.ts (a module's body runs before those imported after it): sets the V8 flag for the SQLite
// WebAssembly module before the runtime loads it (wasm-tiering.ts).
import { chooseWasmTiering } from './wasm-tiering.js';

chooseWasmTiering();
