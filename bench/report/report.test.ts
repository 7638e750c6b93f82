/**
 * The report's server-side parts on the fixture, without a browser: the selection form, the
 * static score and factor tables the page starts from, the contenders and their versions, the
 * comparison with its significance (page and terminal), and a page that loads nothing from
 * anywhere. What the page does with them is `report.browser.test.ts`'s part.
 */
import { describe, expect, it } from 'vitest';
import { renderComparison } from './compare.ts';
import { comparisonSection, contendersOf, renderHtml } from './html.ts';
import { fixtureReport, slower } from './report-fixture.ts';

const report = fixtureReport();
const html = renderHtml(report);

/** The text from the element with this id up to the first `end` after it. */
function part(id: string, end = '</section>'): string {
  const start = html.indexOf(`id="${id}"`);
  expect(start, id).toBeGreaterThan(0);
  return html.slice(start, html.indexOf(end, start));
}

describe('the HTML report, as the server renders it', () => {
  it('offers a checkbox per contender, peers in a group of their own, and one per scenario, all ticked', () => {
    const form = part('selection');
    const boxes = [
      ...form.matchAll(/<input type="checkbox" (data-model|data-scenario)="([^"]+)" data-group="(\w+)" checked>/g),
    ];
    expect(boxes.map((box) => `${box[3]}:${box[2]}`)).toEqual([
      'baseline:raw',
      'baseline:blocking',
      'baseline:reactor',
      'baseline:lazy',
      'peer:twisted',
      'scenario:classic',
      'scenario:faults',
    ]);
    expect(form).toContain('data-none="peer"');
  });

  it('starts from the overall score of everyone over every scenario, naming what a score leaves out', () => {
    const rows = [...part('score-table').matchAll(/<tr data-model="([^"]+)">(.*?)<\/tr>/g)];
    expect(rows.map((row) => row[1])).toEqual(['raw', 'reactor', 'twisted', 'lazy', 'blocking']);
    const blocking = rows.at(-1)![2]!;
    expect(blocking).toContain('style="background: hsl(0, 70%, 78%)">6.00×');
    expect(blocking).toContain('1 × weight 1/1: classic');
    expect(blocking).toContain('not counted (skipped or failed): faults');
    expect(rows[1]![2]).toContain('2 × weight 1/2: classic, faults');
  });

  it('gives each scenario a factor table: × fastest and × raw, coloured, with the interval and the spread', () => {
    const classic = part('factors-0', '</table>');
    expect(classic).toMatch(
      /<tr data-model="lazy"><td class="name">lazy<\/td><td class="factor" style="background: hsl\(\d+, 70%, 78%\)">3\.00× \[3\.00–3\.00\]<\/td><td class="factor"[^>]*>3\.00× \[3\.00–3\.00\]<\/td><td>±2\.0%<\/td><td>5<\/td><\/tr>/,
    );
    // faults: lazy failed and blocking skipped, so neither has a factor.
    const faults = part('factors-1', '</table>');
    expect(faults).not.toMatch(/data-model="(lazy|blocking)"/);
    expect([...faults.matchAll(/data-model="(\w+)"/g)].map((m) => m[1])).toEqual(['raw', 'reactor', 'twisted']);
  });

  it('lists every contender with what it is', () => {
    expect(contendersOf(report).map((one) => one.contender)).toEqual(['raw', 'blocking', 'reactor', 'lazy', 'twisted']);
    expect(html).toContain('<li><b>twisted</b> (peer): twisted (fixture)</li>');
  });

  it('defines every function the page calls before its script uses them, and loads nothing from anywhere', () => {
    for (const name of [
      'scenarioFactors',
      'overallScores',
      'factorColour',
      'parseSelection',
      'formatSelection',
      'factorTable',
      'scoreTable',
    ]) {
      expect(html).toMatch(new RegExp(`function ${name}\\(`));
    }
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toContain('id="comparison"');
  });
});

describe('the comparison', () => {
  const after = slower(report, 'reactor', 1.5);

  it('calls a model slowed in every round slower at p ≤ 0.05, wall and × raw, and the unchanged ones not', () => {
    const section = comparisonSection(report, after);
    const reactor = /<tr data-model="reactor">(.*?)<\/tr>/.exec(section)![1]!;
    expect(reactor).toContain('0.150 s → 0.225 s (+50.0%)');
    expect(reactor).toContain('<td class="sig slower">p 0.008 slower</td>');
    expect(reactor).toContain('1.50× → 2.25× (+50.0%)');
    const raw = /<tr data-model="raw">(.*?)<\/tr>/.exec(section)![1]!;
    expect(raw).toContain('<td title="no significant change">p 1.000</td>');
    expect(section).toMatch(
      /<tr data-model="lazy"><td class="name">lazy<\/td><td class="name" colspan="6">failed → failed<\/td>/,
    );
    expect(renderHtml(after, { compareWith: report })).toContain(section);
  });

  it('says the same in the terminal', () => {
    const text = renderComparison(report, after);
    expect(text).toMatch(
      /^reactor +0\.150 s → 0\.225 s \(\+50\.0%\) +p 0\.008 slower +1\.50× → 2\.25× \(\+50\.0%\) +p 0\.008 slower/m,
    );
    expect(text).toMatch(/^raw +0\.100 s → 0\.100 s \(0\.0%\) +p 1\.000 /m);
  });

  it('warns when the two runs cannot be compared, or have too few rounds to tell', () => {
    const unpinned = { ...after, quick: false, environment: { ...after.environment, pinning: undefined } };
    const section = comparisonSection(report, unpinned);
    expect(section).toContain('one run used --quick sizes and the other did not');
    expect(section).toContain('one run was pinned to cores and the other not');
    expect(section).not.toContain('round(s) no change can reach');
    // 5 rounds against 3 can still reach p = 2/56; 3 against 3 cannot.
    expect(comparisonSection(report, { ...after, runs: 3 })).not.toContain('round(s) no change can reach');
    const three = { ...after, runs: 3 };
    expect(comparisonSection({ ...report, runs: 3 }, three)).toContain(
      'with 3 and 3 round(s) no change can reach p ≤ 0.05 (the smallest p possible is 0.10)',
    );
    expect(renderComparison(three, { ...report, runs: 1 })).toContain('the smallest p possible is 0.50');
  });
});
