import * as vscode from 'vscode';
import { PROVIDERS, secretKey, type ProviderInfo } from './run-env.js';

/**
 * `Baton: Set API Key` (`baton.setApiKey`): pick a provider, type the key in a password box; the key goes
 * to VS Code's SecretStorage (never settings, never logs). An empty key removes the stored one.
 */
export function registerApiKeyCommand(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('baton.setApiKey', async (providerId?: ProviderInfo['id']) => {
      const provider =
        PROVIDERS.find((p) => p.id === providerId) ??
        (await vscode.window.showQuickPick(
          PROVIDERS.map((p) => ({ label: p.label, description: p.keyEnv, provider: p })),
          { title: 'Baton: Set API Key', placeHolder: 'Which provider is the key for?' },
        ))?.provider;
      if (!provider) return;
      const key = await vscode.window.showInputBox({
        title: `Baton: ${provider.label} API key`,
        prompt: 'Stored in VS Code\'s secret storage and passed to runs only through their environment. Leave empty to remove the stored key.',
        password: true,
        ignoreFocusOut: true,
      });
      if (key === undefined) return;
      if (key.trim() === '') {
        await context.secrets.delete(secretKey(provider.id));
        void vscode.window.showInformationMessage(`Baton: the ${provider.label} API key was removed.`);
      } else {
        await context.secrets.store(secretKey(provider.id), key.trim());
        void vscode.window.showInformationMessage(`Baton: the ${provider.label} API key is stored in VS Code's secret storage.`);
      }
    }),
  );
}

/** The keys held in SecretStorage, by provider id (missing ones left out). */
export async function storedApiKeys(secrets: vscode.SecretStorage): Promise<Partial<Record<ProviderInfo['id'], string>>> {
  const keys: Partial<Record<ProviderInfo['id'], string>> = {};
  for (const p of PROVIDERS) {
    const key = await secrets.get(secretKey(p.id));
    if (key) keys[p.id] = key;
  }
  return keys;
}
