/**
 * A pino logger whose lines tests can read: every line is kept, parsed, in memory.
 */
import { pino } from 'pino';
import type { Logger } from '../../lib/logger.js';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface CapturedLogger {
  logger: Logger;
  lines: LogLine[];
  /** Lines whose message matches, oldest first. */
  matching(pattern: RegExp): LogLine[];
  /** Called as each line is written, inside the code that logs it. */
  onLine?: (line: LogLine) => void;
}

/** pino's numeric levels, for assertions. */
export const LOG_LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export function captureLogs(level = 'info'): CapturedLogger {
  const lines: LogLine[] = [];
  // pino writes each line with one synchronous write() call.
  const destination = {
    write(text: string) {
      if (!text.trim()) return;
      const line = JSON.parse(text) as LogLine;
      lines.push(line);
      captured.onLine?.(line);
    },
  };
  const captured: CapturedLogger = {
    logger: pino({ level, base: { service: 'gateway' } }, destination),
    lines,
    matching: (pattern) => lines.filter((line) => pattern.test(line.msg)),
  };
  return captured;
}
