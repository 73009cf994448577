/**
 * Axes and colours for the sweep plots (parallel coordinates, metric-vs-parameter scatters): a parameter's axis is
 * numeric (linear, or log when the spec samples it log-uniformly) when every value is a number, else categorical
 * (its distinct values evenly spaced). Positions are fractions in [0, 1]; the components map them to pixels.
 */
import type { SweepParamValue } from '../../../core/api/contract.js';

export interface Axis {
  key: string;
  kind: 'linear' | 'log' | 'category';
  /** Position of a value in [0, 1] (0 = bottom/left); null for a value the axis cannot place. */
  pos(v: SweepParamValue): number | null;
  ticks: { label: string; at: number }[];
}

export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return Number(v.toPrecision(3)).toExponential().replace('e+', 'e');
  return Number(v.toPrecision(3)).toString();
}

function label(v: SweepParamValue): string {
  return typeof v === 'number' ? formatNumber(v) : typeof v === 'string' ? v : JSON.stringify(v);
}

/** The axis of `key` over the values it takes; `log` when the spec draws it log-uniformly (and all are > 0). */
export function axisFor(key: string, values: readonly SweepParamValue[], log = false): Axis {
  const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (nums.length === values.length && nums.length > 0) {
    const useLog = log && nums.every((v) => v > 0);
    const f = useLog ? Math.log : (x: number) => x;
    const lo = Math.min(...nums.map(f));
    const hi = Math.max(...nums.map(f));
    const pos = (v: SweepParamValue) => (typeof v !== 'number' || (useLog && v <= 0) ? null : hi === lo ? 0.5 : (f(v) - lo) / (hi - lo));
    const ends = hi === lo ? [nums[0]!] : [Math.min(...nums), Math.max(...nums)];
    const mid = hi === lo ? [] : [useLog ? Math.exp((lo + hi) / 2) : (lo + hi) / 2];
    const ticks = [...ends, ...mid].map((v) => ({ label: formatNumber(v), at: pos(v)! })).sort((a, b) => a.at - b.at);
    return { key, kind: useLog ? 'log' : 'linear', pos, ticks };
  }
  const labels = [...new Set(values.map(label))];
  const at = (i: number) => (labels.length === 1 ? 0.5 : i / (labels.length - 1));
  return {
    key,
    kind: 'category',
    pos: (v) => {
      const i = labels.indexOf(label(v));
      return i < 0 ? null : at(i);
    },
    ticks: labels.map((l, i) => ({ label: l, at: at(i) })),
  };
}

// Viridis at five stops (matplotlib's colormap, perceptually uniform and colour-blind safe).
const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
] as const;

/**
 * Viridis colour of t in [0, 1] (low = dark purple, high = light green). The map is cut at 85%: its last, yellow
 * stretch is nearly invisible as a thin line on a light background.
 */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * 0.85 * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const u = x - i;
  const [a, b] = [VIRIDIS[i]!, VIRIDIS[i + 1]!];
  const c = a.map((v, k) => Math.round(v + (b[k]! - v) * u));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** Whether the spec draws `key` log-uniformly (`{"min", "max", "log": true}`). */
export function isLogParam(spec: Record<string, unknown>, key: string): boolean {
  const p = (spec.parameters as Record<string, { log?: unknown }> | undefined)?.[key];
  return p?.log === true;
}
