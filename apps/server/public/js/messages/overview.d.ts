import type { Messages } from '../i18n.js';
export declare const OVERVIEW_MESSAGES: Messages;
