/**
 * CSV writing for the store's exports: the one long format and its RFC 4180 field rules live in
 * core/api/metrics-csv.ts, shared with the renderer's exports so every CSV PolicyLab writes has the same shape.
 */
export { CSV_EOL, csvField, csvRow, METRICS_CSV_HEADER, METRICS_CSV_HEADER_ROW, metricsCsvRow } from '../api/metrics-csv.js';
