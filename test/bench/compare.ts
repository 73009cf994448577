/**
 * Compare view performance (Playwright timing in Debian's Chromium against browser mode; not a test):
 *   1. the server's share: metrics:query for one 100k-point series (read + downsample), in process;
 *   2. time to rendered: 20 runs × 1M points per series (issue 11's size; 2 keys, written through core/store's
 *      RunStore + MetricWriter into a temp POLICYLAB_HOME), from the route change to every chart in view drawn
 *      (target ≤ 300 ms): the first visit after the app starts, in a fresh back end + server + browser context
 *      each time (nothing compiled or cached on either side), both right after the runs table appears and
 *      after the app has sat idle for a second (a user choosing runs); then, in one app, the first visit of
 *      this selection in a warmed-up app (server query cache cold), and repeat visits;
 *   3. interaction while 4 runs are live (fake training processes streaming metrics at 10 batches/s): latency from
 *      a smoothing / grouping change to the redrawn frame, and main-thread blocking while the charts follow the
 *      live runs.
 * Run alone with `npx tsx test/bench/compare.ts`. Writing 20 × 1M points takes minutes: COMPARE_BENCH_HOME=<folder>
 * writes them there once and reuses them on later runs (the folder is kept); COMPARE_BENCH_POINTS=100000 benches the
 * smaller size of earlier measurements.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import type { RunInfo } from '../../core/api/contract.js';
import { ensureRendererBuilt } from '../../core/host/renderer-build.js';
import { startServer } from '../../core/host/server.js';
import { openAppBackend } from '../../core/runner/service.js';
import { RunStore } from '../../core/store/index.js';
import { seedSyntheticRuns } from '../e2e/synthetic-runs.js';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { FAKE_WORKER, fakeCatalog } from '../unit/runner/helpers.js';

const RUNS = 20;
const POINTS = Number(process.env.COMPARE_BENCH_POINTS ?? 1_000_000);
const LIVE = 4;
const TARGET_MS = 300;
/** Later visits (the same selection again, server cache warm). */
const LATER_TARGET_MS = 150;

/** The ids of the runs seeded by an earlier bench in `home` (oldest first), when it has exactly RUNS × POINTS. */
async function seededRuns(home: string): Promise<string[] | null> {
  if (!existsSync(join(home, 'runs'))) return null;
  const store = await RunStore.open(home);
  try {
    const runs = store.listRuns().filter((r) => r.name.startsWith('bench ')); // not the live runs of part 3
    return runs.length === RUNS && runs.every((r) => r.step === POINTS * 100) ? runs.map((r) => r.id) : null;
  } finally {
    await store.close();
  }
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;

/** In the page: resolves (with ms since `t0`) once every chart cell that started loading is drawn, after a frame. */
const WAIT_RENDERED = `(async (t0) => {
  const done = () => {
    const cells = [...document.querySelectorAll('[data-testid="compare-cell"]')];
    const started = cells.filter((c) => c.dataset.state !== 'idle');
    return started.length > 0 && started.every((c) => c.dataset.state === 'ready' && c.querySelector('figure[data-lines]'));
  };
  while (!done()) await new Promise((r) => requestAnimationFrame(r));
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
})`;

async function timeToRendered(page: Page, ids: string[]): Promise<{ ms: number; charts: number }> {
  await page.evaluate(`location.hash = '#/runs'`);
  await page.waitForSelector('h1#runs-title');
  const ms = (await page.evaluate(`(() => { const t0 = performance.now(); location.hash = '#/compare/${ids.join(',')}'; return ${WAIT_RENDERED}(t0); })()`)) as number;
  const charts = await page.locator('figure.compare-chart').count();
  return { ms, charts };
}

/** In the page: change a control, then time until two frames later (the redraw has been painted). */
async function interaction(page: Page, script: string): Promise<number> {
  return (await page.evaluate(`(async () => {
    const t0 = performance.now();
    ${script}
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - t0;
  })()`)) as number;
}

const SET_WEIGHT = (w: number) => `{
  const el = document.querySelector('input[aria-label="EMA weight"]');
  el.value = '${w}';
  el.dispatchEvent(new Event('input', { bubbles: true }));
}`;
const SET_GROUPING = (value: string) => `{
  const el = [...document.querySelectorAll('select')].find((s) => [...s.options].some((o) => o.value === 'all-but-seed'));
  el.value = '${value}';
  el.dispatchEvent(new Event('change', { bubbles: true }));
}`;

/** Main-thread blocking over `ms`: long tasks (> 50 ms) and the longest gap between animation frames. */
async function blocking(page: Page, ms: number): Promise<{ longTasks: number; blockedMs: number; maxFrameGap: number; frames: number }> {
  return (await page.evaluate(`(async () => {
    let longTasks = 0, blockedMs = 0;
    const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) { longTasks++; blockedMs += e.duration - 50; } });
    obs.observe({ type: 'longtask', buffered: false });
    let last = performance.now(), maxFrameGap = 0, frames = 0;
    const end = last + ${ms};
    while (performance.now() < end) {
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      maxFrameGap = Math.max(maxFrameGap, now - last);
      last = now;
      frames++;
    }
    obs.disconnect();
    return { longTasks, blockedMs, maxFrameGap, frames };
  })()`)) as { longTasks: number; blockedMs: number; maxFrameGap: number; frames: number };
}

/** `policylab serve` on a data folder in a child process; resolves with its URL once it is listening. */
async function startServeProcess(home: string): Promise<{ url: string; stop: () => Promise<void> }> {
  await ensureRendererBuilt(() => {});
  const cli = fileURLToPath(new URL('../../core/cli/policylab.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /serving at (\S+)/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`policylab serve exited with ${code}: ${output}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function bench(): Promise<void> {
  const chromiumPath = findChromium();
  if (!chromiumPath) {
    console.log('compare bench skipped: no Chromium (install it or set CHROMIUM_PATH)');
    return;
  }
  if (!Number.isInteger(POINTS) || POINTS < 1) throw new Error(`COMPARE_BENCH_POINTS must be a positive integer, got ${process.env.COMPARE_BENCH_POINTS}`);
  const kept = process.env.COMPARE_BENCH_HOME;
  if (kept) mkdirSync(kept, { recursive: true });
  const home = kept ?? mkdtempSync(join(tmpdir(), 'policylab-bench-compare-'));
  const t0 = performance.now();
  const reused = kept ? await seededRuns(home) : null;
  if (kept && !reused && existsSync(join(home, 'runs'))) throw new Error(`COMPARE_BENCH_HOME ${home} holds other bench runs than ${RUNS} × ${POINTS} points: give an empty folder`);
  const ids = reused ?? (await seedSyntheticRuns(home, { runs: RUNS, points: POINTS, name: 'bench', config: (i) => ({ lr: i % 2 ? 0.001 : 0.0003 }) }));
  console.log(`${reused ? 'reused' : 'wrote'} ${RUNS} runs × ${POINTS.toLocaleString()} points × 2 keys in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  const ratio = (ms: number) => `ratio ${(ms / TARGET_MS).toFixed(2)}`;
  // First visits after app start: `policylab serve` started anew each time (its own process, as `npm run serve`
  // runs it: cold server code, the back-end probe running beside it) and a new browser context.
  const firstVisit = async (idleMs: number): Promise<number> => {
    const app = await startServeProcess(home);
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    try {
      const page = await context.newPage();
      await page.goto(app.url);
      await page.waitForSelector('h1#runs-title');
      if (idleMs > 0) await page.waitForTimeout(idleMs);
      return (await timeToRendered(page, ids)).ms;
    } finally {
      await context.close();
      await app.stop();
    }
  };
  const immediate: number[] = [];
  const afterIdle: number[] = [];
  for (let i = 0; i < 3; i++) {
    immediate.push(await firstVisit(0));
    afterIdle.push(await firstVisit(1_000));
  }
  console.log(`compare view, ${RUNS} runs × ${POINTS.toLocaleString()} points, first visit after the app started (fresh back end and browser context, 3 each; target ≤ ${TARGET_MS} ms):`);
  console.log(`  right after the runs table appeared:     median ${fmt(median(immediate))} (${ratio(median(immediate))}), all ${immediate.map(fmt).join(', ')}`);
  console.log(`  after 1 s idle in the runs view:          median ${fmt(median(afterIdle))} (${ratio(median(afterIdle))}), all ${afterIdle.map(fmt).join(', ')}`);

  const backend = await openAppBackend({ home, transport: 'browser', catalog: fakeCatalog, workerPath: FAKE_WORKER, maxConcurrent: LIVE });
  const server = await startServer({ backend, staticDir: await ensureRendererBuilt() });
  try {
    // 1. Server share of one series.
    const q: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s = performance.now();
      const r = await backend.invoke('metrics:query', { id: ids[i % RUNS], keys: ['rollout/episodeReturn'], maxPoints: 500 });
      if (!r.ok) throw new Error(r.error.message);
      q.push(performance.now() - s);
    }
    console.log(`metrics:query, one ${POINTS.toLocaleString()}-point key → 500 points (what the view asks for with 20 runs), in process, uncached: median ${fmt(median(q))}`);

    // 2. Time to rendered.
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(server.url);
    await page.waitForSelector('h1#runs-title');
    const first = await timeToRendered(page, ids);
    // A smaller selection warms the app up; its queries ask for more points per run, so the 20-run ones still miss
    // the server's query cache on the next visit.
    for (let i = 0; i < 3; i++) await timeToRendered(page, ids.slice(0, 5 + i));
    const uncached = await timeToRendered(page, ids);
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push((await timeToRendered(page, ids)).ms);
    console.log(`compare view in one app, ${first.charts} charts drawn (target ≤ ${TARGET_MS} ms):`);
    console.log(`  first visit (this app's page):           ${fmt(first.ms)} (${ratio(first.ms)})`);
    console.log(`  first visit of the selection, app warm:  ${fmt(uncached.ms)} (${ratio(uncached.ms)})`);
    console.log(
      `  repeat visits (server query cache):      median ${fmt(median(warm))} (ratio ${(median(warm) / LATER_TARGET_MS).toFixed(2)} to the later-visit target of ${LATER_TARGET_MS} ms), all ${warm.map(fmt).join(', ')}`,
    );

    // 3. Interaction while LIVE runs stream metrics.
    const live: RunInfo[] = [];
    const streaming = new Set<string>();
    const allStreaming = new Promise<void>((resolve) =>
      backend.subscribe((e) => {
        if (e.event !== 'run:metrics' || !live.some((r) => r.id === e.payload.id)) return;
        streaming.add(e.payload.id);
        if (streaming.size === LIVE) resolve();
      }),
    );
    for (let i = 0; i < LIVE; i++) {
      const r = await backend.invoke('runs:start', { algo: 'fake', env: 'CartPole-v1', seeds: [100 + i], totalSteps: 10_000_000, config: { tickMs: 10, stepsPerTick: 100 }, name: `live ${i}` });
      if (!r.ok) throw new Error(r.error.message);
      live.push(...(r.value as RunInfo[]));
    }
    await allStreaming; // the processes have started (their startup is not part of the view's cost)
    const all = [...ids, ...live.map((r) => r.id)];
    const withLive = await timeToRendered(page, all);
    const withLiveAgain = await timeToRendered(page, all);
    console.log(
      `with ${LIVE} live runs streaming (${all.length} runs, ${withLive.charts} charts): time to rendered ${fmt(withLive.ms)} first, ` +
        `${fmt(withLiveAgain.ms)} again (ratio ${(withLiveAgain.ms / TARGET_MS).toFixed(2)})`,
    );
    const idle = await blocking(page, 3_000);
    console.log(
      `  following live runs for 3 s: ${idle.frames} frames, longest frame gap ${fmt(idle.maxFrameGap)}, ${idle.longTasks} long tasks (${fmt(idle.blockedMs)} blocked)`,
    );
    const smoothing: number[] = [];
    for (let i = 0; i < 12; i++) smoothing.push(await interaction(page, SET_WEIGHT(i % 2 ? 0.9 : 0.6 + i * 0.01)));
    console.log(`  smoothing change → redrawn: median ${fmt(median(smoothing))}, p95 ${fmt(p95(smoothing))} (target ≤ 100 ms, ratio ${(median(smoothing) / 100).toFixed(2)})`);
    const grouping: number[] = [];
    for (let i = 0; i < 6; i++) grouping.push(await interaction(page, SET_GROUPING(i % 2 ? 'none' : 'key:lr')));
    console.log(`  grouping change → redrawn: median ${fmt(median(grouping))}, p95 ${fmt(p95(grouping))} (ratio to 100 ms ${(median(grouping) / 100).toFixed(2)})`);
    for (const r of live) await backend.invoke('runs:stop', { id: r.id });
  } finally {
    await browser.close();
    await server.close();
    await backend.close();
    if (!kept) rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await bench();
