/**
 * The bench report in a real browser (Debian's Chromium through `harness/browser.ts`): a page
 * built from the fixture report, compared with a run where reactor was 1.5× slower, is opened
 * from a temporary folder (removed after) and checked the way a reader would use it — every chart
 * drawn, the factors coloured, a model toggled off and the charts, tables and address following,
 * a link with a selection restoring it after a reload, a timeline zoomed by the mouse wheel with
 * the other timelines following, the tooltip of a chunk, the ideal's label clear of every axis
 * label, and no console error anywhere.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type OpenedPage, type TestBrowser } from '../../harness/browser.ts';
import { renderHtml } from './html.ts';
import { fixtureReport, slower } from './report-fixture.ts';

type EChartsLib = typeof import('echarts');

let dir: string;
let file: string;
let browser: TestBrowser;
const opened: OpenedPage[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'poetry-report-browser-'));
  file = path.join(dir, 'report.html');
  const before = fixtureReport();
  writeFileSync(file, renderHtml(slower(before, 'reactor', 1.5), { compareWith: before }));
  browser = await launchBrowser();
});

afterEach(async () => {
  for (const one of opened.splice(0)) await one.page.close();
});

afterAll(async () => {
  try {
    await browser?.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Waits until the address is `hash` and the page has redrawn for it (the redraw comes on `hashchange`). */
async function drawnFor(page: Page, hash: string): Promise<void> {
  await page.waitForFunction((wanted) => location.hash === wanted && document.body.dataset.shown === wanted, {}, hash);
}

async function open(hash = ''): Promise<OpenedPage> {
  const one = await browser.openPage(`${pathToFileURL(file).href}${hash}`);
  opened.push(one);
  return one;
}

/** Every chart on the page: its element's id (or the timeline's contender), whether ECharts owns it, and its SVG paths. */
function charts(page: Page) {
  return page.evaluate(() => {
    const lib = (window as unknown as { echarts: EChartsLib }).echarts;
    return [...document.querySelectorAll<HTMLElement>('[data-chart]')].map((element) => ({
      id: element.id || `timeline:${element.dataset.timeline}`,
      drawn: lib.getInstanceByDom(element) !== undefined,
      paths: element.querySelectorAll('svg path').length,
      visible: element.offsetParent !== null,
    }));
  });
}

/** The category labels of a chart's y axis, as ECharts holds them now. */
function yLabels(page: Page, id: string) {
  return page.evaluate((chartId) => {
    const lib = (window as unknown as { echarts: EChartsLib }).echarts;
    const option = lib.getInstanceByDom(document.getElementById(chartId)!)!.getOption() as {
      yAxis: { data: string[] }[];
    };
    return option.yAxis[0]!.data;
  }, id);
}

const factorCells = (page: Page, index: number) =>
  page.$$eval(`#factors-${index} tbody tr`, (rows) =>
    rows.map((row) => [
      row.getAttribute('data-model'),
      row.children[1]!.textContent,
      (row.children[1] as HTMLElement).style.background,
    ]),
  );

describe('the bench report in Chromium', () => {
  it('draws every chart, colours the factors green to red, and logs no error', async () => {
    const { page, errors } = await open();
    const all = await charts(page);
    // Score, two factor charts, two bar charts, the micro suite, and classic's four timelines (twisted records none).
    expect(all.map((chart) => chart.id).sort()).toEqual(
      [
        'bars-0',
        'bars-1',
        'factor-chart-0',
        'factor-chart-1',
        'micro-0',
        'score-chart',
        'timeline:blocking',
        'timeline:lazy',
        'timeline:raw',
        'timeline:reactor',
      ].sort(),
    );
    for (const chart of all) expect(chart, chart.id).toMatchObject({ drawn: true, visible: true });
    for (const chart of all) expect(chart.paths, chart.id).toBeGreaterThan(3);
    const classic = await factorCells(page, 0);
    expect(classic.map(([model]) => model)).toEqual(['raw', 'twisted', 'reactor', 'lazy', 'blocking']);
    expect(classic[0]).toEqual(['raw', '1.00×', 'rgb(160, 238, 160)']);
    // reactor is 2.25× raw after the slowdown; blocking at 6× is red.
    expect(classic.find(([model]) => model === 'reactor')![1]).toBe('2.25× [2.25–2.25]');
    expect(classic.find(([model]) => model === 'blocking')![2]).toBe('rgb(238, 160, 160)');
    await page.screenshot({ path: path.join(dir, 'report.png') });
    expect(statSync(path.join(dir, 'report.png')).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
  });

  it('follows a model toggled off: the address, the factor and score charts, the tables and the timelines', async () => {
    const { page, errors } = await open();
    expect(await yLabels(page, 'factor-chart-0')).toContain('raw');
    await page.click('input[data-model="raw"]');
    await drawnFor(page, '#models=blocking,reactor,lazy,twisted');
    expect(await yLabels(page, 'factor-chart-0')).toEqual(['twisted (peer)', 'reactor', 'lazy', 'blocking']);
    expect(await yLabels(page, 'score-chart')).not.toContain('raw');
    // Without raw the fastest shown in classic is twisted (2× raw), so lazy (3× raw) is 1.5×.
    const classic = await factorCells(page, 0);
    expect(classic[0]!.slice(0, 2)).toEqual(['twisted', '1.00× [1.00–1.00]']);
    expect(classic.find(([model]) => model === 'lazy')![1]).toBe('1.50× [1.50–1.50]');
    const timelines = (await charts(page)).filter((chart) => chart.id.startsWith('timeline:') && chart.visible);
    expect(timelines.map((chart) => chart.id).sort()).toEqual([
      'timeline:blocking',
      'timeline:lazy',
      'timeline:reactor',
    ]);
    expect(await page.$eval('#scenario-classic tr[data-model="raw"]', (row) => (row as HTMLElement).hidden)).toBe(true);
    expect(await page.$eval('#comparison tr[data-model="raw"]', (row) => (row as HTMLElement).hidden)).toBe(true);
    // And back: ticking it again empties the address and restores the chart.
    await page.click('input[data-model="raw"]');
    await drawnFor(page, '');
    expect(await yLabels(page, 'factor-chart-0')).toContain('raw');
    // A scenario unticked: its section goes, and the scores rest on the others alone.
    const counted = () =>
      page.$eval('#score-table tr[data-model="twisted"]', (row) => [
        row.children[2]!.textContent,
        row.children[3]!.textContent,
      ]);
    expect(await counted()).toEqual(['2.00×', '2 × weight 1/2: classic, faults']);
    await page.click('input[data-scenario="classic"]');
    await drawnFor(page, '#scenarios=faults');
    expect(await page.$eval('#scenario-classic', (part) => (part as HTMLElement).hidden)).toBe(true);
    expect(await counted()).toEqual(['2.00×', '1 × weight 1/1: faults']);
    expect(await yLabels(page, 'score-chart')).toEqual(['raw', 'reactor', 'twisted (peer)']);
    await page.click('input[data-scenario="classic"]');
    await drawnFor(page, '');
    expect((await charts(page)).filter((chart) => !chart.visible)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('restores the selection from the address, after a reload too', async () => {
    const { page, errors } = await open('#models=reactor,lazy&scenarios=classic');
    for (const round of ['loaded', 'reloaded']) {
      const ticked = await page.$$eval('input[data-model]:checked', (boxes) =>
        boxes.map((box) => box.getAttribute('data-model')),
      );
      expect(ticked, round).toEqual(['reactor', 'lazy']);
      expect(await page.$eval('#scenario-faults', (part) => (part as HTMLElement).hidden), round).toBe(true);
      expect(await yLabels(page, 'factor-chart-0'), round).toEqual(['reactor', 'lazy']);
      // lazy 3× raw over reactor's 2.25×.
      expect((await factorCells(page, 0)).map(([, text]) => text)).toEqual(['1.00× [1.00–1.00]', '1.33× [1.33–1.33]']);
      await page.reload({ waitUntil: 'load' });
    }
    // A timeline hidden from the start is drawn when its contender is ticked.
    expect(await page.$('[data-timeline="raw"][data-chart]')).toBeNull();
    await page.click('input[data-model="raw"]');
    await drawnFor(page, '#models=raw,reactor,lazy&scenarios=classic');
    const raw = (await charts(page)).find((chart) => chart.id === 'timeline:raw');
    expect(raw).toMatchObject({ drawn: true, visible: true });
    expect(raw!.paths).toBeGreaterThan(3);
    expect(errors).toEqual([]);
  });

  it('zooms a timeline with the mouse wheel, the other timelines following', async () => {
    const { page, errors } = await open();
    const state = () =>
      page.evaluate(() => {
        const lib = (window as unknown as { echarts: EChartsLib }).echarts;
        return [...document.querySelectorAll<HTMLElement>('[data-timeline]')].map((element) => {
          const zoom = (lib.getInstanceByDom(element)!.getOption() as { dataZoom: { start: number; end: number }[] })
            .dataZoom[0]!;
          const labels = [...element.querySelectorAll('text')].map((text) => text.textContent);
          return { start: zoom.start, end: zoom.end, labels };
        });
      });
    const before = await state();
    expect(before.every((one) => one.start === 0 && one.end === 100)).toBe(true);
    const box = (await page.$('[data-timeline="reactor"]'))!;
    await box.scrollIntoView();
    const rect = (await box.boundingBox())!;
    await page.mouse.move(rect.x + rect.width / 3, rect.y + 40);
    await page.mouse.wheel({ deltaY: -400 });
    await page.waitForFunction(() => {
      const lib = (window as unknown as { echarts: EChartsLib }).echarts;
      return [...document.querySelectorAll<HTMLElement>('[data-timeline]')].every((element) => {
        const zoom = (lib.getInstanceByDom(element)!.getOption() as { dataZoom: { start: number; end: number }[] })
          .dataZoom[0]!;
        return zoom.end - zoom.start < 100;
      });
    });
    const after = await state();
    for (const [index, one] of after.entries()) {
      expect(one.end - one.start).toBeLessThan(100);
      expect(one.labels).not.toEqual(before[index]!.labels);
    }
    expect(errors).toEqual([]);
  });

  it('names task, bytes and time in a chunk tooltip', async () => {
    const { page, errors } = await open();
    const text = await page.evaluate(async () => {
      const lib = (window as unknown as { echarts: EChartsLib }).echarts;
      const element = document.querySelector<HTMLElement>('[data-timeline="lazy"]')!;
      lib.getInstanceByDom(element)!.dispatchAction({ type: 'showTip', seriesIndex: 1, dataIndex: 2 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      return element.textContent;
    });
    // Task 2's third chunk of the fixture: 12 bytes at 2 + 2 × 5 + 1.6 ms.
    expect(text).toContain('lazy · task 2 (classic): 12 bytes at 13.6 ms');
    expect(errors).toEqual([]);
  });

  it("keeps the ideal's label clear of every axis label, in the timelines and the bars", async () => {
    const { page, errors } = await open();
    const overlaps = await page.evaluate(() => {
      const found: string[] = [];
      let ideals = 0;
      for (const element of document.querySelectorAll<HTMLElement>('[data-timeline], #bars-0')) {
        const texts = [...element.querySelectorAll('text')];
        const ideal = texts.filter((text) => text.textContent?.startsWith('ideal'));
        ideals += ideal.length;
        for (const label of ideal) {
          const a = label.getBoundingClientRect();
          for (const other of texts) {
            if (other === label || other.textContent === '') continue;
            const b = other.getBoundingClientRect();
            const apart = a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
            if (!apart)
              found.push(`${element.id || element.dataset.timeline}: "${label.textContent}" on "${other.textContent}"`);
          }
        }
      }
      return { found, ideals };
    });
    expect(overlaps.ideals).toBe(5);
    expect(overlaps.found).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('marks the slowed model as significantly slower in the comparison, and the others not', async () => {
    const { page, errors } = await open();
    const rows = await page.$$eval('#comparison [data-scenario-section="classic"] tbody tr', (all) =>
      all.map((row) => [row.getAttribute('data-model'), row.children[2]!.textContent, row.children[2]!.className]),
    );
    expect(rows.find(([model]) => model === 'reactor')).toEqual(['reactor', 'p 0.008 slower', 'sig slower']);
    expect(rows.find(([model]) => model === 'raw')).toEqual(['raw', 'p 1.000', '']);
    expect(errors).toEqual([]);
  });
});
