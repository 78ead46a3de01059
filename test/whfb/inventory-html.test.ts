// The HTML report in a real browser (Debian's chromium, headless, driven by playwright-core): it renders
// without console or page errors, its tables hold the counts, and each chart draws one bar per value.
import { existsSync } from 'node:fs';
import t from 'tap';
import { chromium, type Browser } from 'playwright-core';
import { openScanner } from '../../src/directory/index.js';
import { buildInventory, renderInventoryHtml } from '../../src/inventory/index.js';
import { WORLD_LDIF, world } from './world.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
let browser: Browser | undefined;

t.before(async () => {
  if (!CHROMIUM) throw new Error('chromium not found: install Debian\'s chromium (bash scripts/ensure-test-servers.sh does)');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
t.teardown(() => browser?.close());

t.test('the inventory report renders its tables and charts without errors', async (t) => {
  const scanner = await openScanner({ url: `ldif:${WORLD_LDIF}` });
  const report = await buildInventory(scanner, { now: new Date(world.referenceTime), staleDays: world.staleDays });
  const page = await browser!.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.setContent(renderInventoryHtml(report), { waitUntil: 'load' });
  t.same(problems, [], 'no console errors, page errors or failed requests');
  t.equal(await page.locator('#findings tbody tr').count(), report.findings.length, 'one row per finding');
  t.equal(await page.locator('#device-counts tr', { hasText: 'disabled' }).locator('td').innerText(), String(report.devices.disabled));
  for (const id of ['chart-device-status', 'chart-trust-type', 'chart-key-age', 'chart-key-problems']) {
    const chart = page.locator(`#${id}`);
    const box = await chart.boundingBox();
    t.ok(box && box.width > 100 && box.height > 50, `${id} is laid out`);
    t.ok((await chart.locator('rect.bar').count()) >= 2, `${id} has bars`);
  }
  // The widest bar of "Devices by status" is the largest count (enabled devices).
  const widths = await page.locator('#chart-device-status rect.bar').evaluateAll((rects) => rects.map((r) => (r as unknown as { getBBox(): { width: number } }).getBBox().width));
  t.equal(widths.indexOf(Math.max(...widths)), 0, 'bars are drawn to scale');
  await page.screenshot({ path: new URL('../../.tap/inventory-report.png', import.meta.url).pathname, fullPage: true });
  await page.close();
});
