/**
 * The alert rules engine (pure: no I/O, no clock; every time is an argument).
 * Services feed it samples, nights and daily means, and persist its decisions.
 * Rules, parameters and sources: docs/alert-rules.md.
 */
export * from './parameters.js';
export * from './decision.js';
export * from './calendar.js';
export * from './stats.js';
export * from './point-rules.js';
export * from './device-evaluator.js';
export * from './night-rules.js';
export * from './oximetry-baseline.js';
export * from './device-silence.js';
export * from './replay.js';
