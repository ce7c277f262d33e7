// The `--vscode-*` variables the console (and the graph panel's stylesheet and @vscode-elements, which read them)
// is drawn with: a subset of VS Code's Light+ / Dark Modern themes, as VS Code sets them on a webview's <html>.
// The single copy: the console adopts them (themeCss), the graph panel's browser harness sets them (test/webview).

/** A theme: the class VS Code puts on a webview's <body>, and the variables (names without `--vscode-`). */
export interface ThemeVars {
  bodyClass: 'vscode-light' | 'vscode-dark';
  vars: Readonly<Record<string, string>>;
}

/** The variables whose value is the same in Light+ and Dark Modern (names without `--vscode-`). */
const EITHER = {
  'editorLineNumber-foreground': '#6e7681', errorForeground: '#f85149', 'testing-iconFailed': '#f14c4c',
  disabledForeground: '#8c8c8c', 'font-family': 'system-ui, sans-serif', 'font-size': '13px',
  'inputValidation-warningBorder': '#b89500', 'font-weight': 'normal',
  'editor-font-family': 'ui-monospace, Menlo, Consolas, monospace', 'editor-font-size': '13px',
  'button-foreground': '#ffffff', 'inputValidation-errorBorder': '#be1100',
  'statusBarItem-errorBackground': '#c72e0f', 'statusBarItem-errorForeground': '#ffffff',
  'menu-selectionForeground': '#ffffff', 'activityBarBadge-foreground': '#ffffff', 'editor-font-weight': 'normal',
} as const;

/**
 * The variables whose value differs: `name: [Light+, Dark Modern]`. One table for both themes, so that a variable
 * cannot be given to one theme and forgotten in the other.
 */
const LIGHT_DARK = {
  'editor-background': ['#ffffff', '#1f1f1f'], 'editor-foreground': ['#3b3b3b', '#cccccc'],
  foreground: ['#3b3b3b', '#cccccc'], descriptionForeground: ['#717171', '#9d9d9d'],
  'editorWidget-background': ['#f8f8f8', '#202020'], 'editorWidget-border': ['#c8c8c8', '#454545'],
  focusBorder: ['#005fb8', '#0078d4'], 'editorWarning-foreground': ['#bf8803', '#cca700'],
  'editorInfo-foreground': ['#1a85ff', '#3794ff'], 'testing-iconPassed': ['#388a34', '#73c991'],
  'progressBar-background': ['#005fb8', '#0078d4'], 'sideBar-background': ['#f8f8f8', '#181818'],
  'panel-border': ['#e5e5e5', '#2b2b2b'], 'editorHoverWidget-background': ['#f8f8f8', '#202020'],
  'editorHoverWidget-border': ['#c8c8c8', '#454545'], 'inputValidation-warningBackground': ['#f6f5d2', '#352a05'],
  'button-background': ['#005fb8', '#0078d4'], 'button-hoverBackground': ['#0258a8', '#026ec1'],
  'button-border': ['#0000001a', '#ffffff12'], 'button-secondaryBackground': ['#e5e5e5', '#313131'],
  'button-secondaryForeground': ['#3b3b3b', '#cccccc'], 'button-secondaryHoverBackground': ['#cccccc', '#3c3c3c'],
  'input-background': ['#ffffff', '#313131'], 'input-foreground': ['#3b3b3b', '#cccccc'],
  'input-border': ['#cecece', '#3c3c3c'], 'input-placeholderForeground': ['#767676', '#989898'],
  'inputValidation-errorBackground': ['#fde7e9', '#5a1d1d'], 'dropdown-background': ['#ffffff', '#313131'],
  'dropdown-foreground': ['#3b3b3b', '#cccccc'], 'dropdown-border': ['#cecece', '#3c3c3c'],
  'dropdown-listBackground': ['#ffffff', '#1f1f1f'], 'list-hoverBackground': ['#f2f2f2', '#2a2d2e'],
  'list-activeSelectionBackground': ['#e8e8e8', '#04395e'],
  'list-activeSelectionForeground': ['#000000', '#ffffff'], 'list-focusOutline': ['#005fb8', '#0078d4'],
  'checkbox-background': ['#f8f8f8', '#313131'], 'checkbox-border': ['#cecece', '#3c3c3c'],
  'checkbox-foreground': ['#3b3b3b', '#cccccc'], 'badge-background': ['#cccccc', '#616161'],
  'badge-foreground': ['#3b3b3b', '#f8f8f8'], 'textLink-foreground': ['#005fb8', '#4daafc'],
  'textLink-activeForeground': ['#005fb8', '#4daafc'], 'titleBar-activeBackground': ['#f8f8f8', '#181818'],
  'titleBar-activeForeground': ['#1e1e1e', '#cccccc'], 'settings-textInputBackground': ['#ffffff', '#313131'],
  'settings-textInputForeground': ['#3b3b3b', '#cccccc'], 'settings-textInputBorder': ['#cecece', '#3c3c3c'],
  'icon-foreground': ['#3b3b3b', '#cccccc'], 'tab-activeForeground': ['#3b3b3b', '#ffffff'],
  'tab-inactiveForeground': ['#868686', '#9d9d9d'], 'panelTitle-activeBorder': ['#005fb8', '#0078d4'],
  'editorGroupHeader-tabsBackground': ['#f8f8f8', '#181818'], 'textCodeBlock-background': ['#f8f8f8', '#2b2b2b'],
  'settings-dropdownBackground': ['#ffffff', '#313131'], 'settings-dropdownForeground': ['#3b3b3b', '#cccccc'],
  'settings-dropdownBorder': ['#cecece', '#3c3c3c'], 'settings-dropdownListBorder': ['#c8c8c8', '#454545'],
  'settings-checkboxBackground': ['#f8f8f8', '#313131'], 'settings-checkboxBorder': ['#cecece', '#3c3c3c'],
  'settings-checkboxForeground': ['#3b3b3b', '#cccccc'], 'settings-headerBorder': ['#e5e5e5', '#2b2b2b'],
  'list-hoverForeground': ['#3b3b3b', '#cccccc'], 'list-highlightForeground': ['#0066bf', '#2aaaff'],
  'list-focusHighlightForeground': ['#0066bf', '#2aaaff'], 'widget-shadow': ['#00000029', '#0000005c'],
  'menu-background': ['#ffffff', '#1f1f1f'], 'menu-foreground': ['#3b3b3b', '#cccccc'],
  'menu-border': ['#cecece', '#454545'], 'menu-selectionBackground': ['#005fb8', '#0078d4'],
  'menu-separatorBackground': ['#e5e5e5', '#454545'], 'panel-background': ['#f8f8f8', '#181818'],
  'panelTitle-activeForeground': ['#3b3b3b', '#cccccc'], 'panelTitle-inactiveForeground': ['#3b3b3b', '#9d9d9d'],
  'sash-hoverBorder': ['#005fb8', '#0078d4'], 'scrollbar-shadow': ['#dddddd', '#000000'],
  'inputOption-activeBorder': ['#005fb8', '#2488db'], 'inputOption-activeForeground': ['#000000', '#ffffff'],
  'activityBarBadge-background': ['#005fb8', '#0078d4'],
  'sideBarSectionHeader-background': ['#f8f8f8', '#181818'], 'sideBarTitle-foreground': ['#3b3b3b', '#cccccc'],
  'tree-indentGuidesStroke': ['#a9a9a9', '#585858'],
} as const satisfies Record<string, readonly [string, string]>;

/** One theme's variables: {@link EITHER} and its side (`0` light, `1` dark) of {@link LIGHT_DARK}. */
const varsOf = (side: 0 | 1): Readonly<Record<string, string>> => ({ ...EITHER, ...Object.fromEntries(Object.entries(LIGHT_DARK).map(([k, v]) => [k, v[side]])) });

/** Light+ and Dark Modern, the variables the graph panel and the console use. */
export const THEMES = {
  light: { bodyClass: 'vscode-light', vars: varsOf(0) },
  dark: { bodyClass: 'vscode-dark', vars: varsOf(1) },
} as const satisfies Record<string, ThemeVars>;

/** `light` or `dark`. */
export type ThemeName = keyof typeof THEMES;

/** `name: value` declarations of one theme's variables (`--vscode-<name>:<value>`), joined with `;`. */
export function themeDeclarations(name: ThemeName): string {
  return Object.entries(THEMES[name].vars).map(([k, v]) => `--vscode-${k}:${v}`).join(';');
}

/**
 * The console's theme as one stylesheet text: light on `:root`, dark under `prefers-color-scheme: dark` (the
 * browser's or the system's choice). Adopted as a constructed stylesheet, so it needs no inline style (CSP).
 */
export function themeCss(): string {
  return `:root{${themeDeclarations('light')}}@media (prefers-color-scheme: dark){:root{${themeDeclarations('dark')}}}`;
}
