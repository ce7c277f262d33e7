// Every page of the console, one entry each: its route (`#/<pattern>`), its element's tag and the chunk that
// defines it (a dynamic import: each page is its own file in out/console/). A new page is a file here defining a
// ConsolePage element (page.ts) and one registerPage line below; `nav` puts it in the header (docs/console.md).
import { registerPage } from './registry.js';

registerPage({ pattern: 'signin', tag: 'baton-signin-page', title: 'Sign in', public: true, load: () => import('./signin.js') });
registerPage({ pattern: 'runs', tag: 'baton-runs-page', title: 'Runs', nav: { label: 'Runs', order: 10 }, load: () => import('./runs.js') });
registerPage({ pattern: 'inbox', tag: 'baton-inbox-page', title: 'Inbox', nav: { label: 'Inbox', order: 20 }, load: () => import('./inbox.js') });
registerPage({ pattern: 'start', tag: 'baton-start-page', title: 'Start a flow', nav: { label: 'Start', order: 30, permission: 'act' }, load: () => import('./start.js') });
registerPage({ pattern: 'start/:flow', tag: 'baton-start-page', title: 'Start a flow', load: () => import('./start.js') });
registerPage({ pattern: 'runs/:id', tag: 'baton-run-page', title: 'Run', load: () => import('./run.js') });
registerPage({ pattern: 'metrics', tag: 'baton-metrics-page', title: 'Metrics', nav: { label: 'Metrics', order: 40 }, load: () => import('./metrics.js') });
registerPage({ pattern: 'notifications', tag: 'baton-notifications-page', title: 'Notifications', nav: { label: 'Notifications', order: 60 }, load: () => import('./notifications.js') });
