// The project's logger (same redaction) writing to memory, for tests that read what was logged.
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/logging/logger';

export interface CapturedLogger {
  logger: Logger;
  /** Everything logged so far, as written. */
  text(): string;
  /** Every line so far, parsed. */
  entries(): Record<string, unknown>[];
}

export function capturedLogger(level = 'info'): CapturedLogger {
  const lines: string[] = [];
  const logger = createLogger(
    { level },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  return { logger, text: () => lines.join(''), entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
