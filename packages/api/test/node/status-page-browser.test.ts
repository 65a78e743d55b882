import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDir, type LocalWorker, startLocalWorker } from './local-worker';
import { DEMO, demoPageSql } from './status-page-seed';

// The public status page in a real browser (Debian's Chromium, driven by playwright-core), on
// the Worker as `wrangler dev` serves it: at a phone's width and a desktop's, the banner,
// components and status words must be visible, the 90 bars must fit, and a focused day must
// show its tooltip. Screenshots land in packages/api/test-artifacts/ for a human to look at.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(apiDir, 'test-artifacts');
const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 900 },
] as const;

let worker: LocalWorker | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: install it with \`apt-get install -y chromium\` ` +
        '(Debian; .ci/run does this) or point CHROMIUM_PATH at a Chromium binary.',
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  worker = await startLocalWorker(demoPageSql(Date.now()));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

async function openPage(viewport: { width: number; height: number }, colorScheme?: 'dark') {
  if (!browser || !worker) throw new Error('setup failed');
  const context = await browser.newContext({
    viewport,
    colorScheme: colorScheme ?? 'light',
    javaScriptEnabled: false, // the page must work without any script
  });
  const page = await context.newPage();
  const res = await page.goto(`${worker.baseUrl}/status/${DEMO.subdomain}`);
  expect(res?.status()).toBe(200);
  return page;
}

async function expectReadable(page: Page) {
  const banner = page.locator('section[aria-labelledby="current-status-heading"]');
  await expect.poll(() => banner.getByText(DEMO.openIncident).isVisible()).toBe(true);
  expect(await banner.getByText('Minor incident').isVisible()).toBe(true);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(DEMO.pageName);
  const list = page.locator('ul.components');
  for (const name of [DEMO.expandedGroup, DEMO.collapsedGroup, ...DEMO.visibleComponents]) {
    expect(await list.getByText(name, { exact: true }).first().isVisible(), name).toBe(true);
  }
  expect(await list.getByText('Degraded Performance').first().isVisible()).toBe(true);
  expect(await list.getByText('Operational').first().isVisible()).toBe(true);
  // The collapsed group hides its children until opened.
  const cdn = list.getByText(DEMO.collapsedComponent, { exact: true });
  expect(await cdn.isVisible()).toBe(false);
  // Nothing wider than the screen: 90 thinner bars, not a horizontal scroll.
  // Expressions as strings: they run in the page, and this Node project has no DOM types.
  const overflow = Number(
    await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    ),
  );
  expect(overflow).toBeLessThanOrEqual(0);
  const firstBars = page.locator('ol.bars').first();
  expect(await firstBars.locator('> li').count()).toBe(90);
  const box = await firstBars.locator('> li').last().boundingBox();
  expect(box?.width ?? 0).toBeGreaterThan(1);
  expect(await page.getByText('% uptime').first().isVisible()).toBe(true);
}

describe('public status page in Chromium', () => {
  for (const viewport of VIEWPORTS) {
    it(`is readable at ${viewport.name} width (${viewport.width}px)`, async () => {
      const page = await openPage(viewport);
      // Taken first, so that a failing assertion below still leaves the picture behind.
      await page.screenshot({
        path: join(ARTIFACTS, `status-page-${viewport.name}.png`),
        fullPage: true,
      });
      await expectReadable(page);
      // Keyboard: a focused day shows its tooltip, the same text as its aria-label.
      const today = page.locator('ol.bars').first().locator('> li').last();
      await today.focus();
      const tip = today.locator('.tip');
      expect(await tip.isVisible()).toBe(true);
      expect(await tip.textContent()).toContain('No downtime recorded on this day.');
      await page.screenshot({ path: join(ARTIFACTS, `status-page-${viewport.name}-tooltip.png`) });
      // Opening the collapsed group shows its component, no script needed.
      await page.locator('summary', { hasText: `${DEMO.collapsedGroup}:` }).click();
      expect(await page.getByText(DEMO.collapsedComponent, { exact: true }).isVisible()).toBe(true);
      await page.context().close();
    }, 60_000);
  }

  it('is readable in the dark colour scheme', async () => {
    const page = await openPage(VIEWPORTS[0], 'dark');
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-phone-dark.png'), fullPage: true });
    await expectReadable(page);
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(13, 17, 23)');
    await page.context().close();
  }, 60_000);
});
