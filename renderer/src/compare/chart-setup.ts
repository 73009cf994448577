/**
 * Chart.js wiring for the compare chart: registration, a per-dataset nearest-x interaction (TensorBoard
 * style tooltips listing every run at the hovered x), dataset styling by line role, and options.
 */
import {
  Chart,
  Filler,
  Interaction,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartDataset,
  type ChartOptions,
  type InteractionItem,
  type InteractionModeFunction,
  type Plugin,
  type TooltipItem,
} from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';
import { formatValue, formatX, X_AXIS_LABELS, type XAxisMode } from '../analysis/x-axis.js';
import type { ChartLine } from './chart-model.js';
import { lineAlpha, ownerOf, type XY } from './raw-lines.js';

export { ownerOf, type XY } from './raw-lines.js';

declare module 'chart.js' {
  interface InteractionModeMap {
    nearestPerDataset: InteractionModeFunction;
  }
}

/** For every visible dataset, the element whose x pixel is nearest the pointer (binary search). */
const nearestPerDataset: InteractionModeFunction = (chart, e) => {
  const items: InteractionItem[] = [];
  const x = e.x;
  if (x === null) return items;
  chart.data.datasets.forEach((_, datasetIndex) => {
    if (!chart.isDatasetVisible(datasetIndex)) return;
    const elements = chart.getDatasetMeta(datasetIndex).data;
    if (elements.length === 0) return;
    let lo = 0;
    let hi = elements.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (elements[mid].x < x) lo = mid + 1;
      else hi = mid;
    }
    const index = lo > 0 && Math.abs(elements[lo - 1].x - x) <= Math.abs(elements[lo].x - x) ? lo - 1 : lo;
    items.push({ element: elements[index], datasetIndex, index });
  });
  return items;
};

Interaction.modes.nearestPerDataset = nearestPerDataset;
Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Legend, Filler, zoomPlugin);


export interface ChartTheme {
  text: string;
  grid: string;
  background: string;
}

/** Reads the app's CSS variables (app.css) where the chart lives. */
export function readTheme(el: Element): ChartTheme {
  const style = getComputedStyle(el);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return { text: v('--muted', '#5b6573'), grid: v('--chart-grid', 'rgba(0,0,0,0.08)'), background: v('--panel', '#ffffff') };
}

/** Fills the canvas background, so an exported PNG is not transparent. */
export function backgroundPlugin(theme: () => ChartTheme): Plugin<'line'> {
  return {
    id: 'policylabBackground',
    beforeDraw(chart) {
      const { ctx, width, height } = chart;
      ctx.save();
      ctx.globalCompositeOperation = 'destination-over';
      ctx.fillStyle = theme().background;
      ctx.fillRect(0, 0, width, height);
      ctx.restore();
    },
  };
}


/** A line drawn as a Chart.js dataset: every role but `raw` (rawLinesPlugin draws those). */
export type DatasetLine = ChartLine & { role: Exclude<ChartLine['role'], 'raw'> };

export function isDatasetLine(line: ChartLine): line is DatasetLine {
  return line.role !== 'raw';
}

export function styleDataset(
  line: DatasetLine,
  colour: string,
  highlight: string | null,
  hidden: boolean,
): ChartDataset<'line', XY[]> {
  const faded = highlight !== null && ownerOf(line) !== highlight;
  const lifted = highlight !== null && !faded;
  const a = lineAlpha(line, colour, highlight);
  const base = {
    label: line.label,
    data: line.points,
    hidden,
    pointRadius: 0,
    pointHoverRadius: 3,
    pointHitRadius: 4,
    tension: 0,
    spanGaps: false,
  };
  switch (line.role) {
    case 'member':
      return { ...base, borderColor: a(0.4), backgroundColor: a(0.4), borderWidth: 1 };
    case 'band-lower':
      return { ...base, borderColor: 'transparent', borderWidth: 0, fill: false, pointHoverRadius: 0 };
    case 'band-upper':
      return { ...base, borderColor: 'transparent', borderWidth: 0, fill: '-1', backgroundColor: a(0.18), pointHoverRadius: 0 };
    case 'smooth':
    case 'mean':
      return { ...base, borderColor: a(1), backgroundColor: a(1), borderWidth: lifted ? 2.75 : line.role === 'mean' ? 2 : 1.6 };
  }
}

export interface OptionsArgs {
  xAxis: XAxisMode;
  logX: boolean;
  logY: boolean;
  metricKey: string;
  range: { min: number; max: number } | null;
  theme: ChartTheme;
  lines: () => readonly ChartLine[];
  /** Exact raw value behind a smoothed point, for the tooltip. */
  rawAt: (runId: string, x: number) => number | null;
  onZoomed: (chart: Chart) => void;
  /** The y extent of lines drawn outside the datasets (rawLinesPlugin): the y axis covers it too. */
  extraY?: { min: number; max: number } | null;
  /** The run or group whose line is nearest the pointer (null when it leaves the plot): hover → highlight. */
  onHoverLine?: (owner: string | null) => void;
}

/** The owner (run id or group key) of the drawn line nearest to a pointer event, or null. */
export function lineNearest(chart: Chart, event: Event, lines: readonly ChartLine[]): string | null {
  const hits = chart.getElementsAtEventForMode(event, 'nearest', { intersect: false, axis: 'xy' }, false);
  for (const hit of hits) {
    const line = lines[hit.datasetIndex];
    if (line && (line.role === 'smooth' || line.role === 'mean' || line.role === 'member')) return ownerOf(line);
  }
  return null;
}

export function buildOptions(args: OptionsArgs): ChartOptions<'line'> {
  const { theme } = args;
  const label = (item: TooltipItem<'line'>): string => {
    const line = args.lines()[item.datasetIndex];
    const y = item.parsed.y;
    let text = `${line.label}: ${formatValue(y)}`;
    if (line.role === 'smooth') {
      const raw = args.rawAt(line.id, item.parsed.x ?? 0);
      if (raw !== null && raw !== y) text += `  (raw ${formatValue(raw)})`;
    }
    if (line.role === 'mean') {
      const all = args.lines();
      const lower = all.find((l) => l.role === 'band-lower' && l.id === line.id);
      const upper = all.find((l) => l.role === 'band-upper' && l.id === line.id);
      const lo = lower?.points[item.dataIndex]?.y;
      const hi = upper?.points[item.dataIndex]?.y;
      if (lo !== undefined && hi !== undefined) text += `  [${formatValue(lo)}, ${formatValue(hi)}]`;
    }
    return text;
  };
  return {
    animation: false,
    parsing: false,
    normalized: true,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: 'nearestPerDataset', intersect: false },
    onHover: (event, _elements, chart) => {
      if (!args.onHoverLine) return;
      const inside = event.type !== 'mouseout' && event.native !== null;
      args.onHoverLine(inside ? lineNearest(chart, event.native!, args.lines()) : null);
    },
    scales: {
      x: {
        type: args.logX ? 'logarithmic' : 'linear',
        // The axis ends at the data (or the zoom), not at the next round tick past it.
        bounds: 'data',
        min: args.range?.min,
        max: args.range?.max,
        title: { display: true, text: `${X_AXIS_LABELS[args.xAxis]}${args.xAxis === 'relative' ? ' (s)' : ''}`, color: theme.text },
        ticks: { color: theme.text, maxTicksLimit: 8, callback: (v) => formatX(Number(v), args.xAxis) },
        grid: { color: theme.grid },
      },
      y: {
        type: args.logY ? 'logarithmic' : 'linear',
        suggestedMin: args.extraY?.min,
        suggestedMax: args.extraY?.max,
        title: { display: true, text: args.metricKey, color: theme.text },
        ticks: { color: theme.text, maxTicksLimit: 8, callback: (v) => formatValue(Number(v)) },
        grid: { color: theme.grid },
      },
    },
    plugins: {
      legend: {
        display: false,
        // Shown only in exported PNGs (the live legend is HTML): one entry per run or group.
        labels: { color: theme.text, filter: (item) => isLegendRole(args.lines()[item.datasetIndex ?? -1]) },
      },
      tooltip: {
        filter: (item) => {
          const role = args.lines()[item.datasetIndex]?.role;
          return role === 'smooth' || role === 'mean';
        },
        itemSort: (a, b) => (b.parsed.y ?? 0) - (a.parsed.y ?? 0),
        callbacks: { title: (items) => (items.length ? formatX(items[0].parsed.x ?? 0, args.xAxis) : ''), label },
      },
      zoom: {
        zoom: {
          drag: { enabled: true, threshold: 5, backgroundColor: 'rgba(47,111,222,0.15)', borderColor: 'rgba(47,111,222,0.6)', borderWidth: 1 },
          wheel: { enabled: true, modifierKey: 'ctrl' },
          mode: 'x',
          onZoomComplete: ({ chart }) => args.onZoomed(chart),
        },
        pan: { enabled: true, mode: 'x', modifierKey: 'shift', onPanComplete: ({ chart }) => args.onZoomed(chart) },
      },
    },
  };
}

function isLegendRole(line: ChartLine | undefined): boolean {
  return line !== undefined && (line.role === 'smooth' || line.role === 'mean');
}
