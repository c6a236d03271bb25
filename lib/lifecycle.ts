/**
 * Teardown registry: every pool, client and server registers how to close itself; close() runs them
 * in reverse order of registration, so servers stop taking requests before their pools go away.
 */
import type { Logger } from './logger.js';

export class Lifecycle {
  private readonly steps: { name: string; close: () => Promise<void> | void }[] = [];
  private closing?: Promise<void>;

  constructor(private readonly logger?: Logger) {}

  add(name: string, close: () => Promise<void> | void): void {
    this.steps.push({ name, close });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        try {
          await step.close();
        } catch (err) {
          this.logger?.error({ err, step: step.name }, 'teardown step failed');
        }
      }
    })();
    return this.closing;
  }
}

/** SIGTERM/SIGINT run the teardown once, then exit; a second signal exits at once. */
export function closeOnSignals(close: () => Promise<void>, logger?: Logger): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    logger?.info({ signal }, 'shutting down');
    close().then(
      () => process.exit(0),
      (err) => {
        logger?.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
