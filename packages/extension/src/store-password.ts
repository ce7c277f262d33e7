import * as vscode from 'vscode';
import { isStoreUrl, storePasswordKey, storeSettingWarning } from './run-env.js';

/**
 * The password of a PostgreSQL run store (`baton.store.path` set to a `postgres://` URL): never a setting.
 * - `Baton: Set Store Password` (`baton.store.setPassword`): a password box; the password goes to VS Code's
 *   SecretStorage under the store's user, host, port and database (`storePasswordKey`), and reaches the `baton`
 *   children only as `PGPASSWORD` in their environment — never a command line, never the log. Empty removes it.
 * - A URL in the setting that holds a password gets a warning (at start and when the setting changes) saying to
 *   move it to that command.
 * @param store the store the settings name now (a file, or the URL without its password).
 * @param changed called after the stored password changed (the launches read it again).
 */
export function registerStorePassword(context: vscode.ExtensionContext, store: () => string, changed: () => Promise<void>): void {
  const warn = (): void => {
    const warning = storeSettingWarning(vscode.workspace.getConfiguration('baton').get<string>('store.path'));
    if (warning) {
      void vscode.window.showWarningMessage(warning, 'Set Store Password').then((choice) => (choice ? vscode.commands.executeCommand('baton.store.setPassword') : undefined));
    }
  };
  warn();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('baton.store.path')) warn();
    }),
    context.secrets.onDidChange((e) => {
      if (e.key.startsWith('baton.storePassword.')) void changed();
    }),
    vscode.commands.registerCommand('baton.store.setPassword', async (): Promise<'stored' | 'removed' | 'not a server store' | undefined> => {
      const target = store();
      const key = storePasswordKey(target);
      if (!isStoreUrl(target) || !key) {
        void vscode.window.showInformationMessage('Baton: the run store (baton.store.path) is a file; a password is for a postgres:// store only.');
        return 'not a server store';
      }
      const password = await vscode.window.showInputBox({
        title: `Baton: password for ${target}`,
        prompt: "Stored in VS Code's secret storage and passed to Baton only through its environment (PGPASSWORD). Leave empty to remove the stored password.",
        password: true,
        ignoreFocusOut: true,
      });
      if (password === undefined) return undefined;
      if (password === '') {
        await context.secrets.delete(key);
        await changed();
        void vscode.window.showInformationMessage(`Baton: the password for ${target} was removed.`);
        return 'removed';
      }
      await context.secrets.store(key, password);
      await changed();
      void vscode.window.showInformationMessage(`Baton: the password for ${target} is stored in VS Code's secret storage.`);
      return 'stored';
    }),
  );
}
