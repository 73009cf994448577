/**
 * CSV serialisation (RFC 4180): fields containing a comma, a double quote, CR or LF — or leading/trailing
 * spaces, which many readers trim — are wrapped in double quotes with inner quotes doubled; records end
 * with CRLF. Numbers keep full precision (shortest round-trip form); NaN is written as an empty field
 * (missing), ±Infinity as `inf`/`-inf` (what pandas and numpy read back).
 */

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

export function toCsv(rows: readonly (readonly CsvCell[])[]): string {
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + (rows.length > 0 ? '\r\n' : '');
}

export interface CsvSeries {
  /** Run label written in the `run` column (name, or id when names collide). */
  run: string;
  key: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
}

/** Long format, one row per point: `run,key,<xHeader>,value`. */
export function seriesToLongCsv(series: readonly CsvSeries[], xHeader = 'x'): string {
  const rows: CsvCell[][] = [['run', 'key', xHeader, 'value']];
  for (const s of series) {
    if (s.xs.length !== s.ys.length) {
      throw new Error(`CSV: series ${s.run}/${s.key} has ${s.xs.length} x values and ${s.ys.length} values`);
    }
    for (let i = 0; i < s.xs.length; i++) rows.push([s.run, s.key, s.xs[i], s.ys[i]]);
  }
  return toCsv(rows);
}

/** Distinct labels for runs: the name, with ` (id)` appended where two selected runs share a name. */
export function uniqueRunLabels(runs: readonly { id: string; name: string }[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  return new Map(runs.map((r) => [r.id, (counts.get(r.name) ?? 0) > 1 || r.name === '' ? `${r.name} (${r.id})`.trim() : r.name]));
}
