/**
 * CSV for the renderer's exports. Field rules and the one metrics long format (`run_id,run,key,step,wall_time,value`,
 * shared with `policylab export`) live in core/api/metrics-csv.ts; `toCsv` writes other tables with the same rules.
 */
import { csvRow, type CsvCell } from '../../../core/api/metrics-csv.js';

export { csvField, seriesToMetricsCsv, METRICS_CSV_HEADER, type CsvCell, type MetricsCsvSeries } from '../../../core/api/metrics-csv.js';

export function toCsv(rows: readonly (readonly CsvCell[])[]): string {
  return rows.map((row) => csvRow(row)).join('');
}

/** Distinct labels for runs: the name, with ` (id)` appended where two selected runs share a name. */
export function uniqueRunLabels(runs: readonly { id: string; name: string }[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  return new Map(runs.map((r) => [r.id, (counts.get(r.name) ?? 0) > 1 || r.name === '' ? `${r.name} (${r.id})`.trim() : r.name]));
}
