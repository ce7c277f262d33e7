/**
 * What the extension's `activate()` returns (`vscode.extensions.getExtension('baton.baton').exports`): the
 * pieces other extensions and the real-editor suite may drive or observe.
 */
import type { BatonTests } from './test-controller.js';

export interface BatonApi {
  /** The Test Explorer's controller and `runTest`; undefined when the language server did not start. */
  tests: BatonTests | undefined;
}
