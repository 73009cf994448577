/**
 * Statistics across seeds (core/stats): stratified bootstrap CIs for 50 runs × 10k resamples (target ≤ 100 ms,
 * the work the compare view's statistics worker does for one group), the performance profile with CI bands on
 * 41 τ, the probability of improvement of one 50-run group over another, and the whole panel for 4 groups.
 * Seeded synthetic scores; median of 7 after 2 warm-ups. Then the same 50 runs × 10k resamples in the compare
 * view's Web Worker (renderer/src/compare/stats-worker.ts bundled by esbuild) in Debian's Chromium: time per
 * request, and the longest gap between the page's animation frames meanwhile (the UI is not blocked when it stays
 * near a frame). Run alone with `npx tsx test/bench/stats.ts`.
 */
import { loadavg } from 'node:os';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { pathToFileURL } from 'node:url';
import { Rng } from '../../core/common/rng.js';
import { groupStatistics, tauGrid } from '../../core/stats/compare.js';
import { aggregateSummary, performanceProfileCI, probabilityOfImprovementCI } from '../../core/stats/index.js';

const RUNS = 50;
const RESAMPLES = 10_000;
const TARGET_MS = 100;

function timeIt(f: () => unknown): number {
  for (let i = 0; i < 2; i++) f();
  const ms: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    f();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[3]!;
}

export async function bench(): Promise<void> {
  const rng = new Rng(0);
  const scores = (shift: number) => Array.from({ length: RUNS }, () => 400 + shift + 60 * rng.normal());
  const x = [scores(0)];
  const y = [scores(20)];
  const groups = [0, 10, 20, 30].map((s, g) => ({ label: `g${g}`, runs: scores(s).map((v, i) => ({ runId: `g${g}r${i}`, stratum: 'CartPole-v1', score: v })) }));
  const taus = tauGrid(groups, 41);
  const opts = { resamples: RESAMPLES, seed: 1 };
  const summary = timeIt(() => aggregateSummary(x, { ...opts, gamma: 475 }));
  const profile = timeIt(() => performanceProfileCI(x, taus, opts));
  const poi = timeIt(() => probabilityOfImprovementCI(x, y, opts));
  const panel = timeIt(() => groupStatistics(groups, { gamma: 475, ...opts }));
  const [l1] = loadavg();
  console.log(`load average ${l1!.toFixed(2)}; ${RUNS} runs, ${RESAMPLES} resamples, seed 1`);
  console.log(`IQM + mean + median + optimality gap CIs (one group): ${summary.toFixed(1)} ms (target ≤ ${TARGET_MS} ms: ${(summary / TARGET_MS).toFixed(2)}×)`);
  console.log(`performance profile CI, 41 τ (one group):            ${profile.toFixed(1)} ms`);
  console.log(`P(improvement) CI, 50 vs 50 runs:                     ${poi.toFixed(1)} ms`);
  console.log(`whole panel, 4 groups (4 summaries, 4 profiles, 12 P(improvement)): ${panel.toFixed(1)} ms`);
  await inBrowserWorker([groups[0]!]);
}

/** The statistics worker in Chromium: ms per request (median of 7 after 2) and the longest frame gap meanwhile. */
async function inBrowserWorker(groups: { label: string; runs: { runId: string; stratum: string; score: number }[] }[]): Promise<void> {
  const path = findChromium();
  if (!path) {
    console.log('Chromium worker: skipped (no Chromium)');
    return;
  }
  const bundled = await build({ entryPoints: ['renderer/src/compare/stats-worker.ts'], bundle: true, format: 'iife', write: false, target: 'es2022' });
  const code = bundled.outputFiles[0]!.text;
  const browser = await chromium.launch({ executablePath: path, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.setContent('<html><body>stats bench</body></html>');
    // A string, not a function: tsx's helpers (`__name`) do not exist in the page.
    const script = `(async () => {
      const worker = new Worker(URL.createObjectURL(new Blob([${JSON.stringify(code)}], { type: 'text/javascript' })));
      const groups = ${JSON.stringify(groups)};
      const ask = (id) => new Promise((resolve, reject) => {
        const t0 = performance.now();
        worker.onmessage = (e) => (e.data.ok ? resolve({ wall: performance.now() - t0, ms: e.data.ms }) : reject(new Error(e.data.error)));
        worker.postMessage({ id, groups, options: { gamma: 475, resamples: ${RESAMPLES}, seed: 1 } });
      });
      let maxGap = 0;
      let last = performance.now();
      let running = true;
      const frame = () => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        if (running) requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
      const times = [];
      for (let i = 0; i < 9; i++) times.push(await ask(i));
      running = false;
      worker.terminate();
      return { times: times.slice(2), maxGap };
    })()`;
    const out = (await page.evaluate(script)) as { times: { wall: number; ms: number }[]; maxGap: number };
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const inWorker = med(out.times.map((t) => t.ms));
    console.log(
      `Chromium Web Worker, one group of ${RUNS} runs (summary + 41-τ profile), ${RESAMPLES} resamples: ${inWorker.toFixed(1)} ms in the worker, ` +
        `${med(out.times.map((t) => t.wall)).toFixed(1)} ms round trip; longest gap between the page's frames meanwhile ${out.maxGap.toFixed(1)} ms`,
    );
  } finally {
    await browser.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await bench();
