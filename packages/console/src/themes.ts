// The `--vscode-*` variables the console (and the graph panel's stylesheet and @vscode-elements, which read them)
// is drawn with: a subset of VS Code's Light+ / Dark Modern themes, as VS Code sets them on a webview's <html>.
// The single copy: the console adopts them (themeCss), the graph panel's browser harness sets them (test/webview).

/** A theme: the class VS Code puts on a webview's <body>, and the variables (names without `--vscode-`). */
export interface ThemeVars {
  bodyClass: 'vscode-light' | 'vscode-dark';
  vars: Readonly<Record<string, string>>;
}

/** Light+ and Dark Modern, the variables the graph panel and the console use. */
export const THEMES = {
  light: {
    bodyClass: 'vscode-light',
    vars: {
      'editor-background': '#ffffff', 'editor-foreground': '#3b3b3b', foreground: '#3b3b3b', descriptionForeground: '#717171',
      'editorWidget-background': '#f8f8f8', 'editorWidget-border': '#c8c8c8', 'editorLineNumber-foreground': '#6e7681',
      focusBorder: '#005fb8', 'editorWarning-foreground': '#bf8803', 'editorInfo-foreground': '#1a85ff', errorForeground: '#f85149',
      'testing-iconPassed': '#388a34', 'testing-iconFailed': '#f14c4c', 'progressBar-background': '#005fb8', disabledForeground: '#8c8c8c',
      'sideBar-background': '#f8f8f8', 'panel-border': '#e5e5e5', 'font-family': 'system-ui, sans-serif', 'font-size': '13px',
      'editorHoverWidget-background': '#f8f8f8', 'editorHoverWidget-border': '#c8c8c8', 'inputValidation-warningBackground': '#f6f5d2', 'inputValidation-warningBorder': '#b89500',
      'font-weight': 'normal', 'editor-font-family': 'ui-monospace, Menlo, Consolas, monospace', 'editor-font-size': '13px',
      'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8', 'button-border': '#0000001a',
      'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b', 'button-secondaryHoverBackground': '#cccccc',
      'input-background': '#ffffff', 'input-foreground': '#3b3b3b', 'input-border': '#cecece', 'input-placeholderForeground': '#767676',
      'inputValidation-errorBackground': '#fde7e9', 'inputValidation-errorBorder': '#be1100',
      'dropdown-background': '#ffffff', 'dropdown-foreground': '#3b3b3b', 'dropdown-border': '#cecece', 'dropdown-listBackground': '#ffffff',
      'list-hoverBackground': '#f2f2f2', 'list-activeSelectionBackground': '#e8e8e8', 'list-activeSelectionForeground': '#000000', 'list-focusOutline': '#005fb8',
      'checkbox-background': '#f8f8f8', 'checkbox-border': '#cecece', 'checkbox-foreground': '#3b3b3b',
      'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b', 'textLink-foreground': '#005fb8', 'textLink-activeForeground': '#005fb8',
      'titleBar-activeBackground': '#f8f8f8', 'titleBar-activeForeground': '#1e1e1e', 'statusBarItem-errorBackground': '#c72e0f', 'statusBarItem-errorForeground': '#ffffff',
      'settings-textInputBackground': '#ffffff', 'settings-textInputForeground': '#3b3b3b', 'settings-textInputBorder': '#cecece',
      'icon-foreground': '#3b3b3b', 'tab-activeForeground': '#3b3b3b', 'tab-inactiveForeground': '#868686', 'panelTitle-activeBorder': '#005fb8',
      'editorGroupHeader-tabsBackground': '#f8f8f8', 'textCodeBlock-background': '#f8f8f8',
      'settings-dropdownBackground': '#ffffff', 'settings-dropdownForeground': '#3b3b3b', 'settings-dropdownBorder': '#cecece', 'settings-dropdownListBorder': '#c8c8c8',
      'settings-checkboxBackground': '#f8f8f8', 'settings-checkboxBorder': '#cecece', 'settings-checkboxForeground': '#3b3b3b', 'settings-headerBorder': '#e5e5e5',
      'list-hoverForeground': '#3b3b3b', 'list-highlightForeground': '#0066bf', 'list-focusHighlightForeground': '#0066bf', 'widget-shadow': '#00000029',
      'menu-background': '#ffffff', 'menu-foreground': '#3b3b3b', 'menu-border': '#cecece', 'menu-selectionBackground': '#005fb8', 'menu-selectionForeground': '#ffffff', 'menu-separatorBackground': '#e5e5e5',
      'panel-background': '#f8f8f8', 'panelTitle-activeForeground': '#3b3b3b', 'panelTitle-inactiveForeground': '#3b3b3b', 'sash-hoverBorder': '#005fb8', 'scrollbar-shadow': '#dddddd',
      'inputOption-activeBorder': '#005fb8', 'inputOption-activeForeground': '#000000', 'activityBarBadge-background': '#005fb8', 'activityBarBadge-foreground': '#ffffff', 'editor-font-weight': 'normal',
      'sideBarSectionHeader-background': '#f8f8f8', 'sideBarTitle-foreground': '#3b3b3b', 'tree-indentGuidesStroke': '#a9a9a9',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      'editor-background': '#1f1f1f', 'editor-foreground': '#cccccc', foreground: '#cccccc', descriptionForeground: '#9d9d9d',
      'editorWidget-background': '#202020', 'editorWidget-border': '#454545', 'editorLineNumber-foreground': '#6e7681',
      focusBorder: '#0078d4', 'editorWarning-foreground': '#cca700', 'editorInfo-foreground': '#3794ff', errorForeground: '#f85149',
      'testing-iconPassed': '#73c991', 'testing-iconFailed': '#f14c4c', 'progressBar-background': '#0078d4', disabledForeground: '#8c8c8c',
      'sideBar-background': '#181818', 'panel-border': '#2b2b2b', 'font-family': 'system-ui, sans-serif', 'font-size': '13px',
      'editorHoverWidget-background': '#202020', 'editorHoverWidget-border': '#454545', 'inputValidation-warningBackground': '#352a05', 'inputValidation-warningBorder': '#b89500',
      'font-weight': 'normal', 'editor-font-family': 'ui-monospace, Menlo, Consolas, monospace', 'editor-font-size': '13px',
      'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1', 'button-border': '#ffffff12',
      'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc', 'button-secondaryHoverBackground': '#3c3c3c',
      'input-background': '#313131', 'input-foreground': '#cccccc', 'input-border': '#3c3c3c', 'input-placeholderForeground': '#989898',
      'inputValidation-errorBackground': '#5a1d1d', 'inputValidation-errorBorder': '#be1100',
      'dropdown-background': '#313131', 'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c', 'dropdown-listBackground': '#1f1f1f',
      'list-hoverBackground': '#2a2d2e', 'list-activeSelectionBackground': '#04395e', 'list-activeSelectionForeground': '#ffffff', 'list-focusOutline': '#0078d4',
      'checkbox-background': '#313131', 'checkbox-border': '#3c3c3c', 'checkbox-foreground': '#cccccc',
      'badge-background': '#616161', 'badge-foreground': '#f8f8f8', 'textLink-foreground': '#4daafc', 'textLink-activeForeground': '#4daafc',
      'titleBar-activeBackground': '#181818', 'titleBar-activeForeground': '#cccccc', 'statusBarItem-errorBackground': '#c72e0f', 'statusBarItem-errorForeground': '#ffffff',
      'settings-textInputBackground': '#313131', 'settings-textInputForeground': '#cccccc', 'settings-textInputBorder': '#3c3c3c',
      'icon-foreground': '#cccccc', 'tab-activeForeground': '#ffffff', 'tab-inactiveForeground': '#9d9d9d', 'panelTitle-activeBorder': '#0078d4',
      'editorGroupHeader-tabsBackground': '#181818', 'textCodeBlock-background': '#2b2b2b',
      'settings-dropdownBackground': '#313131', 'settings-dropdownForeground': '#cccccc', 'settings-dropdownBorder': '#3c3c3c', 'settings-dropdownListBorder': '#454545',
      'settings-checkboxBackground': '#313131', 'settings-checkboxBorder': '#3c3c3c', 'settings-checkboxForeground': '#cccccc', 'settings-headerBorder': '#2b2b2b',
      'list-hoverForeground': '#cccccc', 'list-highlightForeground': '#2aaaff', 'list-focusHighlightForeground': '#2aaaff', 'widget-shadow': '#0000005c',
      'menu-background': '#1f1f1f', 'menu-foreground': '#cccccc', 'menu-border': '#454545', 'menu-selectionBackground': '#0078d4', 'menu-selectionForeground': '#ffffff', 'menu-separatorBackground': '#454545',
      'panel-background': '#181818', 'panelTitle-activeForeground': '#cccccc', 'panelTitle-inactiveForeground': '#9d9d9d', 'sash-hoverBorder': '#0078d4', 'scrollbar-shadow': '#000000',
      'inputOption-activeBorder': '#2488db', 'inputOption-activeForeground': '#ffffff', 'activityBarBadge-background': '#0078d4', 'activityBarBadge-foreground': '#ffffff', 'editor-font-weight': 'normal',
      'sideBarSectionHeader-background': '#181818', 'sideBarTitle-foreground': '#cccccc', 'tree-indentGuidesStroke': '#585858',
    },
  },
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
