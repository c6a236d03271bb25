/**
 * Headless Chromium for the browser suites: Debian's chromium (or CHROMIUM_PATH) driven by
 * playwright-core. Without a Chromium the suites report themselves skipped instead of failing.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

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

/**
 * A new page that records what an offline, self-contained page must never do: a request `allowed`
 * refuses (by default, to a host other than this machine; data: and blob: URLs never leave the
 * browser) and a Content-Security-Policy violation. The suites assert both lists stay empty.
 */
export async function openWatchedPage(
  browser: Browser,
  allowed: (url: URL) => boolean = (url) => LOCAL_HOSTS.has(url.hostname),
): Promise<{ page: Page; refusedRequests: string[]; policyViolations: string[] }> {
  const refusedRequests: string[] = [];
  const policyViolations: string[] = [];
  const context = await browser.newContext();
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    if (!allowed(url)) refusedRequests.push(request.url());
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) policyViolations.push(message.text());
  });
  return { page, refusedRequests, policyViolations };
}

export const LOCAL_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);
