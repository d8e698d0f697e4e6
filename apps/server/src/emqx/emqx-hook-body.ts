import { textBodyReader, type TextBody } from '../common/text-body-reader.js';

/** Read and kept; a longer body is answered deny without being parsed. */
export const MAX_HOOK_BODY_BYTES = 16 * 1024;

/** What the hook routes find in `req.body`: the text, or why it is refused. Never JSON-parsed here. */
export type HookBody = TextBody<'not-json'>;

/**
 * Reads the EMQX hook routes' bodies as text before the app's JSON parser sees them, so that
 * malformed JSON, a wrong content type or an oversized body reach the route and are answered
 * deny, not 400/413 (apps/server/src/emqx). EMQX sends application/json (deploy/emqx/emqx.conf);
 * any other type is not its request.
 */
export const emqxHookBodyReader = textBodyReader({ maxBytes: MAX_HOOK_BODY_BYTES, contentType: /^application\/json\s*(;|$)/i, typeRefusal: 'not-json' });
