/**
 * Warms the compare charts up while the app is idle. The first compare view after the app starts otherwise
 * pays for running Chart.js, the smoothing / downsampling / grouping code and the chart components for the
 * first time (V8 runs cold code in its interpreter until it has seen it a few times): measured at about
 * twice the time of a later visit. Once, at idle time after start, two small charts of synthetic series
 * (one with min/max buckets and smoothing, one grouped into a band) are drawn out of sight in a closed
 * shadow root, then removed. No request is made and nothing is kept.
 */
import { mount, unmount } from 'svelte';
import { DEFAULT_COMPARE_SETTINGS } from './compare-settings.svelte.js';
import CompareChart from './CompareChart.svelte';
import type { CompareSeries } from './chart-model.js';

const RUNS = 6;
const POINTS = 600;

/** Deterministic noisy learning curves, half of them as min/max buckets like a downsampled server answer. */
export function warmUpSeries(runs = RUNS, points = POINTS): CompareSeries[] {
  return Array.from({ length: runs }, (_, r) => {
    const steps = new Array<number>(points);
    const values = new Array<number>(points);
    const times = new Array<number>(points);
    const lows = new Array<number>(points);
    const highs = new Array<number>(points);
    for (let i = 0; i < points; i++) {
      steps[i] = (i + 1) * 100;
      const noise = Math.sin(i * 12.9898 + r * 78.233) * 20;
      values[i] = 500 * (1 - Math.exp(-(3 + r * 0.3) * (i / points))) + noise;
      times[i] = 1_700_000_000_000 + i * 10;
      lows[i] = values[i] - Math.abs(noise);
      highs[i] = values[i] + Math.abs(noise);
    }
    return {
      runId: `warm-up-${r}`,
      name: `warm-up ${r}`,
      steps,
      values,
      times,
      ...(r % 2 === 0 ? { lows, highs } : {}),
    };
  });
}

const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));

/** Draws the warm-up charts in `doc` and removes them again (resolves when done). */
export async function warmUpCompareCharts(doc: Document = document): Promise<void> {
  const host = doc.createElement('div');
  host.setAttribute('aria-hidden', 'true');
  host.style.cssText = 'position:fixed;left:-20000px;top:0;width:720px;visibility:hidden;pointer-events:none;contain:strict;height:700px';
  doc.body.append(host);
  const root = host.attachShadow({ mode: 'closed' });
  const runs = warmUpSeries();
  const ids = runs.map((r) => r.runId);
  const charts = [
    mount(CompareChart, { target: root, props: { metricKey: 'warm-up', runs, smoothing: DEFAULT_COMPARE_SETTINGS.smoothing } }),
    mount(CompareChart, {
      target: root,
      props: {
        metricKey: 'warm-up grouped',
        runs,
        smoothing: DEFAULT_COMPARE_SETTINGS.smoothing,
        groups: [
          { key: 'a', label: 'a', runIds: ids.slice(0, 3) },
          { key: 'b', label: 'b', runIds: ids.slice(3) },
        ],
        band: 'ci95',
        showMembers: true,
      },
    }),
  ];
  try {
    await nextFrame();
    await nextFrame();
  } finally {
    for (const c of charts) await unmount(c);
    host.remove();
  }
}

/** Schedules the warm-up once, when the browser is next idle (within `timeoutMs` at the latest). */
export function scheduleCompareWarmUp(timeoutMs = 3_000): void {
  const run = () => void warmUpCompareCharts().catch((err: unknown) => console.warn('compare chart warm-up failed:', err));
  if (typeof requestIdleCallback === 'function') requestIdleCallback(run, { timeout: timeoutMs });
  else setTimeout(run, 200);
}
