import type { Messages } from '../i18n.js';
export declare const COMMON_MESSAGES: Messages;
