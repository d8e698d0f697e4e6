import { pino, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import type { AppConfig } from '../config/app-config.js';

/** Log keys that may carry secrets or patient data: never written (STYLE.md §7). */
export const LOG_REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.body.password',
  '*.password',
  '*.secret',
  '*.displayName',
  '*.ins',
  '*.token',
];

/**
 * The process's one pino logger: the start-up steps before the Nest application exists (embedded
 * services, migrations) log through it, and so does everything after (nestjs-pino's Logger, which
 * Nest's own messages and every `new Logger(context)` go through, wraps it). JSON, one object per
 * line, or pino-pretty's readable lines (config.logFormat); either way written synchronously, so a
 * line logged just before process.exit() is not lost.
 */
export function createAppLogger(
  config: Pick<AppConfig, 'logLevel' | 'logFormat'>,
  stdoutIsTTY = process.stdout.isTTY === true,
): Logger {
  const options: LoggerOptions = { level: config.logLevel, redact: { paths: LOG_REDACT, censor: '[redacted]' } };
  if (config.logFormat === 'json') return pino(options, pino.destination({ dest: 1, sync: true }));
  return pino(
    options,
    pretty({
      destination: 1,
      sync: true,
      // Colours only for a terminal: piped output (a file, a test reading it) stays plain text.
      colorize: stdoutIsTTY,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,context',
      messageFormat: '{if context}[{context}] {end}{msg}',
    }),
  );
}
