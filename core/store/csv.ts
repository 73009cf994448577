/**
 * RFC 4180 CSV writing (papaparse is not a dependency here, and writing is the easy half):
 * a field is quoted when it holds a comma, a quote, CR or LF, or leading/trailing spaces;
 * quotes inside are doubled; rows end with CRLF.
 */
export const CSV_EOL = '\r\n';

export function csvField(value: string | number): string {
  const s = typeof value === 'number' ? String(value) : value;
  if (/[",\r\n]/.test(s) || s !== s.trim()) return `"${s.replaceAll('"', '""')}"`;
  return s;
}

export function csvRow(fields: readonly (string | number)[]): string {
  return fields.map(csvField).join(',') + CSV_EOL;
}
