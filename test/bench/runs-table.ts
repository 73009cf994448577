/**
 * Runs table with 1,000 runs (issue 11; targets: first render ≤ 200 ms, filter/sort ≤ 50 ms), Playwright timing in
 * Debian's Chromium against browser mode; not a test. 1,000 synthetic finished runs (test/e2e/synthetic-runs.ts,
 * 200 points each of 2 keys, lr in 4 values) are written into a temp data folder, then:
 *   1. the server's share: runs:table for all 1,000 runs in process, cold (reads every metrics file) and cached;
 *   2. first render: from the route change (#/launch → #/runs, in a fresh page each time) to the table of 1,000 rows
 *      drawn with the sparklines of the rows in view (the table renders only those, two frames later); the runs:list
 *      and runs:table round trips are inside this figure;
 *   3. filter (typing a search that keeps 1 run in 10, then clearing it) and sort (clicking a column header) from
 *      the event to two frames later; the same grouped by lr.
 * Run alone with `npx tsx test/bench/runs-table.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import type { RunInfo } from '../../core/api/contract.js';
import { ensureRendererBuilt } from '../../core/host/renderer-build.js';
import { startServer } from '../../core/host/server.js';
import { openAppBackend } from '../../core/runner/service.js';
import { seedSyntheticRuns } from '../e2e/synthetic-runs.js';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';

const RUNS = 1_000;
const POINTS = 200;
const RENDER_TARGET = 200;
const INTERACT_TARGET = 50;
const REPEATS = 5;

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const line = (what: string, ms: number[], target: number) =>
  console.log(`  ${what}: median ${fmt(median(ms))}, max ${fmt(Math.max(...ms))} (${(median(ms) / target).toFixed(2)}× the ${target} ms target; ${ms.length} tries)`);

const TWO_FRAMES = `await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));`;

async function firstRender(page: Page, url: string): Promise<number> {
  await page.goto(`${url}#/launch`);
  await page.waitForSelector('h1');
  return (await page.evaluate(`(async () => {
    const t0 = performance.now();
    location.hash = '#/runs';
    const drawn = () => {
      const rows = document.querySelectorAll('tr[data-run-id]').length;
      return document.querySelector('table[data-rows="${RUNS}"]') && rows > 0 && document.querySelectorAll('tr[data-run-id] svg.spark').length === rows;
    };
    while (!drawn())
      await new Promise((r) => requestAnimationFrame(r));
    ${TWO_FRAMES}
    return performance.now() - t0;
  })()`)) as number;
}

async function timed(page: Page, script: string, until: string): Promise<number> {
  return (await page.evaluate(`(async () => {
    const t0 = performance.now();
    ${script}
    while (!(${until})) {
      if (performance.now() - t0 > 5000) throw new Error('gave up after 5 s waiting for ' + ${JSON.stringify(until)});
      await new Promise((r) => requestAnimationFrame(r));
    }
    ${TWO_FRAMES}
    return performance.now() - t0;
  })()`)) as number;
}

const SEARCH = (text: string) => `{
  const el = document.querySelector('input[type="search"][placeholder^="Search"]');
  el.value = ${JSON.stringify(text)};
  el.dispatchEvent(new Event('input', { bubbles: true }));
}`;
/** Rows in the table (group rows included), of which only those in view are in the DOM. */
const ROWS = `Number(document.querySelector('table[data-rows]')?.dataset.rows ?? 0)`;
const CLICK_SORT = (label: string) => `[...document.querySelectorAll('thead button.sort')].find((b) => b.textContent.trim().startsWith(${JSON.stringify(label)})).click();`;
const FIRST_ROW = `document.querySelector('tr[data-run-id]')?.dataset.runId`;

export async function bench(): Promise<void> {
  const chromiumPath = findChromium();
  if (!chromiumPath) {
    console.log('  skipped: no Chromium (install it or set CHROMIUM_PATH)');
    return;
  }
  const home = mkdtempSync(join(tmpdir(), 'policylab-bench-runs-table-'));
  try {
    const t0 = performance.now();
    await seedSyntheticRuns(home, { runs: RUNS, points: POINTS, name: 'bench', config: (i) => ({ lr: [1e-4, 3e-4, 1e-3, 3e-3][i % 4] }) });
    console.log(`  seeded ${RUNS} runs × ${POINTS} points in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const staticDir = await ensureRendererBuilt(() => {});
    const backend = await openAppBackend({ home, transport: 'browser', maxConcurrent: 2 });
    const server = await startServer({ backend, staticDir });
    const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    try {
      const list = await backend.invoke('runs:list', undefined);
      const ids = (list.ok ? (list.value as RunInfo[]) : []).map((r) => r.id);
      for (const label of ['cold', 'cached']) {
        const s = performance.now();
        for (let i = 0; i < ids.length; i += 500) {
          const r = await backend.invoke('runs:table', { ids: ids.slice(i, i + 500) });
          if (!r.ok) throw new Error(`runs:table failed: ${r.error.message}`);
        }
        console.log(`  server runs:table for ${ids.length} runs (${label}): ${fmt(performance.now() - s)}`);
      }
      const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
      const renders: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const page = await context.newPage();
        renders.push(await firstRender(page, server.url));
        await page.close();
      }
      line(`first render of ${RUNS} rows with sparklines (server cache warm)`, renders, RENDER_TARGET);

      const page = await context.newPage();
      await firstRender(page, server.url);
      for (const grouped of [false, true]) {
        if (grouped) {
          await page.selectOption('select[aria-label="Group runs by"]', 'config:lr');
          await page.waitForSelector('tr.group-row');
        }
        const filter: number[] = [];
        const clear: number[] = [];
        const sort: number[] = [];
        for (let i = 0; i < REPEATS; i++) {
          filter.push(await timed(page, SEARCH('bench 1'), `${ROWS} < ${RUNS}`)); // "bench 1", "bench 1x", "bench 1xx": 111 runs
          clear.push(await timed(page, SEARCH(''), `${ROWS} >= ${RUNS}`));
          const before = await page.evaluate(FIRST_ROW);
          sort.push(await timed(page, CLICK_SORT('Last return'), `${FIRST_ROW} !== ${JSON.stringify(before)}`));
        }
        const tag = grouped ? ' (grouped by lr)' : '';
        line(`filter to 111 of ${RUNS}${tag}`, filter, INTERACT_TARGET);
        line(`clear the filter${tag}`, clear, INTERACT_TARGET);
        line(`sort by last return${tag}`, sort, INTERACT_TARGET);
      }
      await context.close();
    } finally {
      await browser.close();
      await server.close();
      await backend.close();
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await bench();
