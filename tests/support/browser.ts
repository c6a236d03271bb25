/**
 * Headless Chromium for the browser suites: Debian's chromium (or CHROMIUM_PATH) driven by
 * playwright-core. Without a Chromium the suites report themselves skipped instead of failing.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find(
  (p): p is string => !!p && existsSync(p),
);

/** `describe` when Chromium is there, `describe.skip` with a line saying why otherwise. */
export function describeWithChromium(name: string, body: () => void): void {
  if (!chromiumPath) {
    console.warn(`skipped "${name}": no Chromium found (set CHROMIUM_PATH or install chromium)`);
    describe.skip(name, body);
    return;
  }
  describe(name, body);
}

/** Flags that keep Chromium from reaching out on its own (this machine's network is closed). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
