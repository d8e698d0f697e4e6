import type { NextFunction, Request, Response } from 'express';

/** Read and kept; a longer body is answered deny without being parsed. */
export const MAX_HOOK_BODY_BYTES = 16 * 1024;

/** What the hook routes find in `req.body`: the text, or why it is refused. Never JSON-parsed here. */
export type HookBody = { text: string } | { refused: 'too-large' | 'not-json' };

/**
 * Reads the EMQX hook routes' bodies as text before the app's JSON parser sees them (it skips a
 * request whose body is already read), so that malformed JSON, a wrong content type or an
 * oversized body reach the route and are answered deny, not 400/413 (apps/server/src/emqx).
 */
export function emqxHookBodyReader(req: Request, _res: Response, next: NextFunction): void {
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
    // Beyond the bound the rest is read and dropped (pausing would hold the socket open).
    if (size <= MAX_HOOK_BODY_BYTES) chunks.push(chunk);
  });
  // EMQX sends application/json (deploy/emqx/emqx.conf); any other type is not its request.
  const json = /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '');
  req.on('end', () =>
    finish(size > MAX_HOOK_BODY_BYTES ? { refused: 'too-large' } : json ? { text: Buffer.concat(chunks).toString('utf8') } : { refused: 'not-json' }),
  );
  req.on('error', () => finish({ refused: 'too-large' }));
}
