/**
 * The live orders page (GET /live/orders) in headless Chromium on the real platform: opened with a
 * customer's token, it lists their orders and shows a status change an admin makes, pushed over the
 * WebSocket API, with no request leaving this machine and no Content-Security-Policy violation.
 */
import type { Browser, Page } from 'playwright-core';
import { testToken } from '../../gateway/testing/testTokens.js';
import { describeWithChromium, launchChromium, openWatchedPage } from '../support/browser.js';
import { as, startTestPlatform, TEST_JWT_SECRET, type TestPlatform } from '../support/platform.js';

const SETUP_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 45_000;

describeWithChromium('the live orders page at GET /live/orders', () => {
  let platform: TestPlatform;
  let browser: Browser;
  let page: Page;
  let orderId: string;
  const admin = as('page-admin', 'products:write', 'orders:admin');
  let externalRequests: string[] = [];
  let policyViolations: string[] = [];

  beforeAll(async () => {
    platform = await startTestPlatform();
    const created = await platform.graphql(
      `mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
      { input: { sku: 'PAGE-0001', name: 'Page lamp', description: 'For the live page test', category: 'Testing', priceCents: 2500, stock: 5 } },
      admin,
    );
    const placed = await platform.graphql(
      `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
      { input: { idempotencyKey: 'page-1', items: [{ productId: created.body.data.createProduct.id, quantity: 1 }] } },
      as('page-customer'),
    );
    expect(placed.body.errors).toBeUndefined();
    orderId = placed.body.data.placeOrder.id;
    browser = await launchChromium();
    ({ page, refusedRequests: externalRequests, policyViolations } = await openWatchedPage(browser));
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
  }, SETUP_TIMEOUT_MS);

  const statusOf = (id: string) => page.locator(`tr[data-order-id="${id}"] td.status`);

  it('shows the customer\'s orders and a status change an admin makes, live', async () => {
    const token = testToken({ sub: 'page-customer' }, TEST_JWT_SECRET);
    const response = await page.goto(`${platform.gateway.url}/live/orders#token=${token}`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'Live', undefined, { timeout: 15_000 });
    expect(await statusOf(orderId).textContent()).toBe('PENDING');

    const moved = await platform.graphql(`mutation { updateOrderStatus(id: "${orderId}", status: PAID) { status } }`, {}, admin);
    expect(moved.body.errors).toBeUndefined();
    await page.waitForFunction(
      (id) => document.querySelector(`tr[data-order-id="${id}"] td.status`)?.textContent === 'PAID',
      orderId,
      { timeout: 15_000 },
    );
    expect(externalRequests).toEqual([]);
    expect(policyViolations).toEqual([]);
  }, STEP_TIMEOUT_MS);
});
