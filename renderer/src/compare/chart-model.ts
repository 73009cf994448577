/**
 * What the compare chart draws, as plain data: per run a smoothed line (computed once on the full series,
 * cached) with the raw line behind it, or per group a mean line and band on a common grid — each cut to
 * the visible x range and downsampled to at most one point per pixel column. No Chart.js here, so it
 * is unit-tested in Node.
 */
import { downsampleMinMax, lowerBound, type XRange } from '../analysis/downsample.js';
import { aggregateGroup, linearGrid, membersRange, type BandKind, type RunGroup } from '../analysis/grouping.js';
import { isSmoothing, smoothingKey, smoothSeries, type SmoothingSpec } from '../analysis/smoothing.js';
import { canUseLogScale, toFloat64, xValues, type XAxisMode } from '../analysis/x-axis.js';

/** One run's values of one metric key, as the app fetched them (full or best available resolution). */
export interface CompareSeries {
  runId: string;
  name: string;
  steps: ArrayLike<number>;
  values: ArrayLike<number>;
  /** Wall-clock ms of each point; needed for the wall / relative x axes. */
  times?: ArrayLike<number>;
  /** Run start, ms epoch (relative time counts from here; else from the first point). */
  startTime?: number;
  /**
   * Per point, the smallest and largest raw value behind it, when the server sent min/max buckets instead of
   * every point: the faint raw line draws these extremes, so a spike averaged away in `values` still shows.
   */
  lows?: ArrayLike<number>;
  highs?: ArrayLike<number>;
}

export interface PreparedSeries {
  runId: string;
  name: string;
  xs: Float64Array;
  /** The values as logged, copied into a Float64Array so every hot loop sees one array type. */
  raw: Float64Array;
  smooth: Float64Array;
  /** The raw line when the series came as buckets: each bucket's min and max at its x (else null: `raw` is drawn). */
  envelope: { xs: Float64Array; ys: Float64Array } | null;
  /** Every x > 0 / every finite value > 0: whether log axes are valid (computed once here). */
  xPositive: boolean;
  rawPositive: boolean;
}

interface CacheEntry {
  steps: ArrayLike<number>;
  values: ArrayLike<number>;
  times: ArrayLike<number> | undefined;
  startTime: number | undefined;
  lows: ArrayLike<number> | undefined;
  xAxis: XAxisMode;
  smoothing: string;
  prepared: PreparedSeries;
}

/**
 * Memoises per run, in layers keyed on array identity (the app replaces arrays, it does not mutate them):
 * the x transform (steps/times + axis), the Float64 copy of the values, and the smoothing. A smoothing
 * change re-smooths only; a live run that appended points is redone while the other nineteen are not.
 */
export class SeriesCache {
  #entries = new Map<string, CacheEntry>();

  prepare(series: readonly CompareSeries[], smoothing: SmoothingSpec, xAxis: XAxisMode): PreparedSeries[] {
    const smoothKey = smoothingKey(smoothing);
    const next = new Map<string, CacheEntry>();
    const out = series.map((s) => {
      if (s.steps.length !== s.values.length) {
        throw new Error(`run ${s.runId}: ${s.steps.length} steps but ${s.values.length} values`);
      }
      const hit = this.#entries.get(s.runId);
      const sameX = hit !== undefined && hit.xAxis === xAxis && hit.steps === s.steps && hit.times === s.times && hit.startTime === s.startTime;
      const sameValues = hit !== undefined && hit.values === s.values;
      const sameSmooth = sameValues && hit.smoothing === smoothKey;
      const sameEnvelope = sameX && hit.lows === s.lows;
      let prepared: PreparedSeries;
      if (hit && sameX && sameSmooth && sameEnvelope) {
        prepared = hit.prepared.name === s.name ? hit.prepared : { ...hit.prepared, name: s.name };
      } else {
        const xs = sameX ? hit.prepared.xs : xValues(s, xAxis, `run ${s.runId}`);
        const raw = sameValues ? hit.prepared.raw : toFloat64(s.values);
        const envelope = sameEnvelope ? hit.prepared.envelope : envelopeOf(xs, raw, s.lows, s.highs);
        prepared = {
          runId: s.runId,
          name: s.name,
          xs,
          raw,
          smooth: sameSmooth ? hit.prepared.smooth : smoothSeries(raw, smoothing),
          envelope,
          xPositive: sameX ? hit.prepared.xPositive : canUseLogScale(xs),
          rawPositive: sameValues && sameEnvelope ? hit.prepared.rawPositive : canUseLogScale(envelope?.ys ?? raw),
        };
      }
      next.set(s.runId, {
        steps: s.steps,
        values: s.values,
        times: s.times,
        startTime: s.startTime,
        lows: s.lows,
        xAxis,
        smoothing: smoothKey,
        prepared,
      });
      return prepared;
    });
    this.#entries = next;
    return out;
  }
}

/** Bucket extremes as a line: (x, min), (x, max) where a point stands for several raw ones, (x, value) otherwise. */
function envelopeOf(
  xs: Float64Array,
  values: Float64Array,
  lows: ArrayLike<number> | undefined,
  highs: ArrayLike<number> | undefined,
): { xs: Float64Array; ys: Float64Array } | null {
  if (!lows || !highs) return null;
  if (lows.length !== values.length || highs.length !== values.length) {
    throw new Error(`bucket extremes: ${lows.length} lows and ${highs.length} highs for ${values.length} values`);
  }
  let n = 0;
  for (let i = 0; i < values.length; i++) n += lows[i] < highs[i] ? 2 : 1;
  const ex = new Float64Array(n);
  const ey = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < values.length; i++) {
    if (lows[i] < highs[i]) {
      ex[j] = xs[i];
      ey[j++] = lows[i];
      ex[j] = xs[i];
      ey[j++] = highs[i];
    } else {
      ex[j] = xs[i];
      ey[j++] = values[i];
    }
  }
  return { xs: ex, ys: ey };
}

export type LineRole = 'raw' | 'smooth' | 'member' | 'band-lower' | 'band-upper' | 'mean';

export interface ChartLine {
  role: LineRole;
  /** Run id, or group key for group lines (members carry their run id and `group`). */
  id: string;
  group?: string;
  label: string;
  points: { x: number; y: number }[];
}

export interface LineOptions {
  /** Most points per line: the plot's width in pixels. */
  maxPoints: number;
  range: XRange | null;
  smoothing: SmoothingSpec;
  /** When set, grouped runs are drawn as mean + band; runs in no group stay individual lines. */
  groups?: readonly RunGroup[] | null;
  band?: BandKind;
  showMembers?: boolean;
}

function toPoints(xs: ArrayLike<number>, ys: ArrayLike<number>): { x: number; y: number }[] {
  const pts = new Array<{ x: number; y: number }>(xs.length);
  for (let i = 0; i < xs.length; i++) pts[i] = { x: xs[i], y: ys[i] };
  return pts;
}

function lineOf(s: PreparedSeries, ys: ArrayLike<number>, opts: LineOptions) {
  const d = downsampleMinMax(s.xs, ys, opts.maxPoints, opts.range);
  return toPoints(d.xs, d.ys);
}

function envelopeLine(e: { xs: Float64Array; ys: Float64Array }, opts: LineOptions) {
  const d = downsampleMinMax(e.xs, e.ys, opts.maxPoints, opts.range);
  return toPoints(d.xs, d.ys);
}

/** Lines in draw order: raw lines first (behind), then bands, members, smoothed and mean lines. */
export function buildLines(prepared: readonly PreparedSeries[], opts: LineOptions): ChartLine[] {
  const showRaw = isSmoothing(opts.smoothing);
  const grouped = new Set<string>();
  const groupLines: ChartLine[] = [];
  for (const g of opts.groups ?? []) {
    const members = prepared.filter((p) => g.runIds.includes(p.runId));
    if (members.length === 0) continue;
    members.forEach((m) => grouped.add(m.runId));
    const span = opts.range ?? membersRange(members.map((m) => ({ xs: m.xs, ys: m.smooth })));
    if (span === null) continue;
    const grid = linearGrid(span.min, span.max, Math.max(2, opts.maxPoints));
    const agg = aggregateGroup(members.map((m) => ({ xs: m.xs, ys: m.smooth })), grid, opts.band ?? 'std');
    const keep = (ys: Float64Array) => {
      const pts: { x: number; y: number }[] = [];
      for (let i = 0; i < grid.length; i++) if (agg.count[i] > 0) pts.push({ x: grid[i], y: ys[i] });
      return pts;
    };
    const label = `${g.label} (n=${members.length})`;
    // band-lower then band-upper: the upper dataset fills down to the one before it.
    groupLines.push({ role: 'band-lower', id: g.key, label, points: keep(agg.lower) });
    groupLines.push({ role: 'band-upper', id: g.key, label, points: keep(agg.upper) });
    if (opts.showMembers) {
      for (const m of members) groupLines.push({ role: 'member', id: m.runId, group: g.key, label: m.name, points: lineOf(m, m.smooth, opts) });
    }
    groupLines.push({ role: 'mean', id: g.key, label, points: keep(agg.mean) });
  }
  const single = prepared.filter((p) => !grouped.has(p.runId));
  const raw: ChartLine[] = showRaw
    ? single.map((s) => ({ role: 'raw', id: s.runId, label: s.name, points: s.envelope ? envelopeLine(s.envelope, opts) : lineOf(s, s.raw, opts) }))
    : [];
  const smooth: ChartLine[] = single.map((s) => ({
    role: 'smooth',
    id: s.runId,
    label: s.name,
    points: lineOf(s, showRaw ? s.smooth : s.raw, opts),
  }));
  return [...raw, ...groupLines, ...smooth];
}

/** The raw value a run logged at exactly `x` (or nearest by x) — tooltips show it beside the smoothed one. */
export function rawValueAt(s: PreparedSeries, x: number): number | null {
  if (s.xs.length === 0) return null;
  const i = lowerBound(s.xs, x);
  const candidates = [i - 1, i].filter((j) => j >= 0 && j < s.xs.length);
  let best = candidates[0];
  for (const j of candidates) if (Math.abs(s.xs[j] - x) < Math.abs(s.xs[best] - x)) best = j;
  return s.raw[best];
}

/** The full x extent of the prepared series (for resetting and for log-x validity). */
export function fullRange(prepared: readonly PreparedSeries[]): XRange | null {
  return membersRange(prepared.map((p) => ({ xs: p.xs, ys: p.raw })));
}
