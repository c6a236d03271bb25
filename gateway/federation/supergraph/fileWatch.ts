/**
 * Tells when a set of files may have changed. It watches their directories rather than the files:
 * editors save by writing a new file and renaming it over the old one, and Kubernetes swaps a
 * ConfigMap by replacing a symlink, and a watch on the file itself misses both. Every event in a
 * watched directory counts; the caller compares contents, so unrelated events cost a cheap re-read.
 * Events are debounced (a save is several events), and polling covers file systems without events.
 */
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../lib/logger.js';

export type FileWatchTrigger = 'event' | 'poll';

export interface FileWatchOptions {
  /** The files whose changes matter; their directories are watched. */
  files: readonly string[];
  /** Called once events have settled, and on every poll. */
  onChange: (trigger: FileWatchTrigger) => void;
  /** Quiet time after the last event before `onChange`. @default 100 */
  debounceMs?: number;
  /** Longest delay of `onChange` under a steady stream of events. @default 1000 */
  maxWaitMs?: number;
  /** Also call `onChange` every this many ms; 0 = events only. @default 0 */
  pollMs?: number;
  /** Poll interval used when a directory cannot be watched. @default 1000 */
  fallbackPollMs?: number;
  logger?: Logger;
}

export interface FileWatch {
  /** Replaces the watched files (directories no longer needed are released). */
  setFiles(files: readonly string[]): void;
  close(): void;
}

export function watchFiles(options: FileWatchOptions): FileWatch {
  const debounceMs = options.debounceMs ?? 100;
  const maxWaitMs = options.maxWaitMs ?? 1_000;
  const watchers = new Map<string, FSWatcher>();
  let debounce: NodeJS.Timeout | undefined;
  let firstEventAt = 0;
  let poll: NodeJS.Timeout | undefined;
  let pollEvery = 0;
  let closed = false;

  const fire = (trigger: FileWatchTrigger) => {
    if (!closed) options.onChange(trigger);
  };

  const onEvent = () => {
    if (closed) return;
    const now = Date.now();
    if (!debounce) firstEventAt = now;
    clearTimeout(debounce);
    const wait = Math.max(0, Math.min(debounceMs, firstEventAt + maxWaitMs - now));
    debounce = setTimeout(() => {
      debounce = undefined;
      fire('event');
    }, wait);
    debounce.unref();
  };

  const pollAt = (ms: number) => {
    if (ms <= 0 || (poll && pollEvery <= ms)) return;
    clearInterval(poll);
    pollEvery = ms;
    poll = setInterval(() => fire('poll'), ms);
    poll.unref();
  };

  const fallBackToPolling = (dir: string, err: unknown) => {
    const fallbackMs = options.fallbackPollMs ?? 1_000;
    options.logger?.warn(
      { dir, reason: (err as NodeJS.ErrnoException)?.code ?? String(err), pollMs: fallbackMs },
      'cannot watch directory for changes; polling it instead',
    );
    pollAt(fallbackMs);
  };

  const setFiles = (files: readonly string[]) => {
    if (closed) return;
    const dirs = new Set(files.map((file) => path.dirname(path.resolve(file))));
    for (const [dir, watcher] of watchers) {
      if (!dirs.has(dir)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (watchers.has(dir)) continue;
      try {
        // Not persistent: watching alone must not keep the process alive.
        const watcher = watch(dir, { persistent: false }, onEvent);
        watcher.on('error', (err) => {
          watcher.close();
          watchers.delete(dir);
          fallBackToPolling(dir, err);
        });
        watchers.set(dir, watcher);
      } catch (err) {
        fallBackToPolling(dir, err);
      }
    }
  };

  pollAt(options.pollMs ?? 0);
  setFiles(options.files);

  return {
    setFiles,
    close() {
      closed = true;
      clearTimeout(debounce);
      clearInterval(poll);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
