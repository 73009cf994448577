/**
 * The runs table's columns (pure: no DOM, no Svelte). A column id is one of
 * - a fixed column (`name`, `algo`, `env`, `status`, `backend`, `step`, `createdAt`, `duration`, `tags`),
 * - `config:<key>`: a config value (nested objects flattened with dots: `net.hidden`),
 * - `metric:<stat>:<key>`: a metric summary, stat ∈ last / min / max / best (best = max, or min for losses),
 * - `spark` (the return curve), `solvedStep` / `solvedTime` (steps and wall seconds to the env's reward threshold),
 *   `auc` (area under the return curve ÷ its step span).
 * Values sort numerically when numbers, else as lower-cased text; missing values always sort last.
 */
import type { RunInfo, RunTableRow } from '../../../core/api/contract.js';
import { metricGoal, METRIC_STATS, type MetricStat } from '../analysis/summary.js';
import { runDuration } from '../lib/run-duration.js';

export const FIXED_COLUMNS = ['name', 'algo', 'env', 'status', 'backend', 'step', 'createdAt', 'duration', 'tags'] as const;
export const EFFICIENCY_COLUMNS = ['spark', 'solvedStep', 'solvedTime', 'auc'] as const;
export type FixedColumn = (typeof FIXED_COLUMNS)[number];
export type EfficiencyColumn = (typeof EFFICIENCY_COLUMNS)[number];

const FIXED_LABELS: Record<FixedColumn, string> = {
  name: 'Name',
  algo: 'Algorithm',
  env: 'Env',
  status: 'Status',
  backend: 'Backend',
  step: 'Steps',
  createdAt: 'Started',
  duration: 'Duration',
  tags: 'Tags',
};
const EFFICIENCY_LABELS: Record<EfficiencyColumn, string> = {
  spark: 'Return curve',
  solvedStep: 'Steps to threshold',
  solvedTime: 'Time to threshold',
  auc: 'Return AUC (mean over steps)',
};

export const RETURN_KEY = 'rollout/episodeReturn';

export const DEFAULT_COLUMNS: readonly string[] = [
  'name',
  'algo',
  'env',
  'status',
  'backend',
  'step',
  `metric:last:${RETURN_KEY}`,
  `metric:best:${RETURN_KEY}`,
  'spark',
  'createdAt',
  'duration',
  'tags',
];

export type ParsedColumn =
  | { kind: 'fixed'; id: FixedColumn }
  | { kind: 'config'; key: string }
  | { kind: 'metric'; stat: MetricStat; key: string }
  | { kind: 'efficiency'; id: EfficiencyColumn };

/** The column an id names, or null for an id that names none (a stale or hand-edited layout). */
export function parseColumn(id: string): ParsedColumn | null {
  if ((FIXED_COLUMNS as readonly string[]).includes(id)) return { kind: 'fixed', id: id as FixedColumn };
  if ((EFFICIENCY_COLUMNS as readonly string[]).includes(id)) return { kind: 'efficiency', id: id as EfficiencyColumn };
  if (id.startsWith('config:') && id.length > 7) return { kind: 'config', key: id.slice(7) };
  const m = /^metric:(last|min|max|best):(.+)$/.exec(id);
  if (m) return { kind: 'metric', stat: m[1] as MetricStat, key: m[2]! };
  return null;
}

export function columnLabel(id: string): string {
  const c = parseColumn(id);
  if (!c) return id;
  switch (c.kind) {
    case 'fixed':
      return FIXED_LABELS[c.id];
    case 'efficiency':
      return EFFICIENCY_LABELS[c.id];
    case 'config':
      return c.key;
    case 'metric':
      if (c.key === RETURN_KEY && c.stat !== 'min') return `${c.stat === 'last' ? 'Last' : c.stat === 'max' ? 'Max' : 'Best'} return`;
      return `${c.key} (${c.stat})`;
  }
}

/** Whether a column holds numbers (right-aligned, averaged in group rows). */
export function isNumericColumn(id: string): boolean {
  const c = parseColumn(id);
  if (!c) return false;
  if (c.kind === 'metric') return true;
  if (c.kind === 'efficiency') return c.id !== 'spark';
  if (c.kind === 'fixed') return c.id === 'step' || c.id === 'duration';
  return false;
}

/** Config flattened to dotted keys (arrays stay values: `[64,64]`). */
export function flattenConfig(config: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(config)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flattenConfig(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

/** The value a cell shows and sorts by: a number, a string, or null (missing). `now` for running durations. */
export function columnValue(run: RunInfo, row: RunTableRow | undefined, id: string, now?: number): number | string | null {
  const c = parseColumn(id);
  if (!c) return null;
  switch (c.kind) {
    case 'fixed':
      switch (c.id) {
        case 'step':
          return run.step;
        case 'backend':
          return run.backend?.name ?? null;
        case 'duration':
          return runDuration(run, now) ?? null;
        case 'createdAt':
          return Date.parse(run.startedAt ?? run.createdAt);
        case 'tags':
          return run.tags.join(' ') || null;
        default:
          return run[c.id];
      }
    case 'config': {
      const v = flattenConfig(run.config)[c.key];
      if (v === undefined || v === null) return null;
      if (typeof v === 'number' || typeof v === 'string') return v;
      return JSON.stringify(v);
    }
    case 'metric': {
      const s = row?.metrics[c.key];
      if (!s) {
        // Before the rows arrive, the run record's own return summary.
        if (c.key === RETURN_KEY && c.stat === 'last') return run.summary.lastReturn;
        if (c.key === RETURN_KEY && c.stat === 'best') return run.summary.bestReturn;
        return null;
      }
      const stat = c.stat === 'best' ? (metricGoal(c.key) === 'max' ? 'max' : 'min') : c.stat;
      return s[stat];
    }
    case 'efficiency':
      switch (c.id) {
        case 'solvedStep':
          return row?.solved?.step ?? null;
        case 'solvedTime':
          return row?.solved?.seconds ?? null;
        case 'auc':
          return row?.auc ?? null;
        case 'spark':
          return row?.spark?.values.at(-1) ?? null;
      }
  }
}

/** Ascending order of two cell values with missing values last whatever the direction (dir = 1 or −1). */
export function compareValues(a: number | string | null, b: number | string | null, dir: 1 | -1): number {
  if (a === null || (typeof a === 'number' && Number.isNaN(a))) return b === null ? 0 : 1;
  if (b === null || (typeof b === 'number' && Number.isNaN(b))) return -1;
  if (typeof a === 'number' && typeof b === 'number') return (a - b) * dir;
  const x = String(a).toLowerCase();
  const y = String(b).toLowerCase();
  return (x < y ? -1 : x > y ? 1 : 0) * dir;
}

/** Every column the picker offers for these runs: fixed, efficiency, each config key, each metric key × stat. */
export function availableColumns(runs: readonly RunInfo[], rows: ReadonlyMap<string, RunTableRow>): { fixed: string[]; config: string[]; metrics: string[] } {
  const config = new Set<string>();
  for (const r of runs) for (const k of Object.keys(flattenConfig(r.config))) config.add(k);
  const metrics = new Set<string>([RETURN_KEY]);
  for (const row of rows.values()) for (const k of Object.keys(row.metrics)) metrics.add(k);
  return {
    fixed: [...FIXED_COLUMNS, ...EFFICIENCY_COLUMNS],
    config: [...config].sort().map((k) => `config:${k}`),
    metrics: [...metrics].sort().flatMap((k) => METRIC_STATS.map((s) => `metric:${s}:${k}`)),
  };
}
