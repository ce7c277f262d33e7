// Every page of the console, one entry each: its route, its element and the chunk that defines it (docs/console.md).
import { registerPage } from './registry.js';

registerPage({ pattern: 'signin', tag: 'baton-signin-page', title: 'Sign in', public: true, load: () => import('./signin.js') });
registerPage({ pattern: 'runs', tag: 'baton-runs-page', title: 'Runs', nav: { label: 'Runs', order: 10 }, load: () => import('./runs.js') });
registerPage({ pattern: 'runs/:id', tag: 'baton-run-page', title: 'Run', load: () => import('./run.js') });
registerPage({ pattern: 'metrics', tag: 'baton-metrics-page', title: 'Metrics', nav: { label: 'Metrics', order: 40 }, load: () => import('./metrics.js') });
registerPage({ pattern: 'notifications', tag: 'baton-notifications-page', title: 'Notifications', nav: { label: 'Notifications', order: 60 }, load: () => import('./notifications.js') });
