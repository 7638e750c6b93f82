/**
 * The HTML report: one self-contained page (ECharts inlined from node_modules, the figures embedded
 * as JSON, no network access needed) with, per scenario, the same table as the terminal and a bar
 * chart of wall time, CPU and peak memory per contender; for the scenarios that record progress
 * events (classic, big) a timeline per contender — each dot a chunk received, by task and time — so
 * how a model interleaves its downloads can be seen for every model at a glance; and the micro
 * suites as tables with a chart of each row's speed relative to its baseline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { renderMatrixSection } from '../../harness/matrix/html.ts';
import type { BenchReport, ScenarioResult } from '../harness.ts';
import type { MicroResult } from '../micro-process.ts';
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
} from './terminal.ts';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON that is safe inside a <script> element: no `<` can close it. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function echartsSource(): string {
  const path = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
  return readFileSync(path, 'utf8').replace(/<\/script/gi, '<\\/script');
}

function scenarioTable(scenario: ScenarioResult): string {
  const columns = scenarioColumns(scenario);
  const best = columns.map((column) => bestOf(column, scenario.rows));
  const head = `<tr><th>model</th>${columns.map((c) => `<th>${escapeHtml(c.title)}</th>`).join('')}<th>notes</th></tr>`;
  const body = scenario.rows
    .map((row) => {
      const name = `<td class="name" title="${escapeHtml(row.title)}">${escapeHtml(rowLabel(row))}</td>`;
      const notes = `<td class="notes">${row.notes.map(escapeHtml).join('<br>')}</td>`;
      if (row.status !== 'ok') {
        const label =
          row.status === 'failed' ? '<span class="failed">FAILED</span>' : '<span class="skipped">skipped</span>';
        return `<tr class="${row.status}">${name}<td>${label}</td>${'<td></td>'.repeat(columns.length - 1)}${notes}</tr>`;
      }
      const cells = columns.map((column, index) => {
        const text = escapeHtml(cellText(column, row) ?? '');
        const isBest = text && isFigure(best[index]) && column.value(row) === best[index];
        return isBest ? `<td class="best">${text}</td>` : `<td>${text}</td>`;
      });
      return `<tr>${name}${cells.join('')}${notes}</tr>`;
    })
    .join('\n');
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function scenarioSection(scenario: ScenarioResult, index: number): string {
  const timelines = scenario.rows.some((row) => row.timeline);
  return `<section class="scenario" id="scenario-${escapeHtml(scenario.name)}">
<h2>${escapeHtml(scenario.title)}</h2>
<p>${escapeHtml(scenario.description)}</p>
<p class="headline">${escapeHtml(scenarioHeadline(scenario))}</p>
${scenario.warnings.map((w) => `<p class="warning">${escapeHtml(w)}</p>`).join('\n')}
${scenarioTable(scenario)}
${goalVerdict(scenario) ? `<p class="headline">${escapeHtml(goalVerdict(scenario)!)}</p>` : ''}
${ancestorVerdict(scenario) ? `<p class="headline">${escapeHtml(ancestorVerdict(scenario)!)}</p>` : ''}
<div class="chart" id="bars-${index}"></div>
${
  timelines
    ? `<h3>Timeline: which task received bytes when (one dot per chunk, median run)</h3>
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
  return `<section class="micro">
<h2>micro: ${escapeHtml(suite.name)}</h2>
<p>${escapeHtml(suite.description)} <span class="dim">(${escapeHtml(suite.module)})</span></p>
${suite.error ? `<p class="warning">could not run: ${escapeHtml(suite.error)}</p>` : ''}
${budget ? `<p class="${suite.budgetMet === false ? 'warning' : 'headline'}">${escapeHtml(budget)}</p>` : ''}
<table><thead><tr><th>row</th><th>ops/s (median)</th><th>ns/op</th><th>× baseline speed</th><th>rme</th></tr></thead>
<tbody>${rows}</tbody></table>
<div class="chart small" id="micro-${index}"></div>
</section>`;
}

/** Runs in the page: draws the charts from the embedded report. */
const pageScript = `
const report = JSON.parse(document.getElementById('report-data').textContent);
const palette = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc'];
report.scenarios.forEach((scenario, index) => {
  const rows = scenario.rows.filter((row) => row.status === 'ok');
  const names = rows.map((row) => (row.kind === 'peer' ? row.contender + ' (peer)' : row.contender));
  const chart = echarts.init(document.getElementById('bars-' + index), null, { renderer: 'svg' });
  const ideal = scenario.idealMs === undefined ? [] : [{ yAxis: scenario.idealMs / 1000, name: 'ideal' }];
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 60, right: 70, top: 40, bottom: 40 },
    xAxis: { type: 'category', data: names },
    yAxis: [{ type: 'value', name: 'seconds' }, { type: 'value', name: 'MB', splitLine: { show: false } }],
    series: [
      { name: 'wall (median)', type: 'bar', data: rows.map((r) => +(r.median.wallMs / 1000).toFixed(4)),
        markLine: ideal.length ? { symbol: 'none', label: { formatter: 'ideal {c} s' }, data: ideal } : undefined },
      { name: 'wall (slowest run)', type: 'bar', data: rows.map((r) => +(r.spread.maxMs / 1000).toFixed(4)), itemStyle: { opacity: 0.35 } },
      { name: 'CPU', type: 'bar', data: rows.map((r) => +(r.median.cpuMs / 1000).toFixed(4)) },
      { name: 'peak RSS', type: 'line', yAxisIndex: 1, data: rows.map((r) => +r.median.maxRssMB.toFixed(1)) },
    ],
  });
  const holder = document.getElementById('timelines-' + index);
  if (!holder) return;
  const tasks = scenario.taskGroups.map((group, i) => 'task ' + (i + 1) + ' (' + group + ')');
  const maxAt = Math.max(...rows.flatMap((row) => (row.timeline || []).map((e) => e.at)), 1);
  for (const row of rows) {
    if (!row.timeline) continue;
    const box = document.createElement('div');
    box.className = 'timeline';
    holder.appendChild(box);
    const chunks = row.timeline.filter((e) => e.type === 'chunk');
    const byTask = tasks.map((_, t) => chunks.filter((e) => e.task === t + 1).map((e) => [+e.at.toFixed(2), tasks[t], e.bytes]));
    const timeline = echarts.init(box, null, { renderer: 'svg' });
    timeline.setOption({
      animation: false,
      title: { text: row.contender, left: 'center', textStyle: { fontSize: 13 } },
      tooltip: { formatter: (p) => p.value[1] + ': ' + p.value[2] + ' bytes at ' + p.value[0] + ' ms' },
      grid: { left: 130, right: 20, top: 30, bottom: 35 },
      xAxis: { type: 'value', name: 'ms', min: 0, max: Math.ceil(maxAt / 100) * 100 },
      yAxis: { type: 'category', data: tasks, inverse: true },
      series: byTask.map((data, t) => ({
        type: 'scatter', name: tasks[t], data, color: palette[t % palette.length],
        symbolSize: (v) => Math.max(3, Math.min(12, Math.sqrt(v[2]) / 2)),
        markLine: t === 0 && scenario.idealMs !== undefined
          ? { symbol: 'none', silent: true, label: { formatter: 'ideal', position: 'end' }, data: [{ xAxis: scenario.idealMs }] } : undefined,
      })),
    });
  }
});
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
`;

const style = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1300px; color: #222; padding: 0 16px; }
h1 { margin-bottom: 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 10px 0; } th, td { padding: 3px 10px; text-align: right; border-bottom: 1px solid #eee; white-space: nowrap; }
th { background: #f5f5f5; } td.name, td.notes { text-align: left; } td.notes { color: #666; font-size: 12px; max-width: 480px; white-space: normal; }
td.best { color: #0a7a2f; font-weight: bold; } .failed { color: #c62828; font-weight: bold; } .skipped, .dim { color: #888; }
.warning { color: #c62828; } .headline { color: #555; } .env { color: #555; }
.chart { height: 340px; } .chart.small { height: 220px; }
.timelines { display: grid; grid-template-columns: repeat(auto-fill, minmax(410px, 1fr)); gap: 8px; }
.timeline { height: 190px; border: 1px solid #eee; }
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

export function renderHtml(report: BenchReport): string {
  const env = report.environment;
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
(percentile bootstrap); a goal is met when the whole interval is within it, not met when all of it is beyond, undecided
otherwise; best in each column in green. A model with any wrong
result is FAILED and gets no time.</p>
${report.scenarios.map(scenarioSection).join('\n')}
${report.micro.map(microSection).join('\n')}
${matrixPart(report)}
${(report.notes ?? []).map((note) => `<p class="dim">note: ${escapeHtml(note)}</p>`).join('\n')}
<script type="application/json" id="report-data">${scriptJson(report)}</script>
<script>${pageScript}</script>
</body>
</html>
`;
}
