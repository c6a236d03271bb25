import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { watchFiles, type FileWatch, type FileWatchTrigger } from './fileWatch.js';
import { captureLogs } from '../../testing/logCapture.js';

let dir: string;
let watch: FileWatch | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'file-watch-test-'));
});

afterEach(async () => {
  watch?.close();
  watch = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('watchFiles', () => {
  it('reports a burst of writes once, after it settles, including a rename over the file', async () => {
    const file = path.join(dir, 'supergraph.graphql');
    await writeFile(file, 'one');
    const calls: FileWatchTrigger[] = [];
    // Generous quiet time, so a slow machine still sees the four writes as one burst.
    watch = watchFiles({ files: [file], onChange: (trigger) => calls.push(trigger), debounceMs: 500, maxWaitMs: 5_000 });

    await writeFile(file, 'tw');
    await writeFile(file, 'two');
    await writeFile(`${file}.tmp`, 'three');
    await rename(`${file}.tmp`, file);
    await waitFor('the change', () => calls.length > 0);
    // Nothing else is written: no second call follows.
    await pause(700);
    expect(calls).toEqual(['event']);
  });

  it('follows the files it is given: a directory no longer listed is released', async () => {
    await mkdir(path.join(dir, 'a'));
    await mkdir(path.join(dir, 'b'));
    let calls = 0;
    watch = watchFiles({ files: [path.join(dir, 'a', 'x.graphql')], onChange: () => calls++, debounceMs: 20 });

    watch.setFiles([path.join(dir, 'b', 'y.graphql')]);
    await writeFile(path.join(dir, 'a', 'x.graphql'), 'ignored');
    await pause(300);
    expect(calls).toBe(0);
    await writeFile(path.join(dir, 'b', 'y.graphql'), 'seen');
    await waitFor('the change in b', () => calls > 0);
  });

  it('polls when asked, and falls back to polling (with a warning) for a directory it cannot watch', async () => {
    const polls: FileWatchTrigger[] = [];
    watch = watchFiles({ files: [path.join(dir, 'f')], onChange: (t) => polls.push(t), pollMs: 30 });
    await waitFor('two polls', () => polls.filter((t) => t === 'poll').length >= 2);
    watch.close();

    const logs = captureLogs();
    const fallback: FileWatchTrigger[] = [];
    watch = watchFiles({
      files: [path.join(dir, 'missing', 'supergraph.graphql')],
      onChange: (t) => fallback.push(t),
      fallbackPollMs: 30,
      logger: logs.logger,
    });
    expect(logs.matching(/cannot watch directory/)).toEqual([
      expect.objectContaining({ dir: path.join(dir, 'missing'), reason: 'ENOENT', pollMs: 30 }),
    ]);
    await waitFor('a fallback poll', () => fallback.includes('poll'));
  });

  it('calls nothing after close', async () => {
    const file = path.join(dir, 'supergraph.graphql');
    let calls = 0;
    watch = watchFiles({ files: [file], onChange: () => calls++, debounceMs: 10, pollMs: 20 });
    watch.close();
    await writeFile(file, 'after close');
    await pause(200);
    expect(calls).toBe(0);
  });
});
