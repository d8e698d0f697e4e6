/**
 * Stable rejection reasons, recorded with every dead letter and counted in metrics. The
 * simulator's bad-input mode expects exactly these. Message-level reasons reject the whole
 * message; sample-level reasons reject one sample (or session) and the rest is stored.
 */
export const MESSAGE_REJECTIONS = [
  'payload-too-large',
  'malformed-json',
  'malformed-message',
  'unsupported-version',
  'too-many-samples',
  'bad-topic',
  'unknown-device',
  'inactive-device',
  'bad-status',
  // The database refused the message's data (a constraint or data error, not an outage): it is
  // kept as a dead letter so that it cannot block ingestion.
  'store-failed',
  // The backend failed on the message (a bug, not bad input): recorded and acknowledged, so one
  // message cannot hold up its connection's acknowledgements.
  'processing-failed',
] as const;

/** Reasons that report a server-side failure: no device input provokes them. */
export const SERVER_REJECTIONS: readonly MessageRejectionReason[] = ['store-failed', 'processing-failed'];

export const ITEM_REJECTIONS = [
  'unknown-field',
  'out-of-range',
  'bad-value',
  'bad-timestamp',
  'timestamp-in-future',
  'timestamp-too-old',
  'empty-sample',
  'malformed-sample',
  'bad-session',
] as const;

export type MessageRejectionReason = (typeof MESSAGE_REJECTIONS)[number];
export type ItemRejectionReason = (typeof ITEM_REJECTIONS)[number];
export type RejectionReason = MessageRejectionReason | ItemRejectionReason;

export const REJECTION_REASONS: readonly RejectionReason[] = [...MESSAGE_REJECTIONS, ...ITEM_REJECTIONS];

/** A bounded, printable excerpt of a payload for the dead-letter table (never the whole thing). */
export function payloadExcerpt(payload: Uint8Array | string, maxChars = 512): string {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, maxChars * 4)).toString('utf8');
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/g, '?');
  return printable.length > maxChars ? `${printable.slice(0, maxChars)}…` : printable;
}
