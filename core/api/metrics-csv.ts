/**
 * The one CSV long format for metrics, written by every exporter (the compare view's Export CSV, each chart's
 * CSV button, `policylab export --format csv`): one row per logged value,
 *
 *   run_id,run,key,step,wall_time,value
 *
 * `run` is the run's name, `wall_time` the time the value was logged in ISO 8601 UTC (empty when unknown), `value`
 * at full precision (shortest round-trip form; NaN as an empty field, ±Infinity as inf/-inf, which pandas reads).
 * pandas: `df = pd.read_csv(f, parse_dates=['wall_time']); df.pivot_table(index=['run_id', 'step'], columns='key', values='value')`.
 * RFC 4180: a field holding a comma, a quote, CR or LF, or leading/trailing spaces is quoted, quotes doubled;
 * rows end with CRLF. Pure (no Node, no DOM): the renderer and core both import it.
 */
export const METRICS_CSV_HEADER = ['run_id', 'run', 'key', 'step', 'wall_time', 'value'] as const;

export const CSV_EOL = '\r\n';

export type CsvCell = string | number | boolean | null | undefined;

export function csvField(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '';
    if (value === Infinity) return 'inf';
    if (value === -Infinity) return '-inf';
    return String(value);
  }
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(fields: readonly CsvCell[]): string {
  return fields.map(csvField).join(',') + CSV_EOL;
}

/** `wall_time`: ms since the epoch → ISO 8601 UTC; empty when not a finite time. */
export function csvWallTime(ms: number | null | undefined): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

/** One data row of the long format. */
export function metricsCsvRow(runId: string, run: string, key: string, step: number, wallTimeMs: number | null | undefined, value: number): string {
  return csvRow([runId, run, key, step, csvWallTime(wallTimeMs), value]);
}

export const METRICS_CSV_HEADER_ROW = csvRow(METRICS_CSV_HEADER);

export interface MetricsCsvSeries {
  runId: string;
  run: string;
  key: string;
  steps: ArrayLike<number>;
  /** ms since the epoch per point, when recorded. */
  times?: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** Header + every point of every series, in the long format. */
export function seriesToMetricsCsv(series: readonly MetricsCsvSeries[]): string {
  let out = METRICS_CSV_HEADER_ROW;
  for (const s of series) {
    if (s.steps.length !== s.values.length || (s.times !== undefined && s.times.length !== s.steps.length)) {
      throw new Error(`CSV: series ${s.run}/${s.key} has ${s.steps.length} steps, ${s.values.length} values and ${s.times?.length ?? 'no'} times`);
    }
    for (let i = 0; i < s.steps.length; i++) out += metricsCsvRow(s.runId, s.run, s.key, s.steps[i]!, s.times?.[i], s.values[i]!);
  }
  return out;
}
