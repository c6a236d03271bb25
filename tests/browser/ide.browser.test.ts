/**
 * The browser IDE end to end, in headless Chromium: GET /graphql on a real gateway in front of two
 * small subgraphs, type a query, run it, read the result pane. The page must work with no internet
 * access, so any request to a host other than this machine fails the test.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createLogger } from '../../lib/logger.js';
import { loadGatewayConfig } from '../../gateway/config.js';
import { startGateway, type RunningGateway } from '../../gateway/server.js';
import { startTestSupergraph, type TestSupergraph } from '../../gateway/testing/testSubgraphs.js';
import { bearer } from '../../gateway/testing/testTokens.js';
import { describeWithChromium, launchChromium } from '../support/browser.js';


// Set per hook and test: the page is ~9 MB and a loaded machine makes Chromium slow.
const SETUP_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 45_000;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

describeWithChromium('the GraphQL IDE at GET /graphql', () => {
  let supergraph: TestSupergraph;
  let gateway: RunningGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const externalRequests: string[] = [];
  const graphqlPosts: { contentType?: string; body: string }[] = [];
  const policyViolations: string[] = [];

  beforeAll(async () => {
    supergraph = await startTestSupergraph();
    const config = loadGatewayConfig({
      GATEWAY_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      SUPERGRAPH_CONFIG: supergraph.configPath,
      SUBGRAPH_URLS: `catalog=${supergraph.subgraphUrls.catalog},inventory=${supergraph.subgraphUrls.inventory}`,
    });
    gateway = await startGateway(config, { logger: createLogger('gateway', 'silent') });
    browser = await launchChromium();
    context = await browser.newContext();
    // Every request of the page and its workers; blob: and data: URLs never leave the browser.
    context.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol === 'blob:' || url.protocol === 'data:') return;
      if (!LOCAL_HOSTS.has(url.hostname)) externalRequests.push(request.url());
      if (url.pathname === '/graphql' && request.method() === 'POST') {
        graphqlPosts.push({ contentType: request.headers()['content-type'], body: request.postData() ?? '' });
      }
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) policyViolations.push(message.text());
    });
    const response = await page.goto(gateway.graphqlUrl, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    await page.waitForSelector('button.graphiql-execute-button');
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await supergraph?.close();
  }, SETUP_TIMEOUT_MS);

  const QUERY_EDITOR = '.graphiql-query-editor .monaco-editor';
  const HEADERS_EDITOR = '.monaco-editor[data-uri$="headers.json"]';
  const RESULT_PANE = '.result-window';

  /** The text of a Monaco editor; it renders spaces as no-break spaces. */
  async function editorText(editorSelector: string): Promise<string> {
    return (await page.locator(`${editorSelector} .view-lines`).innerText()).replace(/\u00a0/g, ' ');
  }

  /**
   * Replaces the text of a Monaco editor the way a user would: focus, select all, type. Monaco renders
   * its lines after the input, later on a busy machine, so the text is waited for (up to 5 s); a
   * second try covers a click that landed before the editor took focus.
   */
  async function typeInto(editorSelector: string, text: string): Promise<void> {
    let shown = '';
    for (let attempt = 0; attempt < 2 && shown !== text; attempt++) {
      await page.click(editorSelector);
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText(text);
      shown = await editorText(editorSelector);
      for (const deadline = Date.now() + 5_000; shown !== text && Date.now() < deadline; shown = await editorText(editorSelector)) {
        await page.waitForTimeout(50);
      }
    }
    expect(shown).toBe(text);
  }

  async function resultContaining(text: string): Promise<unknown> {
    try {
      await page.waitForFunction(
        ({ pane, expected }) =>
          (document.querySelector(`${pane} .view-lines`) as HTMLElement | null)?.innerText
            .replace(/\u00a0/g, ' ')
            .includes(expected),
        { pane: RESULT_PANE, expected: text },
        { timeout: 15_000 },
      );
    } catch (err) {
      const shown = await editorText(RESULT_PANE).catch(() => '(no result pane)');
      throw new Error(`the result pane never showed "${text}"; it shows: ${shown}`, { cause: err });
    }
    return JSON.parse(await editorText(RESULT_PANE));
  }

  it('runs a typed query across both subgraphs and shows the result', async () => {
    await typeInto(QUERY_EDITOR, '{ product(id: "p1") { name stock } }');
    await page.click('button.graphiql-execute-button');
    expect(await resultContaining('Espresso Cup')).toEqual({ data: { product: { name: 'Espresso Cup', stock: 12 } } });
  }, STEP_TIMEOUT_MS);

  it('sends the headers typed in the Headers tab (Ctrl+Enter to run)', async () => {
    await page.getByRole('button', { name: 'Headers', exact: true }).click();
    await typeInto(HEADERS_EDITOR, JSON.stringify({ Authorization: bearer('ide-user-1').authorization }));
    await typeInto(QUERY_EDITOR, '{ caller { subject } }');
    await page.keyboard.press('ControlOrMeta+Enter');
    expect(await resultContaining('ide-user-1')).toEqual({ data: { caller: { subject: 'ide-user-1' } } });
  }, STEP_TIMEOUT_MS);

  it('posts JSON (which CSRF prevention lets through) and never leaves this machine', () => {
    expect(graphqlPosts.length).toBeGreaterThanOrEqual(3); // introspection and the two queries
    for (const post of graphqlPosts) expect(post.contentType).toMatch(/^application\/json/);
    expect(externalRequests).toEqual([]);
    expect(policyViolations).toEqual([]);
  });
});
