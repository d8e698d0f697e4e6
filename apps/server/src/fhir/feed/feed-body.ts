import type { NextFunction, Request, Response } from 'express';

/** Largest inbound Bundle read (1000 Observations fit easily); a larger one is answered 413. */
export const MAX_FEED_BODY_BYTES = 1024 * 1024;

/** What `POST /fhir` finds in `req.body`: the text, or why it is refused. Parsed by the feed itself. */
export type FeedBody = { text: string } | { refused: 'too-large' | 'media-type' };

/**
 * Reads `POST /fhir` bodies as text before the app's JSON parser (which knows no
 * application/fhir+json, and would answer malformed JSON in the REST error format): the feed
 * answers malformed JSON, a wrong media type and an oversized body with an OperationOutcome.
 */
export function fhirFeedBodyReader(req: Request, _res: Response, next: NextFunction): void {
  if (req.method !== 'POST' || (req.path !== '/' && req.path !== '')) return next();
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (body: FeedBody) => {
    if (finished) return;
    finished = true;
    (req as Request & { _body?: boolean })._body = true;
    req.body = body;
    next();
  };
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_FEED_BODY_BYTES) chunks.push(chunk);
  });
  const fhirJson = /^application\/(fhir\+)?json\s*(;|$)/i.test(req.headers['content-type'] ?? '');
  req.on('end', () => finish(size > MAX_FEED_BODY_BYTES ? { refused: 'too-large' } : fhirJson ? { text: Buffer.concat(chunks).toString('utf8') } : { refused: 'media-type' }));
  req.on('error', () => finish({ refused: 'too-large' }));
}
