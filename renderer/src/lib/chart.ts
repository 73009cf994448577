/** Chart.js set up once: only the pieces the line charts use, plus zoom/pan. */
import {
  Chart,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type Plugin,
} from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';
import type { Point } from './downsample.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Filler, zoomPlugin);

/** Upper and lower edges of the min/max band of downsampled points (empty when every point is raw). */
export function bandOf(points: readonly Point[]): { hi: Point[]; lo: Point[] } {
  if (!points.some((p) => p.lo !== undefined)) return { hi: [], lo: [] };
  return { hi: points.map((p) => ({ x: p.x, y: p.hi ?? p.y })), lo: points.map((p) => ({ x: p.x, y: p.lo ?? p.y })) };
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export interface LineChartHooks {
  /** Extra per-chart plugins (the chart grid's synchronised crosshair). */
  plugins?: Plugin<'line'>[];
  /** After a user zoom or pan settles (not after resetZoom). */
  onZoomed?: (chart: Chart) => void;
}

export function createLineChart(canvas: HTMLCanvasElement, label: string, points: Point[], hooks: LineChartHooks = {}): Chart<'line', Point[]> {
  const text = cssVar('--muted', '#666');
  const grid = cssVar('--chart-grid', 'rgba(0,0,0,0.1)');
  const line = cssVar('--accent', '#2f6fde');
  const band = cssVar('--chart-band', 'rgba(47, 111, 222, 0.18)');
  const { hi, lo } = bandOf(points);
  // chartjs-plugin-zoom calls onZoomComplete from resetZoom too: that one is not a user zoom.
  const zoomed = (chart: Chart) => {
    if (!(chart as Chart & { policylabResetting?: boolean }).policylabResetting) hooks.onZoomed?.(chart);
  };
  const config: ChartConfiguration<'line', Point[]> = {
    type: 'line',
    data: {
      datasets: [
        {
          label,
          data: points,
          borderColor: line,
          backgroundColor: line,
          borderWidth: 1.5,
          // A line needs two points: a series of one (the first evaluation) is drawn as a dot, not an empty plot.
          pointRadius: (ctx) => (ctx.dataset.data.length === 1 ? 3.5 : 0),
          pointHitRadius: 6,
          tension: 0,
        },
        // The min..max band of each downsampled bucket, so a spike the mean hides stays visible. No legend: the
        // card's title names the one series, and the faint band explains itself (its tooltip is filtered out).
        { label: `${label} max`, data: hi, borderWidth: 0, pointRadius: 0, pointHitRadius: 0, backgroundColor: band, fill: '+1' },
        { label: `${label} min`, data: lo, borderWidth: 0, pointRadius: 0, pointHitRadius: 0, backgroundColor: band, fill: false },
      ],
    },
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        // bounds 'data': the axis ends at the first and last step, not at the next round tick past them.
        x: { type: 'linear', bounds: 'data', title: { display: true, text: 'step', color: text }, ticks: { color: text, maxTicksLimit: 6 }, grid: { color: grid } },
        y: { type: 'linear', ticks: { color: text, maxTicksLimit: 6 }, grid: { color: grid } },
      },
      plugins: {
        // Chart.js's legend plugin is registered globally once the compare view has loaded; a run card never wants it.
        legend: { display: false },
        tooltip: { enabled: true, filter: (item) => item.datasetIndex === 0 },
        zoom: {
          zoom: { wheel: { enabled: true, modifierKey: 'ctrl' }, pinch: { enabled: true }, mode: 'x', onZoomComplete: ({ chart }) => zoomed(chart) },
          pan: { enabled: true, mode: 'x', onPanComplete: ({ chart }) => zoomed(chart) },
        },
      },
    },
    plugins: hooks.plugins ?? [],
  };
  return new Chart(canvas, config);
}

/** chartjs-plugin-zoom's reset, without it reporting a user zoom to the hooks. */
export function resetLineZoom(chart: Chart): void {
  const c = chart as Chart & { policylabResetting?: boolean; resetZoom?: (mode?: 'none') => void };
  c.policylabResetting = true;
  try {
    c.resetZoom?.('none');
  } finally {
    c.policylabResetting = false;
  }
}

/** Shows `min..max` on the x axis (chartjs-plugin-zoom's zoomScale, which reports no user zoom). */
export function zoomLineX(chart: Chart, range: { min: number; max: number }): void {
  (chart as Chart & { zoomScale?: (id: string, r: { min: number; max: number }, mode?: 'none') => void }).zoomScale?.('x', range, 'none');
}
