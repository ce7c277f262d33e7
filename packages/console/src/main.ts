// The console's entry (out/console/app-<hash>.js, loaded by the shell `baton serve` answers at /): the theme, the
// pages, the frame. Everything else is loaded from out/console/ on demand; nothing from another origin.
import './theme.css';
import { THEMES, themeCss } from './themes.js';
import './pages/index.js';
import './app.js';

// VS Code's theme variables (read by @vscode-elements and the graph's stylesheet), light or dark as the browser says
const theme = new CSSStyleSheet();
theme.replaceSync(themeCss());
document.adoptedStyleSheets = [...document.adoptedStyleSheets, theme];
const dark = matchMedia('(prefers-color-scheme: dark)');
const bodyClass = (): void => {
  document.body.classList.remove(THEMES.light.bodyClass, THEMES.dark.bodyClass);
  document.body.classList.add(dark.matches ? THEMES.dark.bodyClass : THEMES.light.bodyClass);
};
bodyClass();
dark.addEventListener('change', bodyClass);

document.getElementById('app')!.replaceChildren(document.createElement('baton-console'));
