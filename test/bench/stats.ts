/**
 * Statistics across seeds (core/stats): stratified bootstrap CIs for 50 runs × 10k resamples (target ≤ 100 ms,
 * the work the compare view's statistics worker does for one group), the performance profile with CI bands on
 * 41 τ, the probability of improvement of one 50-run group over another, and the whole panel for 4 groups.
 * Seeded synthetic scores; median of 7 after 2 warm-ups. Run alone with `npx tsx test/bench/stats.ts`.
 */
import { loadavg } from 'node:os';
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
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await bench();
