// The notification dispatcher's bundle (out/notify.mjs), loaded by load-notify.ts when notifications are configured.
export { NotificationDispatcher } from './dispatcher.js';
