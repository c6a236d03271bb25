/**
 * The documentation pages in headless Chromium: open GET /docs on a real gateway, follow the links
 * to the schema reference and into a type's section, and check that nothing is loaded from
 * anywhere but this gateway and that the page breaks no Content-Security-Policy rule.
 */
import type { Browser, Page } from 'playwright-core';
import { createLogger } from '../../lib/logger.js';
import { loadGatewayConfig } from '../../gateway/config.js';
import { startGateway, type RunningGateway } from '../../gateway/server.js';
import { startTestSupergraph, type TestSupergraph } from '../../gateway/testing/testSubgraphs.js';
import { describeWithChromium, launchChromium, openWatchedPage } from '../support/browser.js';


const SETUP_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 45_000;

describeWithChromium('the documentation at GET /docs', () => {
  let supergraph: TestSupergraph;
  let gateway: RunningGateway;
  let browser: Browser;
  let page: Page;
  let otherOrigins: string[] = [];
  let policyViolations: string[] = [];

  beforeAll(async () => {
    supergraph = await startTestSupergraph();
    const config = loadGatewayConfig({
      GATEWAY_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      SUPERGRAPH_CONFIG: supergraph.configPath,
      SUBGRAPH_URLS: `catalog=${supergraph.subgraphUrls.catalog},inventory=${supergraph.subgraphUrls.inventory}`,
      SUPERGRAPH_WATCH: 'false',
      REST_ROUTES: '',
    });
    gateway = await startGateway(config, { logger: createLogger('gateway', 'silent') });
    browser = await launchChromium();
    ({ page, refusedRequests: otherOrigins, policyViolations } = await openWatchedPage(browser, (url) => url.origin === gateway.url));
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await supergraph?.close();
  }, SETUP_TIMEOUT_MS);

  it('opens the overview and follows links to a type of the schema reference', async () => {
    const response = await page.goto(`${gateway.url}/docs`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(await page.locator('h1').innerText()).toBe('Overview');

    await page.getByRole('link', { name: 'GraphQL schema reference' }).click();
    await page.waitForURL(`${gateway.url}/docs/schema`);
    expect(await page.locator('h1').innerText()).toBe('GraphQL schema reference');

    // From the Query type's field to the type it returns.
    await page.locator('#type-Query').getByRole('link', { name: 'Product' }).first().click();
    await page.waitForURL(/#type-Product$/);
    expect(await page.locator('#type-Product h3').innerText()).toMatch(/^Product/);
    expect(await page.locator('#type-Product').innerText()).toContain('stock');
  }, STEP_TIMEOUT_MS);

  it('loads nothing from elsewhere and breaks no content policy', async () => {
    await page.goto(`${gateway.url}/docs/getting-started`, { waitUntil: 'load' });
    expect(await page.locator('pre').first().innerText()).toContain('npm run token');
    expect(otherOrigins).toEqual([]);
    expect(policyViolations).toEqual([]);
  });
});
