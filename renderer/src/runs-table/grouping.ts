/**
 * Rows grouped by one column's value, with aggregates: the count and, for each numeric column, the mean of the
 * values present (missing ones are left out and counted, so "mean of 3 of 5" can be shown).
 */
import type { RunInfo, RunTableRow } from '../../../core/api/contract.js';
import { columnValue, compareValues, isNumericColumn } from './columns.js';

export interface RunGroup {
  /** The group's value as text (`—` when missing): the key of its collapsed state. */
  label: string;
  runs: RunInfo[];
  /** Per numeric column: mean over the runs that have a value, and how many do. */
  means: Record<string, { mean: number; n: number } | null>;
}

export const MISSING_GROUP = '—';

export function groupLabel(value: number | string | null): string {
  return value === null ? MISSING_GROUP : String(value);
}

/**
 * Groups `runs` (already in display order; kept within each group) by column `by`. Groups are ordered by their
 * value (numbers numerically), missing last.
 */
export function groupRuns(
  runs: readonly RunInfo[],
  rows: ReadonlyMap<string, RunTableRow>,
  by: string,
  columns: readonly string[],
  now?: number,
): RunGroup[] {
  const groups = new Map<string, { value: number | string | null; runs: RunInfo[] }>();
  for (const run of runs) {
    const value = columnValue(run, rows.get(run.id), by, now);
    const label = groupLabel(value);
    let g = groups.get(label);
    if (!g) groups.set(label, (g = { value, runs: [] }));
    g.runs.push(run);
  }
  const numeric = columns.filter(isNumericColumn);
  return [...groups.entries()]
    .sort(([, a], [, b]) => compareValues(a.value, b.value, 1))
    .map(([label, g]) => {
      const means: RunGroup['means'] = {};
      for (const c of numeric) {
        let sum = 0;
        let n = 0;
        for (const run of g.runs) {
          const v = columnValue(run, rows.get(run.id), c, now);
          if (typeof v === 'number' && Number.isFinite(v)) {
            sum += v;
            n++;
          }
        }
        means[c] = n > 0 ? { mean: sum / n, n } : null;
      }
      return { label, runs: g.runs, means };
    });
}
