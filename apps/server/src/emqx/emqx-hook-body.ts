import type { NextFunction, Request, Response } from 'express';

/** Read and kept; a longer body is answered deny without being parsed. */
export const MAX_HOOK_BODY_BYTES = 16 * 1024;
/** Past this the connection is not read further (the answer is deny, then the socket closes). */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

/** What the hook routes find in `req.body`: the text, or `tooLarge`. Never JSON-parsed here. */
export type HookBody = { text: string } | { tooLarge: true };

/**
 * Reads the EMQX hook routes' bodies as text before the app's JSON parser sees them (it skips a
 * request whose body is already read), so that malformed JSON, a wrong content type or an
 * oversized body reach the route and are answered deny, not 400/413 (apps/server/src/emqx).
 */
export function emqxHookBodyReader(req: Request, res: Response, next: NextFunction): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (body: HookBody) => {
    if (finished) return;
    finished = true;
    (req as Request & { _body?: boolean })._body = true;
    req.body = body;
    next();
  };
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_HOOK_BODY_BYTES) chunks.push(chunk);
    else if (size > DRAIN_LIMIT_BYTES) {
      res.setHeader('connection', 'close');
      req.pause();
      finish({ tooLarge: true });
    }
  });
  req.on('end', () => finish(size > MAX_HOOK_BODY_BYTES ? { tooLarge: true } : { text: Buffer.concat(chunks).toString('utf8') }));
  req.on('error', () => finish({ tooLarge: true }));
}
