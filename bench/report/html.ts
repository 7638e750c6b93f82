/**
 * The HTML report: one self-contained page (ECharts inlined from node_modules, the figures embedded
 * as JSON, no network access needed) that a reader explores. At the top the environment, then a
 * choice of what to compare — contenders (models, the raw baseline, peers) and scenarios, kept in
 * `location.hash` so a link reproduces it — and the overall score of each contender shown (the
 * geometric mean of its factors versus the fastest, equal weights over the scenarios it ran).
 * With `compareWith`, the change from an earlier run, each row tested for significance. Per
 * scenario: each contender's factor versus the fastest shown and versus raw, coloured green (1×) to
 * red (4×) with its paired 95% interval and spread, as a table and a chart; the terminal's table;
 * bars of wall time, CPU and peak memory; and for the scenarios that record progress events a
 * timeline per contender with one mark per chunk, zoomable on the time axis, so turn-taking shows.
 * Then the micro suites and the comparison matrix.
 *
 * What the page redraws when the selection changes is computed by the functions of `score.ts`
 * (factors, scores, their tables), which the page gets as source text: the server renders them first.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { renderMatrixSection } from '../../harness/matrix/html.ts';
import type { BenchReport, Row, ScenarioResult } from '../harness.ts';
import type { MicroResult } from '../micro-process.ts';
import {
  type Change,
  changeText,
  compareReports,
  megabytes,
  significanceWord,
  times,
  tooFewRounds,
} from './compare.ts';
import {
  escapeText as escapeHtml,
  factorTable,
  overallScores,
  pageFunctions,
  scenarioFactors,
  scoreTable,
} from './score.ts';
import { significanceLevel } from './significance.ts';
import {
  ancestorVerdict,
  bestOf,
  budgetVerdict,
  cellText,
  fixed,
  goalVerdict,
  isFigure,
  opsPerSecond,
  ratio,
  rowLabel,
  scenarioColumns,
  scenarioHeadline,
  seconds,
} from './terminal.ts';

/** JSON that is safe inside a <script> element: no `<` can close it. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function echartsSource(): string {
  const path = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
  return readFileSync(path, 'utf8').replace(/<\/script/gi, '<\\/script');
}

/** Every contender of the report once, in the order the tables list them. */
export function contendersOf(report: BenchReport): Pick<Row, 'contender' | 'kind' | 'title'>[] {
  const seen = new Map<string, Pick<Row, 'contender' | 'kind' | 'title'>>();
  for (const scenario of report.scenarios) {
    for (const { contender, kind, title } of scenario.rows) {
      if (!seen.has(contender)) seen.set(contender, { contender, kind, title });
    }
  }
  return [...seen.values()];
}

/** What each contender is, with the runtime and versions a peer reports (its title says them). */
function contenderList(report: BenchReport): string {
  const items = contendersOf(report).map(
    (one) => `<li><b>${escapeHtml(one.contender)}</b> (${one.kind}): ${escapeHtml(one.title)}</li>`,
  );
  return `<details class="env"><summary>the ${items.length} contenders and their versions</summary><ul>${items.join('')}</ul></details>`;
}

function scenarioTable(scenario: ScenarioResult): string {
  const columns = scenarioColumns(scenario);
  const best = columns.map((column) => bestOf(column, scenario.rows));
  const head = `<tr><th>model</th>${columns.map((c) => `<th>${escapeHtml(c.title)}</th>`).join('')}<th>notes</th></tr>`;
  const body = scenario.rows
    .map((row) => {
      const name = `<td class="name" title="${escapeHtml(row.title)}">${escapeHtml(rowLabel(row))}</td>`;
      const notes = `<td class="notes">${row.notes.map(escapeHtml).join('<br>')}</td>`;
      const open = `<tr data-model="${escapeHtml(row.contender)}"${row.status === 'ok' ? '' : ` class="${row.status}"`}>`;
      if (row.status !== 'ok') {
        const label =
          row.status === 'failed' ? '<span class="failed">FAILED</span>' : '<span class="skipped">skipped</span>';
        return `${open}${name}<td>${label}</td>${'<td></td>'.repeat(columns.length - 1)}${notes}</tr>`;
      }
      const cells = columns.map((column, index) => {
        const text = escapeHtml(cellText(column, row) ?? '');
        const isBest = text && isFigure(best[index]) && column.value(row) === best[index];
        return isBest ? `<td class="best">${text}</td>` : `<td>${text}</td>`;
      });
      return `${open}${name}${cells.join('')}${notes}</tr>`;
    })
    .join('\n');
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function scenarioSection(scenario: ScenarioResult, index: number, everyone: readonly string[]): string {
  const timelines = scenario.rows.some((row) => row.timeline);
  const verdict = goalVerdict(scenario);
  const ancestors = ancestorVerdict(scenario);
  return `<section class="scenario" id="scenario-${escapeHtml(scenario.name)}" data-scenario-section="${escapeHtml(scenario.name)}">
<h2>${escapeHtml(scenario.title)}</h2>
<p>${escapeHtml(scenario.description)}</p>
<p class="headline">${escapeHtml(scenarioHeadline(scenario))}</p>
${scenario.warnings.map((w) => `<p class="warning">${escapeHtml(w)}</p>`).join('\n')}
<h3>Factor versus the fastest shown and versus raw</h3>
<div class="factor-view"><div id="factors-${index}">${factorTable(scenarioFactors(scenario.rows, everyone))}</div>
<div class="chart factor-chart" id="factor-chart-${index}" data-chart></div></div>
<h3>Every figure</h3>
${scenarioTable(scenario)}
${verdict ? `<p class="headline">${escapeHtml(verdict)}</p>` : ''}
${ancestors ? `<p class="headline">${escapeHtml(ancestors)}</p>` : ''}
<div class="chart" id="bars-${index}" data-chart></div>
${
  timelines
    ? `<h3>Timelines: which task received bytes when (one mark per chunk, median run)</h3>
<p class="dim">Scroll or drag on a timeline, or move the slider under it, to zoom and pan the time axis: every timeline of this scenario follows, so their turn-taking lines up.</p>
<div class="timelines" id="timelines-${index}"></div>`
    : ''
}
</section>`;
}

function microSection(suite: MicroResult, index: number): string {
  const rows = suite.rows
    .map(
      (row) =>
        `<tr><td class="name">${escapeHtml(row.name)}${row.name === suite.baseline ? ' (baseline)' : ''}</td>` +
        (row.error
          ? `<td class="failed" colspan="4">${escapeHtml(row.error)}</td>`
          : `<td>${opsPerSecond(row.opsPerSec)}</td><td>${fixed(row.nsPerOp, 0)}</td>` +
            `<td>${ratio(row.vsBaseline)}</td><td>${isFigure(row.rmePct) ? `±${row.rmePct.toFixed(1)}%` : ''}</td>`) +
        '</tr>',
    )
    .join('\n');
  const budget = budgetVerdict(suite);
  const drawable = suite.rows.some((row) => !row.error && isFigure(row.vsBaseline));
  return `<section class="micro">
<h2>micro: ${escapeHtml(suite.name)}</h2>
<p>${escapeHtml(suite.description)} <span class="dim">(${escapeHtml(suite.module)})</span></p>
${suite.error ? `<p class="warning">could not run: ${escapeHtml(suite.error)}</p>` : ''}
${budget ? `<p class="${suite.budgetMet === false ? 'warning' : 'headline'}">${escapeHtml(budget)}</p>` : ''}
<table><thead><tr><th>row</th><th>ops/s (median)</th><th>ns/op</th><th>× baseline speed</th><th>rme</th></tr></thead>
<tbody>${rows}</tbody></table>
${drawable ? `<div class="chart small" id="micro-${index}" data-chart></div>` : ''}
</section>`;
}

/** A change's p-value, with the verdict and a colour only when it is significant. */
function significanceCell(one: Change | undefined): string {
  if (!one?.test) return '<td class="dim">—</td>';
  const word = significanceWord(one);
  const p = `p ${one.test.p < 0.001 ? '<0.001' : one.test.p.toFixed(3)}`;
  if (word !== 'faster' && word !== 'slower') return `<td title="${word}">${p}</td>`;
  return `<td class="sig ${word}">${p} ${word}</td>`;
}

/** The change from an earlier run, per scenario and contender, each tested on its per-round samples. */
export function comparisonSection(before: BenchReport, after: BenchReport): string {
  const warnings: string[] = [];
  if (before.quick !== after.quick) warnings.push('one run used --quick sizes and the other did not: not comparable');
  if (Boolean(before.environment.pinning?.pinned) !== Boolean(after.environment.pinning?.pinned))
    warnings.push('one run was pinned to cores and the other not: the times differ for that reason too');
  const few = tooFewRounds(before, after);
  if (few) warnings.push(few);
  const parts = compareReports(before, after).map((scenario) => {
    const open = `<div class="compare-scenario" data-scenario-section="${escapeHtml(scenario.name)}"><h3>${escapeHtml(scenario.name)}</h3>`;
    if (scenario.onlyIn) return `${open}<p class="dim">only in the ${scenario.onlyIn} run</p></div>`;
    const rows = scenario.rows.map((row) => {
      const name = `<td class="name">${escapeHtml(row.contender)}</td>`;
      if (row.state !== 'both') {
        return `<tr data-model="${escapeHtml(row.contender)}">${name}<td class="name" colspan="6">${escapeHtml(row.statusText ?? row.state)}</td></tr>`;
      }
      return (
        `<tr data-model="${escapeHtml(row.contender)}">${name}<td>${escapeHtml(changeText(row.wall, seconds))}</td>${significanceCell(row.wall)}` +
        `<td>${escapeHtml(changeText(row.vsRaw, times))}</td>${significanceCell(row.vsRaw)}` +
        `<td>${escapeHtml(changeText(row.cpu, seconds))}</td><td>${escapeHtml(changeText(row.rss, megabytes))}</td></tr>`
      );
    });
    return `${open}<table><thead><tr><th>contender</th><th>wall (median)</th><th>wall: p</th><th>× raw</th><th>× raw: p</th><th>CPU</th><th>peak RSS</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
  });
  return `<section id="comparison">
<h2>Compared with an earlier run</h2>
<p>From ${escapeHtml(before.startedAt)} (commit ${escapeHtml(before.environment.gitCommit)}, ${before.runs} round(s)) to this run,
${escapeHtml(after.startedAt)} (commit ${escapeHtml(after.environment.gitCommit)}, ${after.runs} round(s)). Each change is before → after.
Its p is the two-sided Mann–Whitney rank-sum test of the two runs' per-round samples — the wall times, and for × raw each round's
model ÷ raw, which a machine that got faster or slower does not move. A change is marked <i>faster</i> or <i>slower</i> only at
p ≤ ${significanceLevel}; a p alone means no significant change. The smallest p two runs allow is 2 ÷ the number of ways to split
their rounds into groups of those sizes: 0.008 for 5 rounds against 5, 0.10 for 3 against 3, 1 for 1 against 1.</p>
${warnings.map((w) => `<p class="warning">${escapeHtml(w)}</p>`).join('\n')}
${parts.join('\n')}
</section>`;
}

function selectionForm(report: BenchReport): string {
  const contenders = contendersOf(report);
  const box = (attribute: string, name: string, label: string, group: string) =>
    `<label><input type="checkbox" ${attribute}="${escapeHtml(name)}" data-group="${group}" checked> ${escapeHtml(label)}</label>`;
  const group = (title: string, name: string, boxes: string[]) =>
    boxes.length === 0
      ? ''
      : `<fieldset><legend>${title} <button type="button" data-all="${name}">all</button> <button type="button" data-none="${name}">none</button></legend>${boxes.join(' ')}</fieldset>`;
  const ofKind = (kinds: readonly Row['kind'][]) =>
    contenders
      .filter((one) => kinds.includes(one.kind))
      .map((one) =>
        box('data-model', one.contender, one.kind === 'peer' ? `${one.contender} (peer)` : one.contender, kinds[0]!),
      );
  return `<form id="selection" class="controls">
${group('baseline and models', 'baseline', ofKind(['baseline', 'model']))}
${group('peers', 'peer', ofKind(['peer']))}
${group(
  'scenarios',
  'scenario',
  report.scenarios.map((s) => box('data-scenario', s.name, s.name, 'scenario')),
)}
<p class="dim">Factors, scores, charts and tables follow what is ticked. The address keeps the choice (after <code>#</code>): a link to it shows the same.</p>
</form>`;
}

function scoreSection(report: BenchReport): string {
  const everyone = contendersOf(report).map((one) => one.contender);
  const scores = overallScores(
    report.scenarios.map((s) => ({ scenario: s.name, factors: scenarioFactors(s.rows, everyone) })),
  );
  return `<section id="score">
<h2>Overall score</h2>
<p>Each contender's score is the geometric mean of its factor versus the fastest shown, over the scenarios shown that it ran
(verified), every such scenario with the same weight: 1 / the number counted, shown beside it. A scenario it skipped or failed
is not counted and is named; 1.00× is the fastest everywhere. Wall time decides (the per-round ratio to raw where there is one).</p>
<div class="factor-view"><div id="score-table">${scoreTable(scores)}</div><div class="chart factor-chart" id="score-chart" data-chart></div></div>
</section>`;
}

/** Runs in the page: draws the charts and redraws them, with the tables, when the selection changes. */
const pageScript = `
const report = JSON.parse(document.getElementById('report-data').textContent);
const palette = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc'];
const boxes = (attribute) => [...document.querySelectorAll('input[' + attribute + ']')];
const allModels = boxes('data-model').map((box) => box.dataset.model);
const allScenarios = boxes('data-scenario').map((box) => box.dataset.scenario);
const chartAt = (element) => echarts.getInstanceByDom(element) || echarts.init(element, null, { renderer: 'svg' });
const labelOf = (row) => (row.kind === 'peer' ? row.contender + ' (peer)' : row.contender);

/** Bars per factor, coloured as the table, with the 95% interval as whiskers. */
function drawFactors(element, factors, name) {
  const chart = chartAt(element);
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'item' },
    grid: { left: 130, right: 60, top: 10, bottom: 30 },
    xAxis: { type: 'value', name, nameLocation: 'middle', nameGap: 22, min: 0 },
    yAxis: { type: 'category', inverse: true, data: factors.map((f) => f.label) },
    series: [
      { type: 'bar', name, data: factors.map((f) => ({ value: +f.vsFastest.toFixed(3), itemStyle: { color: factorColour(f.vsFastest), borderColor: '#888' } })),
        label: { show: true, position: 'right', formatter: (p) => p.value.toFixed(2) + '×' } },
      { type: 'custom', name: '95% interval', encode: { x: [0, 1], y: 2 },
        data: factors.flatMap((f, i) => (f.low === undefined ? [] : [[f.low, f.high, i]])),
        renderItem: (params, api) => {
          const from = api.coord([api.value(0), api.value(2)]);
          const to = api.coord([api.value(1), api.value(2)]);
          const half = api.size([0, 1])[1] * 0.2;
          const line = (x1, y1, x2, y2) => ({ type: 'line', shape: { x1, y1, x2, y2 }, style: { stroke: '#333', lineWidth: 1.5 } });
          return { type: 'group', children: [line(from[0], from[1], to[0], to[1]),
            line(from[0], from[1] - half, from[0], from[1] + half), line(to[0], to[1] - half, to[0], to[1] + half)] };
        } },
    ],
  }, true);
  chart.resize();
}

function drawBars(element, scenario, rows) {
  const chart = chartAt(element);
  // The ideal's label sits inside the plot, above its line: outside, it would meet the MB axis' labels.
  const ideal = scenario.idealMs === undefined ? undefined
    : { symbol: 'none', label: { formatter: 'ideal {c} s', position: 'insideEndTop' }, data: [{ yAxis: scenario.idealMs / 1000 }] };
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 60, right: 70, top: 40, bottom: 40 },
    xAxis: { type: 'category', data: rows.map(labelOf) },
    yAxis: [{ type: 'value', name: 'seconds' }, { type: 'value', name: 'MB', splitLine: { show: false } }],
    series: [
      { name: 'wall (median)', type: 'bar', data: rows.map((r) => +(r.median.wallMs / 1000).toFixed(4)), markLine: ideal },
      { name: 'wall (slowest run)', type: 'bar', data: rows.map((r) => +(r.spread.maxMs / 1000).toFixed(4)), itemStyle: { opacity: 0.35 } },
      { name: 'CPU', type: 'bar', data: rows.map((r) => +(r.median.cpuMs / 1000).toFixed(4)) },
      { name: 'peak RSS', type: 'line', yAxisIndex: 1, data: rows.map((r) => +r.median.maxRssMB.toFixed(1)) },
    ],
  }, true);
  chart.resize();
}

/**
 * One chart per contender, a row per task, a thin mark per chunk; zooming one zooms them all. A
 * timeline depends on nobody else's, so toggling a contender only hides or shows its own; each is
 * drawn the first time it is shown (a hidden element has no size to draw in).
 */
function showTimelines(holder, scenario, shown, index) {
  const tasks = scenario.taskGroups.map((group, i) => 'task ' + (i + 1) + ' (' + group + ')');
  // One time axis for the scenario, so that timelines side by side compare (reduce: spreading thousands of events into Math.max could overflow the stack).
  const latest = scenario.rows.reduce((most, row) => (row.timeline || []).reduce((m, e) => Math.max(m, e.at), most), scenario.idealMs || 1);
  const maxAt = Math.ceil(latest / 50) * 50;
  scenario.rows.forEach((row, rowIndex) => {
    if (row.status !== 'ok' || !row.timeline) return;
    const chunks = row.timeline.filter((e) => e.type === 'chunk');
    let box = holder.querySelector('[data-row="' + rowIndex + '"]');
    if (!box) {
      const caption = document.createElement('div');
      caption.className = 'timeline-caption';
      caption.textContent = labelOf(row) + ': ' + chunks.length + ' chunks';
      box = document.createElement('div');
      box.className = 'timeline';
      box.dataset.row = rowIndex;
      box.dataset.timeline = row.contender;
      holder.append(caption, box);
    }
    const visible = shown.includes(row.contender);
    const wasHidden = box.hidden;
    box.hidden = box.previousElementSibling.hidden = !visible;
    if (!visible) return;
    // Drawn already: only a chart coming back from hidden needs to take its size again.
    if (echarts.getInstanceByDom(box)) return wasHidden ? echarts.getInstanceByDom(box).resize() : undefined;
    box.dataset.chart = '';
    const chart = chartAt(box);
    chart.group = 'timelines-' + index;
    chart.setOption({
      animation: false,
      tooltip: { formatter: (p) => labelOf(row) + ' · ' + p.value[1] + ': ' + p.value[2] + ' bytes at ' + p.value[0] + ' ms' },
      grid: { left: 120, right: 24, top: 22, bottom: 58 },
      xAxis: { type: 'value', name: 'ms', nameLocation: 'middle', nameGap: 22, min: 0, max: maxAt },
      yAxis: { type: 'category', data: tasks, inverse: true },
      dataZoom: [
        { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
        { type: 'slider', xAxisIndex: 0, filterMode: 'none', height: 14, bottom: 4 },
      ],
      series: tasks.map((task, t) => ({
        type: 'scatter', name: task, color: palette[t % palette.length], symbol: 'rect', symbolSize: [2, 12], clip: true,
        data: chunks.filter((e) => e.task === t + 1).map((e) => [+e.at.toFixed(2), task, e.bytes]),
        // At the top of the plot, where no axis has labels: the task axis runs downwards, so that is the line's start.
        markLine: t === 0 && scenario.idealMs !== undefined
          ? { symbol: 'none', silent: true, label: { formatter: 'ideal ' + scenario.idealMs + ' ms', position: 'start' },
              lineStyle: { color: '#444', type: 'dashed' }, data: [{ xAxis: scenario.idealMs }] }
          : undefined,
      })),
    });
    echarts.connect('timelines-' + index);
  });
}

function drawScores(selection) {
  const perScenario = report.scenarios
    .filter((s) => selection.scenarios.includes(s.name))
    .map((s) => ({ scenario: s.name, factors: scenarioFactors(s.rows, selection.models) }));
  const scores = overallScores(perScenario);
  document.getElementById('score-table').innerHTML = scoreTable(scores);
  drawFactors(document.getElementById('score-chart'), scores.map((s) => ({ label: s.label, vsFastest: s.score })), 'score');
}

function apply(selection) {
  for (const box of boxes('data-model')) box.checked = selection.models.includes(box.dataset.model);
  for (const box of boxes('data-scenario')) box.checked = selection.scenarios.includes(box.dataset.scenario);
  for (const part of document.querySelectorAll('[data-scenario-section]')) {
    const show = selection.scenarios.includes(part.dataset.scenarioSection);
    const reappears = part.hidden && show;
    part.hidden = !show;
    // The window may have changed size while the section was hidden (hidden charts are not resized).
    if (reappears) for (const element of part.querySelectorAll('[data-chart]')) echarts.getInstanceByDom(element)?.resize();
  }
  for (const row of document.querySelectorAll('tr[data-model]')) row.hidden = !selection.models.includes(row.dataset.model);
  report.scenarios.forEach((scenario, index) => {
    if (!selection.scenarios.includes(scenario.name)) return;
    const factors = scenarioFactors(scenario.rows, selection.models);
    document.getElementById('factors-' + index).innerHTML = factorTable(factors);
    drawFactors(document.getElementById('factor-chart-' + index), factors, '× fastest shown');
    const rows = scenario.rows.filter((row) => row.status === 'ok' && selection.models.includes(row.contender));
    drawBars(document.getElementById('bars-' + index), scenario, rows);
    const holder = document.getElementById('timelines-' + index);
    if (holder) showTimelines(holder, scenario, selection.models, index);
  });
  drawScores(selection);
  // The address the page has drawn: the redraw follows a change of address on its event, a moment
  // after the address itself has changed, and this says when it is done.
  document.body.dataset.shown = location.hash;
}

/** The ticked boxes become the address; the address changing redraws (so a link and Back work too). */
function chosen() {
  const ticked = (attribute, key) => boxes(attribute).filter((box) => box.checked).map((box) => box.dataset[key]);
  const hash = formatSelection({ models: ticked('data-model', 'model'), scenarios: ticked('data-scenario', 'scenario') }, allModels, allScenarios);
  if (hash === location.hash.replace(/^#/, '')) return;
  location.hash = hash;
}
document.getElementById('selection').addEventListener('change', chosen);
for (const button of document.querySelectorAll('[data-all], [data-none]')) {
  button.addEventListener('click', () => {
    const group = button.dataset.all || button.dataset.none;
    for (const box of document.querySelectorAll('input[data-group="' + group + '"]')) box.checked = button.dataset.all !== undefined;
    chosen();
  });
}
window.addEventListener('hashchange', () => apply(parseSelection(location.hash, allModels, allScenarios)));
apply(parseSelection(location.hash, allModels, allScenarios));

report.micro.forEach((suite, index) => {
  const box = document.getElementById('micro-' + index);
  const rows = suite.rows.filter((row) => !row.error && Number.isFinite(row.vsBaseline));
  if (!box || rows.length === 0) return;
  echarts.init(box, null, { renderer: 'svg' }).setOption({
    animation: false,
    tooltip: {},
    grid: { left: 170, right: 40, top: 20, bottom: 30 },
    xAxis: { type: 'value', name: '× baseline speed' },
    yAxis: { type: 'category', data: rows.map((r) => r.name), inverse: true },
    series: [{ type: 'bar', data: rows.map((r) => +r.vsBaseline.toFixed(3)), label: { show: true, position: 'right' },
      markLine: { symbol: 'none', data: [{ xAxis: 1 }] } }],
  });
});
window.addEventListener('resize', () => {
  for (const element of document.querySelectorAll('[data-chart]')) {
    if (element.offsetParent !== null) echarts.getInstanceByDom(element)?.resize();
  }
});
`;

/**
 * The shared functions as the page defines them. A bundler that keeps function names (tsx's does)
 * wraps inner functions in a `__name` helper that exists only in its output: here it is the identity.
 */
const sharedSource = () =>
  `const __name = (target) => target;\n${pageFunctions.map((fn) => fn.toString()).join('\n')}`.replace(
    /<\/script/gi,
    '<\\/script',
  );

const style = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1300px; color: #222; padding: 0 16px; }
h1 { margin-bottom: 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 10px 0; } th, td { padding: 3px 10px; text-align: right; border-bottom: 1px solid #eee; white-space: nowrap; }
th { background: #f5f5f5; } td.name, td.notes { text-align: left; } td.notes { color: #666; font-size: 12px; min-width: 220px; max-width: 480px; white-space: normal; }
td.best { color: #0a7a2f; font-weight: bold; } .failed { color: #c62828; font-weight: bold; } .skipped, .dim { color: #888; }
td.list { text-align: left; white-space: normal; font-size: 12px; max-width: 380px; } td.factor { font-variant-numeric: tabular-nums; } td.sig.slower { background: #f8d0d0; } td.sig.faster { background: #cdeccd; }
.warning { color: #c62828; } .headline { color: #555; } .env { color: #555; }
.controls { border-bottom: 1px solid #ddd; padding: 6px 0; font-size: 13px; }
.controls fieldset { display: inline-block; border: 1px solid #ddd; margin: 2px 6px 2px 0; padding: 2px 8px; }
.controls label { white-space: nowrap; margin-right: 6px; } .controls p { margin: 2px 0; font-size: 12px; }
.factor-view { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; } .factor-view > .chart { flex: 1 1 420px; min-width: 360px; }
.chart { height: 340px; } .chart.small { height: 220px; } .factor-chart { height: 300px; }
.timeline-caption { font-size: 12px; color: #555; margin-top: 6px; }
.timeline { height: 150px; border: 1px solid #eee; }
`;

/** The comparison matrix saved beside the report, or how to make one. */
function matrixPart(report: BenchReport): string {
  if (!report.matrix) {
    return '<h2>How the models differ</h2>\n<p class="dim">No comparison matrix saved beside this report yet: <code>npm run matrix</code> makes one, and the next report shows it.</p>';
  }
  const { file, matrix } = report.matrix;
  return `<h2>How the models differ</h2>
<p class="dim">The comparison matrix from ${escapeHtml(file)} (measured ${escapeHtml(matrix.startedAt)}): every cell from a probe run against the servers; colours rank each row from best (green) to worst (red).</p>
${renderMatrixSection(matrix)}`;
}

export interface HtmlOptions {
  /** An earlier run: the page adds the change from it, tested for significance (`--compare`). */
  readonly compareWith?: BenchReport;
}

export function renderHtml(report: BenchReport, options: HtmlOptions = {}): string {
  const env = report.environment;
  const everyone = contendersOf(report).map((one) => one.contender);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>poetry-models benchmark ${escapeHtml(report.startedAt)}</title>
<style>${style}</style>
<script>${echartsSource()}</script>
</head>
<body>
<h1>poetry-models benchmark</h1>
<p class="env">${escapeHtml(report.startedAt)} · Node ${escapeHtml(env.node)} · ${escapeHtml(env.cpu)} · ${env.cores} cores ·
${env.memoryGB} GB · ${escapeHtml(env.platform)} · commit ${escapeHtml(env.gitCommit)} · descriptors: ${escapeHtml(env.descriptorLimit)}
${env.pinning ? ` · ${escapeHtml(env.pinning.note)}` : ''}<br>
${report.runs} run(s) per model in interleaved order${report.quick ? ' · <b>quick sizes</b>' : ''}. Wall = median over runs;
CPU = user+sys of the client process; × raw = the median over rounds of each round's model ÷ raw, with its 95% interval
(percentile bootstrap); × fastest = that ratio over the fastest shown contender's; colours go from green at 1× through yellow
at 2× to red at 4× or more. A goal is met when the whole interval is within it, not met when all of it is beyond, undecided
otherwise; best in each column in green. A model with any wrong result is FAILED and gets no time.</p>
${contenderList(report)}
${selectionForm(report)}
${scoreSection(report)}
${options.compareWith ? comparisonSection(options.compareWith, report) : ''}
${report.scenarios.map((scenario, index) => scenarioSection(scenario, index, everyone)).join('\n')}
${report.micro.map(microSection).join('\n')}
${matrixPart(report)}
${(report.notes ?? []).map((note) => `<p class="dim">note: ${escapeHtml(note)}</p>`).join('\n')}
<script type="application/json" id="report-data">${scriptJson(report)}</script>
<script>${sharedSource()}\n${pageScript}</script>
</body>
</html>
`;
}
