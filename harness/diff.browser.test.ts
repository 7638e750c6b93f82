/**
 * The diff page (`npm run diff -- --html`) in a real browser, Debian's Chromium: it loads without a
 * console error, ticking a model takes its column out or puts it back, the hash brings a choice
 * back after a reload, the column headers stay in view as the code scrolls under them, the part
 * list jumps to a part, and with every model ticked the page is still no wider than the window.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientParts } from '../poetry/parts.ts';
import { launchBrowser, type OpenedPage, type TestBrowser } from './browser.ts';
import { htmlPage } from './diff.ts';
import { findModel, models } from './registry.ts';

let folder: string;
let file: string;
let browser: TestBrowser;
const opened: Page[] = [];
const shown = ['blocking', 'promises', 'reactor'];

beforeAll(async () => {
  folder = mkdtempSync(path.join(tmpdir(), 'poetry-diff-page-'));
  file = path.join(folder, 'diff.html');
  const parts = clientParts.map((p) => p.name);
  writeFileSync(file, htmlPage(models, parts, shown.map(findModel)));
  browser = await launchBrowser();
});

afterAll(async () => {
  try {
    await browser?.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

async function open(hash = ''): Promise<OpenedPage> {
  const result = await browser.openPage(`${pathToFileURL(file).href}${hash}`);
  opened.push(result.page);
  return result;
}

/** The models whose header cell is displayed, left to right. */
function columns(page: Page): Promise<string[]> {
  return page.$$eval('thead th', (cells) =>
    cells.filter((cell) => cell.getBoundingClientRect().width > 0).map((cell) => cell.dataset.model ?? ''),
  );
}

/** Per body row of code, how many cells are displayed. */
function cellsPerRow(page: Page): Promise<number[]> {
  return page.$$eval('tbody tr:not(.part)', (rows) =>
    rows.map((row) => [...row.cells].filter((cell) => cell.getBoundingClientRect().width > 0).length),
  );
}

const hashOf = (page: Page) => page.evaluate(() => decodeURIComponent(location.hash));

describe('the diff page in Chromium', () => {
  it('loads with no console error, showing the models it was asked for', async () => {
    const { page, errors } = await open();
    expect(await columns(page)).toEqual(shown);
    expect(new Set(await cellsPerRow(page))).toEqual(new Set([3]));
    expect(await page.$eval('#count', (count) => count.textContent)).toContain(`3 of ${models.length}`);
    expect(errors).toEqual([]);
  });

  it('ticking a model puts its column in, unticking takes it out, and the hash follows', async () => {
    const { page, errors } = await open();
    await page.click('#pick input[value="promises"]');
    expect(await columns(page)).toEqual(['blocking', 'reactor']);
    expect(new Set(await cellsPerRow(page))).toEqual(new Set([2]));
    expect(await hashOf(page)).toBe('#models=blocking,reactor');
    // Two columns at least: the two left cannot be unticked.
    expect(await page.$$eval('#pick input:checked', (boxes) => boxes.map((box) => box.disabled))).toEqual([true, true]);
    await page.click('#pick input[value="lazy"]');
    expect(await columns(page)).toEqual(['blocking', 'reactor', 'lazy']);
    expect(await hashOf(page)).toBe('#models=blocking,reactor,lazy');
    expect(errors).toEqual([]);
  });

  it('restores a choice from the hash, after a reload too', async () => {
    const { page, errors } = await open('#models=lazy,csp,effect');
    expect(await columns(page)).toEqual(['lazy', 'csp', 'effect']);
    await page.click('#pick input[value="actors"]');
    await page.reload({ waitUntil: 'load' });
    expect(await columns(page)).toEqual(['actors', 'lazy', 'csp', 'effect']);
    expect(
      await page.$$eval('#pick input:checked', (boxes) => boxes.map((box) => (box as HTMLInputElement).value)),
    ).toEqual(['actors', 'lazy', 'csp', 'effect']);
    expect(errors).toEqual([]);
  });

  it('keeps the column headers in view while the code scrolls under them', async () => {
    const { page, errors } = await open();
    const before = await page.$eval('thead th', (cell) => cell.getBoundingClientRect().top);
    const after = await page.evaluate(() => {
      const area = document.getElementById('area') as HTMLElement;
      area.scrollTop = area.scrollHeight;
      const header = (document.querySelector('thead th') as HTMLElement).getBoundingClientRect();
      const first = (document.getElementById('connect') as HTMLElement).getBoundingClientRect();
      return { top: header.top, bottom: header.bottom, scrolled: area.scrollTop, connect: first.top };
    });
    expect(after.scrolled).toBeGreaterThan(2000);
    expect(after.connect, 'the first part has scrolled away').toBeLessThan(0);
    expect(after.top).toBeCloseTo(before, 0);
    expect(after.top).toBeGreaterThanOrEqual(0);
    expect(after.bottom).toBeLessThan(page.viewport()?.height ?? 0);
    expect(errors).toEqual([]);
  });

  it('jumps to a part from the part list, which stays in view, and a link with the part jumps there too', async () => {
    const { page, errors } = await open();
    await page.click('#parts a[data-part="retry"]');
    const placed = await page.evaluate(() => {
      const header = (document.querySelector('thead th:not(.off)') as HTMLElement).getBoundingClientRect();
      const retry = (document.getElementById('retry') as HTMLElement).getBoundingClientRect();
      const nav = (document.getElementById('parts') as HTMLElement).getBoundingClientRect();
      return { header: header.bottom, retry: retry.top, navTop: nav.top };
    });
    expect(Math.abs(placed.retry - placed.header)).toBeLessThan(3);
    expect(placed.navTop).toBeGreaterThanOrEqual(0);
    expect(await page.$eval('#parts a[aria-current]', (link) => link.textContent)).toBe('retry');
    expect(await hashOf(page)).toBe('#models=blocking,promises,reactor&part=retry');

    const linked = await open('#models=actors,csp&part=limit');
    expect(await columns(linked.page)).toEqual(['actors', 'csp']);
    const limit = await linked.page.evaluate(() => {
      const header = (document.querySelector('thead th:not(.off)') as HTMLElement).getBoundingClientRect();
      return (document.getElementById('limit') as HTMLElement).getBoundingClientRect().top - header.bottom;
    });
    expect(Math.abs(limit)).toBeLessThan(3);
    expect([...errors, ...linked.errors]).toEqual([]);
  });

  it('with every model ticked, scrolls sideways inside the table, never the page, each column readable', async () => {
    const { page, errors } = await open();
    await page.click('#every');
    expect(await columns(page)).toEqual(models.map((m) => m.name));
    const sizes = await page.evaluate(() => {
      const area = document.getElementById('area') as HTMLElement;
      const widths = [...document.querySelectorAll('thead th')].map((cell) => cell.getBoundingClientRect().width);
      return {
        page: document.documentElement.scrollWidth,
        window: window.innerWidth,
        area: area.scrollWidth,
        areaVisible: area.clientWidth,
        narrowest: Math.min(...widths),
      };
    });
    expect(sizes.page).toBeLessThanOrEqual(sizes.window);
    expect(sizes.area).toBeGreaterThan(sizes.areaVisible);
    expect(sizes.narrowest).toBeGreaterThanOrEqual(300);
    // Scrolled sideways, the headers scroll with their columns and still sit at the top.
    const header = await page.evaluate(() => {
      const area = document.getElementById('area') as HTMLElement;
      area.scrollTop = 3000;
      area.scrollLeft = area.scrollWidth;
      const cells = [...document.querySelectorAll('thead th')];
      const last = (cells.at(-1) as HTMLElement).getBoundingClientRect();
      return { top: last.top, right: last.right, areaTop: area.getBoundingClientRect().top };
    });
    expect(Math.abs(header.top - header.areaTop)).toBeLessThan(2);
    expect(header.right).toBeLessThanOrEqual(sizes.window + 1);
    expect(errors).toEqual([]);
  });

  it('says why a model lacks a part, and shows borrowed code as its pointer line', async () => {
    const { page } = await open('#models=blocking,promises');
    const texts = await page.$$eval('tbody td[data-model="blocking"]', (cells) =>
      cells.map((cell) => cell.textContent ?? ''),
    );
    expect(texts.some((text) => /^not applicable: \S/.test(text))).toBe(true);
    expect(texts.some((text) => /^uses \S+ \(baselines\/\S+\.ts:\d+\)/.test(text))).toBe(true);
  });
});
