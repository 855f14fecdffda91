/**
 * pino JSON logs. Secrets never reach a log line: known secret fields are censored by path, and
 * `redactSecrets` strips credentials embedded in URLs and Authorization values from free text.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'config.githubToken',
  'githubToken',
  'secretAccessKey',
  '*.secretAccessKey',
];

export interface LoggerOptions {
  level: string;
  /**
   * Destination stream. Default: stdout, written asynchronously — lines logged while a write is in
   * flight go out together in the next one, and pino flushes what is left when the process exits.
   * At most `STDOUT_BUFFER_MAX` bytes wait: a stalled log reader costs log lines, never the
   * proxy's memory or its latency.
   */
  destination?: NodeJS.WritableStream;
}

const STDOUT_BUFFER_MAX = 16 * 1024 * 1024;

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'stoa' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false, maxLength: STDOUT_BUFFER_MAX }),
  );
}

/** Removes `user:pass@` from URLs and the value of Basic/Bearer credentials in free text. */
export function redactSecrets(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1[redacted]@')
    .replace(/\b(Basic|Bearer|token)\s+[A-Za-z0-9+/=._~-]{8,}/g, '$1 [redacted]');
}
