/** Compare view building blocks: components take data via props; the app fetches and wires. */
export { default as CompareChart } from './CompareChart.svelte';
export { default as CompareTable } from './CompareTable.svelte';
export { default as ConfigDiffPanel } from './ConfigDiffPanel.svelte';
export { default as SmoothingControls } from './SmoothingControls.svelte';
export { default as ChartControls } from './ChartControls.svelte';
export { CompareSettings, DEFAULT_COMPARE_SETTINGS, type CompareSettingsJson } from './compare-settings.svelte.js';
export { buildLines, rawValueAt, SeriesCache, type ChartLine, type CompareSeries, type PreparedSeries } from './chart-model.js';
export { groupingConfig, groupsFor, GROUP_SEEDS, NO_GROUPING, type GroupingChoice } from './grouping-choice.js';
export { canvasToPng, downloadBlob, downloadText, safeFilename } from './export.js';
export type { MetricColumn, TableRun } from './types.js';
