import type { NextFunction, Request, Response } from 'express';

/** What a route read by textBodyReader finds in `req.body`: the text, or why it is refused. */
export type TextBody<Refusal extends string> = { text: string } | { refused: 'too-large' | Refusal };

/**
 * Express middleware that reads a request's body as text before the app's JSON parser sees it
 * (that parser skips a request whose body is already read), so the route itself answers
 * malformed JSON, a wrong media type or an oversized body in its own format. Beyond `maxBytes`
 * the rest is read and dropped (pausing would hold the socket open); a body whose content type
 * does not match `contentType` is refused with `typeRefusal`.
 */
export function textBodyReader<Refusal extends string>(options: {
  maxBytes: number;
  contentType: RegExp;
  typeRefusal: Refusal;
  /** Only these requests are read; the others go on untouched. */
  applies?: (req: Request) => boolean;
}): (req: Request, res: Response, next: NextFunction) => void {
  return (req, _res, next) => {
    if (options.applies && !options.applies(req)) return next();
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const finish = (body: TextBody<Refusal>) => {
      if (finished) return;
      finished = true;
      (req as Request & { _body?: boolean })._body = true;
      req.body = body;
      next();
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= options.maxBytes) chunks.push(chunk);
    });
    const typed = options.contentType.test(req.headers['content-type'] ?? '');
    req.on('end', () =>
      finish(size > options.maxBytes ? { refused: 'too-large' } : typed ? { text: Buffer.concat(chunks).toString('utf8') } : { refused: options.typeRefusal }),
    );
    req.on('error', () => finish({ refused: 'too-large' }));
  };
}
