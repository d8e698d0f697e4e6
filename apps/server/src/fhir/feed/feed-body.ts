import { textBodyReader, type TextBody } from '../../common/text-body-reader.js';

/** Largest inbound Bundle read (1000 Observations fit easily); a larger one is answered 413. */
export const MAX_FEED_BODY_BYTES = 1024 * 1024;

/** What `POST /fhir` finds in `req.body`: the text, or why it is refused. Parsed by the feed itself. */
export type FeedBody = TextBody<'media-type'>;

/**
 * Reads `POST /fhir` bodies as text before the app's JSON parser (which knows no
 * application/fhir+json, and would answer malformed JSON in the REST error format): the feed
 * answers malformed JSON, a wrong media type and an oversized body with an OperationOutcome.
 */
export const fhirFeedBodyReader = textBodyReader({
  maxBytes: MAX_FEED_BODY_BYTES,
  contentType: /^application\/(fhir\+)?json\s*(;|$)/i,
  typeRefusal: 'media-type',
  applies: (req) => req.method === 'POST' && (req.path === '/' || req.path === ''),
});
